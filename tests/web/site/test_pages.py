"""The website over real HTTP: pages per brand, sign-in flows, security headers."""

from __future__ import annotations

import re

from tests.support import AURORA, NORTHSTAR, STRONG_PASSWORD
from tests.web.site.support import SiteClient, register_and_sign_in

KUMO = "kumo.localhost"


async def test_each_brand_serves_its_own_home_page_and_tokens(server: str) -> None:
    seen = {}
    for host, name, lang in (
        (AURORA, "Aurora Casino", "en"),
        (NORTHSTAR, "Northstar Sports", "sv"),
        (KUMO, "Kumo Play", "en"),
    ):
        site = SiteClient(server, host)
        home = await site.get("/")
        css = await site.get("/static/theme.css")
        await site.aclose()

        assert home.status_code == 200
        assert "<title>" in home.text and name in home.text
        assert f'<html lang="{lang}">' in home.text
        assert css.headers["content-type"].startswith("text/css")
        seen[host] = css.text
    assert len(set(seen.values())) == 3
    assert "--colour-background: #0f1226;" in seen[AURORA]


async def test_pages_carry_a_nonce_csp_and_no_inline_handlers(aurora_site: SiteClient) -> None:
    home = await aurora_site.get("/")

    csp = home.headers["content-security-policy"]
    nonce = re.search(r"script-src 'nonce-([^']+)'", csp)
    assert nonce is not None
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert "frame-ancestors 'none'" in csp
    # The home page runs no script at all; the lobby's (htmx) carry the response's nonce.
    assert re.findall(r"<script[^>]*>", home.text) == []
    lobby = await aurora_site.get("/casino")
    lobby_nonce = re.search(r"script-src 'nonce-([^']+)'", lobby.headers["content-security-policy"])
    scripts = re.findall(r"<script[^>]*>", lobby.text)
    assert lobby_nonce is not None and lobby_nonce.group(1) != nonce.group(1)
    assert scripts and all(f'nonce="{lobby_nonce.group(1)}"' in tag for tag in scripts)
    assert not re.search(r"\son[a-z]+=", home.text + lobby.text)
    assert home.headers["cache-control"] == "private, no-cache"


async def test_register_sign_in_and_see_the_account(aurora_site: SiteClient) -> None:
    await register_and_sign_in(
        aurora_site, email="ana@example.com", password=STRONG_PASSWORD, country="MT"
    )

    account = await aurora_site.get("/account")

    assert account.status_code == 200
    assert "ana@example.com" in account.text
    assert account.headers["cache-control"] == "no-store"
    assert 'hx-history="false"' in account.text
    assert 'sse-connect="/account/balance/stream"' in account.text
    session_cookie = next(
        h for h in aurora_site.set_cookie_headers if h.startswith("__Host-stakehouse_session=")
    )
    assert (
        "Secure" in session_cookie and "HttpOnly" in session_cookie and "Path=/" in session_cookie
    )
    assert "Domain" not in session_cookie and "SameSite=lax" in session_cookie


async def test_registering_signs_in_and_leads_to_the_first_deposit(
    aurora_site: SiteClient,
) -> None:
    form = {"email": "new@example.com", "password": STRONG_PASSWORD,
            "date_of_birth": "1990-05-17", "country": "MT"}  # fmt: skip
    await aurora_site.get("/register")
    registered = await aurora_site.post("/register", form)
    deposit = await aurora_site.get(registered.headers["location"])
    signed_in_as = aurora_site.session
    aurora_site.cookies.pop("__Host-stakehouse_session")
    await aurora_site.get("/register")
    again = await aurora_site.post("/register", form)

    assert registered.status_code == 303
    assert registered.headers["location"] == "/account/deposit"
    assert signed_in_as is not None
    assert deposit.status_code == 200
    assert 'action="/account/deposit"' in deposit.text
    # Refused (the address is taken): the form again, and nobody is signed in.
    assert again.status_code == 400
    assert "This email address or username is already registered." in again.text
    assert aurora_site.session is None
