"""CSRF and Origin checks, brand isolation of sessions, sign-out, two-factor sign-in."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from domain.accounts.models import Player
from domain.kernel.db import Database
from resolvers.context import SESSION_COOKIE
from tests.support import AURORA, NORTHSTAR, STRONG_PASSWORD, Api, fresh_code
from tests.web.site.support import SiteClient, register_and_sign_in

REGISTRATION = {
    "email": "eve@example.com",
    "password": STRONG_PASSWORD,
    "date_of_birth": "1990-05-17",
    "country": "MT",
}


async def _players(db: Database) -> int:
    async with db.uow() as uow:
        return int(await uow.session.scalar(select(func.count()).select_from(Player)) or 0)


@pytest.mark.parametrize(
    ("csrf", "origin", "token"),
    [
        (False, None, None),  # no token at all
        (True, "http://evil.example", None),  # a token, but another site's page
        (False, None, "0" * 64),  # a forged token
    ],
    ids=["missing-token", "foreign-origin", "forged-token"],
)
async def test_an_unsafe_request_without_the_page_token_and_origin_is_refused(
    aurora_site: SiteClient, db: Database, csrf: bool, origin: str | None, token: str | None
) -> None:
    await aurora_site.get("/register")
    form = {**REGISTRATION, **({"csrf_token": token} if token else {})}

    refused = await aurora_site.post("/register", form, csrf=csrf, origin=origin)

    assert refused.status_code == 403
    assert "This request was refused" in refused.text
    assert await _players(db) == 0


async def test_a_post_without_an_origin_header_is_refused(
    aurora_site: SiteClient, db: Database
) -> None:
    await aurora_site.get("/register")
    response = await aurora_site.client.post(
        "/register",
        data={**REGISTRATION, "csrf_token": aurora_site.csrf_token},
        headers=aurora_site._cookie_header(),
    )

    assert response.status_code == 403
    assert await _players(db) == 0


async def test_htmx_sends_the_token_in_a_header(aurora_site: SiteClient, db: Database) -> None:
    await aurora_site.get("/register")
    assert aurora_site.csrf_token is not None

    created = await aurora_site.post(
        "/register", REGISTRATION, csrf=False, headers={"x-csrf-token": aurora_site.csrf_token}
    )

    assert created.status_code == 303
    assert await _players(db) == 1


async def test_the_csrf_token_of_one_brand_is_refused_on_another(server: str, db: Database) -> None:
    aurora, northstar = SiteClient(server, AURORA), SiteClient(server, NORTHSTAR)
    await aurora.get("/register")
    northstar.cookies = dict(aurora.cookies)

    refused = await northstar.post(
        "/register",
        {**REGISTRATION, "country": "SE", "csrf_token": aurora.csrf_token},
        csrf=False,
    )
    await aurora.aclose()
    await northstar.aclose()

    assert refused.status_code == 403
    assert await _players(db) == 0


async def test_a_session_cookie_of_one_brand_is_not_valid_on_another(server: str) -> None:
    aurora = SiteClient(server, AURORA)
    await register_and_sign_in(
        aurora, email="ana@example.com", password=STRONG_PASSWORD, country="MT"
    )
    northstar = SiteClient(server, NORTHSTAR)
    northstar.cookies = {SESSION_COOKIE: aurora.session or ""}

    on_aurora = await aurora.get("/account")
    on_northstar = await northstar.get("/account")
    await aurora.aclose()
    await northstar.aclose()

    assert on_aurora.status_code == 200
    assert on_northstar.status_code == 303
    assert on_northstar.headers["location"] == "/login?next=/account"


async def test_pages_are_not_served_on_an_api_host(server: str) -> None:
    api = SiteClient(server, "api.localhost")
    response = await api.get("/", headers={"x-stakehouse-brand": "aurora"})
    await api.aclose()

    assert response.status_code == 404


async def test_sign_out_revokes_the_session_and_clears_the_cookie(aurora_site: SiteClient) -> None:
    await register_and_sign_in(
        aurora_site, email="ana@example.com", password=STRONG_PASSWORD, country="MT"
    )
    session = aurora_site.session
    await aurora_site.get("/account")

    signed_out = await aurora_site.post("/logout")
    aurora_site.cookies[SESSION_COOKIE] = session or ""
    replayed = await aurora_site.get("/account")

    assert signed_out.status_code == 303 and signed_out.headers["location"] == "/"
    assert any(
        header.startswith(f'{SESSION_COOKIE}=""') or f"{SESSION_COOKIE}=;" in header
        for header in aurora_site.set_cookie_headers
    )
    assert replayed.status_code == 303


async def test_wrong_password_and_unknown_account_read_the_same(aurora_site: SiteClient) -> None:
    await register_and_sign_in(
        aurora_site, email="ana@example.com", password=STRONG_PASSWORD, country="MT"
    )
    stranger = SiteClient(str(aurora_site.client.base_url), AURORA)
    await stranger.get("/login")

    wrong = await stranger.post(
        "/login", {"identifier": "ana@example.com", "password": "nope nope nope"}
    )
    unknown = await stranger.post(
        "/login", {"identifier": "bob@example.com", "password": "nope nope nope"}
    )
    await stranger.aclose()

    assert wrong.status_code == unknown.status_code == 400
    message = 'class="error" role="alert">'
    assert (
        wrong.text.split(message)[1].split("<")[0] == unknown.text.split(message)[1].split("<")[0]
    )
    assert stranger.session is None


async def test_next_never_leaves_the_site(aurora_site: SiteClient) -> None:
    await aurora_site.get("/register")
    await aurora_site.post("/register", REGISTRATION)
    await aurora_site.get("/login")

    signed_in = await aurora_site.post(
        "/login",
        {
            "identifier": REGISTRATION["email"],
            "password": STRONG_PASSWORD,
            "next": "//evil.example/x",
        },
    )

    assert signed_in.headers["location"] == "/account"


async def test_two_factor_sign_in_asks_for_the_code(aurora_site: SiteClient, aurora: Api) -> None:
    await aurora.register(email="tom@example.com")
    await aurora.login("tom@example.com")
    begun = await aurora.query("mutation { beginTwoFactorEnrolment { secret errors { code } } }")
    secret = begun.data["beginTwoFactorEnrolment"]["secret"]
    confirmed = await aurora.query(
        "mutation($code: String!) { confirmTwoFactorEnrolment(input: {code: $code}) { errors { code } } }",
        {"code": fresh_code(secret)},
    )
    assert confirmed.data["confirmTwoFactorEnrolment"]["errors"] == []
    await aurora_site.get("/login")

    password_step = await aurora_site.post(
        "/login", {"identifier": "tom@example.com", "password": STRONG_PASSWORD}
    )
    pending_account = await aurora_site.get("/account")
    form = await aurora_site.get("/login/two-factor")
    wrong = await aurora_site.post("/login/two-factor", {"code": "000000", "next": "/account"})
    right = await aurora_site.post(
        "/login/two-factor", {"code": fresh_code(secret, steps_ahead=1), "next": "/account"}
    )
    account = await aurora_site.get("/account")

    assert password_step.headers["location"].startswith("/login/two-factor")
    assert pending_account.headers["location"] == "/login/two-factor"
    assert form.status_code == 200 and 'autocomplete="one-time-code"' in form.text
    assert wrong.status_code == 400
    assert right.status_code == 303 and right.headers["location"] == "/account"
    assert account.status_code == 200 and "tom@example.com" in account.text
