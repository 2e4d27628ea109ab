"""The site's 404 and 500 pages: themed, in the visitor's language, with the request id and
every security header (issue 12 item 2). A route parameter that is no valid id is the
404, never an unexpected error."""

from __future__ import annotations

import re

import httpx
import pytest
from starlette.requests import Request
from starlette.routing import Route

from domain.brands.service import BrandRegistry
from domain.kernel.settings import get_settings
from tests.support import AURORA, NORTHSTAR
from tests.web.site.support import SiteClient
from web.app import create_app
from web.site.site import LOCALE_COOKIE

SECURITY_HEADERS = (
    "x-content-type-options",
    "referrer-policy",
    "x-frame-options",
    "cross-origin-opener-policy",
    "content-security-policy",
    "x-request-id",
)


def _assert_themed(response: httpx.Response, *, status: int, lang: str, title: str) -> None:
    assert response.status_code == status
    assert response.headers["content-type"].startswith("text/html")
    for header in SECURITY_HEADERS:
        assert header in response.headers, header
    assert f'<html lang="{lang}">' in response.text
    assert re.search(rf"<title>{re.escape(title)} · [^<]+</title>", response.text)
    assert '<main id="content"' in response.text
    assert f"<code>{response.headers['x-request-id']}</code>" in response.text


@pytest.mark.parametrize(
    "path",
    [
        "/sports/event/abc",
        "/sports/event/-1",
        # An event id beyond a bigint, and the id of another type.
        "/sports/event/U3BvcnRzYm9va0V2ZW50Ojk5OTk5OTk5OTk5OTk5OTk5OTk5",
        "/sports/event/U3BvcnQ6MQ==",
        "/casino/%00",
        "/no/such/page",
    ],
)
async def test_a_path_that_names_nothing_is_the_themed_404(
    aurora_site: SiteClient, path: str
) -> None:
    response = await aurora_site.get(path)

    assert response.status_code == 404
    for header in SECURITY_HEADERS:
        assert header in response.headers, header
    assert '<main id="content"' in response.text


async def test_the_404_page_is_in_the_visitors_language(server: str) -> None:
    northstar = SiteClient(server, NORTHSTAR)
    aurora = SiteClient(server, AURORA)
    aurora.cookies[LOCALE_COOKIE] = "de"

    swedish = await northstar.get("/no/such/page")
    german = await aurora.get("/no/such/page")

    _assert_themed(swedish, status=404, lang="sv", title="Sidan hittades inte")
    _assert_themed(german, status=404, lang="de", title="Seite nicht gefunden")
    await northstar.aclose()
    await aurora.aclose()


async def test_a_lobby_search_with_control_characters_is_searched_without_them(
    aurora_site: SiteClient,
) -> None:
    response = await aurora_site.get("/casino?q=%00star%1b")

    assert response.status_code == 200
    assert 'value="star"' in response.text


async def test_an_unexpected_error_is_the_themed_500_inside_the_middleware(
    registry: BrandRegistry,
) -> None:
    # The real app with one route that fails as a bug would: the error page must come
    # through the middleware (request id, security headers), themed and translated.
    app = create_app(get_settings(), registry)

    async def broken(_request: Request) -> None:
        raise RuntimeError("a bug")

    app.router.routes.insert(0, Route("/broken", broken))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        page = await client.get(
            "/broken", headers={"host": AURORA, "cookie": f"{LOCALE_COOKIE}=de"}
        )
        api = await client.get(
            "/broken", headers={"host": "api.localhost", "x-stakehouse-brand": "aurora"}
        )

    _assert_themed(page, status=500, lang="de", title="Etwas ist schiefgelaufen")
    assert "a bug" not in page.text
    assert api.status_code == 500
    assert api.json()["error"]["code"] == "INTERNAL"
    assert api.json()["error"]["requestId"] == api.headers["x-request-id"]
    assert "x-content-type-options" in api.headers
