"""A browser-like HTTP client for the site: one brand host, its own cookie jar (the site's
`__Host-` cookies are Secure, which httpx's jar keeps from plain-HTTP test servers), the
page's CSRF token, and the Origin header a browser sends on POST."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable
from http.cookies import SimpleCookie
from typing import Any

import httpx

from domain.brands.service import BrandRegistry
from domain.kernel.db import Database
from resolvers.context import SESSION_COOKIE
from tests.support import LOGIN, create_player, request_context, statements_of
from tests.web.site.strict_html import check_html
from web.site.security import CSRF_COOKIE

_CSRF_INPUT = re.compile(r'name="csrf_token" value="([0-9a-f]{64})"')


class SiteClient:
    def __init__(self, base_url: str, host: str) -> None:
        self.host = host
        self.port = httpx.URL(base_url).port
        self.origin = f"http://{host}:{self.port}"
        # As a browser sends it: with the port, which the Origin check compares too.
        self.client = httpx.AsyncClient(
            base_url=base_url, headers={"host": f"{host}:{self.port}"}, timeout=30
        )
        self.cookies: dict[str, str] = {}
        self.set_cookie_headers: list[str] = []
        self.csrf_token: str | None = None

    def _cookie_header(self) -> dict[str, str]:
        if not self.cookies:
            return {}
        return {"cookie": "; ".join(f"{name}={value}" for name, value in self.cookies.items())}

    def _remember(self, response: httpx.Response) -> None:
        for header in response.headers.get_list("set-cookie"):
            self.set_cookie_headers.append(header)
            parsed = SimpleCookie()
            parsed.load(header)
            for name, morsel in parsed.items():
                if morsel["max-age"] == "0" or "expires=Thu, 01 Jan 1970" in header:
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = morsel.value
        html = "text/html" in response.headers.get("content-type", "")
        if html:
            # Every page and fragment a site test receives is checked as strictly as a
            # validator would (tests/web/site/strict_html.py).
            check_html(response.text, source=f"{response.request.method} {response.request.url}")
        found = _CSRF_INPUT.search(response.text) if html else None
        if found:
            self.csrf_token = found.group(1)

    async def get(self, path: str, **kwargs: Any) -> httpx.Response:
        headers = {**self._cookie_header(), **kwargs.pop("headers", {})}
        response = await self.client.get(path, headers=headers, **kwargs)
        self._remember(response)
        return response

    async def post(
        self,
        path: str,
        data: dict[str, Any] | None = None,
        *,
        csrf: bool = True,
        origin: str | None = None,
        headers: dict[str, str] | None = None,
        files: dict[str, tuple[str, bytes, str]] | None = None,
    ) -> httpx.Response:
        form = dict(data or {})
        if csrf and self.csrf_token:
            form.setdefault("csrf_token", self.csrf_token)
        merged = {**self._cookie_header(), "origin": origin or self.origin, **(headers or {})}
        response = await self.client.post(path, data=form, headers=merged, files=files)
        self._remember(response)
        return response

    @property
    def session(self) -> str | None:
        return self.cookies.get(SESSION_COOKIE)

    @property
    def csrf_cookie(self) -> str | None:
        return self.cookies.get(CSRF_COOKIE)

    async def aclose(self) -> None:
        await self.client.aclose()


async def register_and_sign_in(
    site: SiteClient, *, email: str, password: str, country: str = "", currency: str = ""
) -> httpx.Response:
    await site.get("/register")
    form = {"email": email, "password": password, "date_of_birth": "1990-05-17"}
    if country:
        form["country"] = country
    if currency:
        form["currency"] = currency
    registered = await site.post("/register", form)
    # Registering signs the player in (web.site.pages.REGISTERED_NEXT).
    assert registered.status_code == 303, registered.text
    assert registered.headers["location"] == "/account/deposit"
    assert site.session is not None
    return registered


async def odds_stream_after(
    site: SiteClient, event: str, change: Callable[[], Awaitable[None]], *, listing: bool = False
) -> str:
    """What the page's odds stream of `event` (a global id) sends for `change()`, made once
    the stream is open: read up to the market's update that ends a price change. `listing`:
    the stream of the /sports list (which follows only what its cards show)."""
    received: list[str] = []
    url = f"/sports/odds/stream?events={event}" + ("&list=1" if listing else "")

    async def read() -> None:
        async with site.client.stream("GET", url, headers=site._cookie_header()) as response:
            assert response.headers["content-type"].startswith("text/event-stream")
            async for line in response.aiter_lines():
                received.append(line)
                # The blank line that ends the `odds` message.
                if not line and any(r.startswith("event: odds") for r in received):
                    return

    reader = asyncio.ensure_future(read())
    await asyncio.sleep(1.0)
    await change()
    await asyncio.wait_for(reader, timeout=20)
    text = "\n".join(received)
    check_sse_fragments(text)
    return text


def check_sse_fragments(text: str) -> None:
    """Each server-sent event's HTML (its `data:` lines) passes the strict check."""
    for block in text.split("\n\n"):
        lines = [line[len("data: ") :] for line in block.splitlines() if line.startswith("data: ")]
        name = next((line for line in block.splitlines() if line.startswith("event: ")), "")
        if lines:
            check_html("\n".join(lines), source=f"server-sent {name or 'event'}")


async def counted_site_query(
    schema: Any,
    db: Database,
    registry: BrandRegistry,
    document: str,
    *,
    operation: str,
    variables: dict[str, Any],
    token: str | None,
) -> tuple[dict[str, Any], int]:
    """One of the site's named documents executed as aurora's page runs it (signed in when
    `token` is given): its data, and how many SQL statements it took."""
    with statements_of(db) as statements:
        result = await schema.execute(
            document,
            variable_values=variables,
            context_value=request_context(db, registry, "aurora", token),
            operation_name=operation,
        )
    assert result.errors is None, result.errors
    assert result.data is not None
    return result.data, len(statements)


async def player_token(schema: Any, db: Database, registry: BrandRegistry, email: str) -> str:
    """A new aurora player's session token, from the login mutation."""
    await create_player(db, registry, email=email)
    signed_in = await schema.execute(
        LOGIN,
        variable_values={"input": {"identifier": email, "password": "correct horse battery"}},
        context_value=request_context(db, registry, "aurora", None),
    )
    assert signed_in.errors is None, signed_in.errors
    return str(signed_in.data["login"]["token"])
