"""The site in withdraw-only mode and the pack's display rules, over HTTP: after excluding
on aurora, signing in on either brand offers a withdraw-only sign-in; its pages carry the
banner and no way to play or deposit. The session clock and net position show where the
brand's jurisdiction asks for them (Sweden: both; Malta: the clock; Curaçao: neither)."""

from __future__ import annotations

import uuid

import pytest

from tests.support import STRONG_PASSWORD, Api
from tests.web.site.support import SiteClient, register_and_sign_in

SELF_EXCLUDE = """mutation { selfExclude(input: {period: SIX_MONTHS, confirm: true}) {
  excluded errors { code } } }"""
BANNER = {
    "aurora.localhost": "Your account is self-excluded: you can see your balances",
    "northstar.localhost": "Ditt konto är självavstängt: du kan se dina saldon",
}
OFFER = {
    "aurora.localhost": "Sign in to withdraw only",
    "northstar.localhost": "Logga in endast för uttag",
}


async def test_an_excluded_person_signs_in_withdraw_only_on_both_brands_and_sees_no_play(
    server: str,
) -> None:
    email = f"{uuid.uuid4().hex[:10]}@example.com"
    sites = [SiteClient(server, "aurora.localhost"), SiteClient(server, "northstar.localhost")]
    await register_and_sign_in(sites[0], email=email, password=STRONG_PASSWORD, country="MT")
    await register_and_sign_in(
        sites[1], email=email, password=STRONG_PASSWORD, country="SE", currency="SEK"
    )
    api = Api(server, "aurora.localhost")
    await api.login(email)
    assert (await api.query(SELF_EXCLUDE)).data["selfExclude"]["excluded"] is True
    await api.aclose()

    for site in sites:
        before = await site.get("/account")
        await site.get("/login")
        refused = await site.post("/login", {"identifier": email, "password": STRONG_PASSWORD})
        signed = await site.post(
            "/login", {"identifier": email, "password": STRONG_PASSWORD, "withdraw_only": "1"}
        )
        account = await site.get("/account")
        casino_nav = 'href="/casino"' in account.text

        assert before.status_code in (303, 302), site.host  # signed out by the exclusion
        assert refused.status_code == 400
        assert OFFER[site.host] in refused.text
        assert signed.status_code == 303, signed.text
        assert account.status_code == 200
        assert BANNER[site.host] in account.text
        assert not casino_nav
        assert 'href="/account/deposit"' not in account.text
        assert 'href="/account/withdraw"' in account.text
        await site.aclose()


@pytest.mark.parametrize(
    "case",
    [
        ("northstar.localhost", "SE", "SEK", "Inloggad i 0 min", "Nettoresultat denna session"),
        ("aurora.localhost", "MT", "", "Signed in for 0 min", None),
        ("kumo.localhost", "JP", "", None, None),
    ],
)
async def test_the_session_clock_and_net_position_follow_the_brand_s_pack(
    server: str, case: tuple[str, str, str, str | None, str | None]
) -> None:
    host, country, currency, clock, net = case
    site = SiteClient(server, host)
    email = f"{uuid.uuid4().hex[:10]}@example.com"
    await register_and_sign_in(
        site, email=email, password=STRONG_PASSWORD, country=country, currency=currency
    )

    page = (await site.get("/account")).text
    await site.aclose()

    assert ('class="session-bar' in page) is (clock is not None)
    if clock:
        assert clock in page
    assert ("Net position" in page or "Nettoresultat" in page) is (net is not None)


@pytest.mark.parametrize(("host", "asked"), [("aurora.localhost", True), ("kumo.localhost", False)])
async def test_registration_asks_for_a_deposit_limit_where_the_pack_says_so(
    server: str, host: str, asked: bool
) -> None:
    site = SiteClient(server, host)

    page = (await site.get("/register")).text
    await site.aclose()

    assert ('name="deposit_limit_period"' in page) is asked
