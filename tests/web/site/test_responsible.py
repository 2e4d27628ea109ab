"""Responsible gambling: the page lists the player's tools; self-exclusion takes a
period, then a confirmation, and only then excludes the player, audited, signed out
everywhere."""

from __future__ import annotations

from sqlalchemy import select

from domain.accounts.models import AuthSession, Player
from domain.kernel.audit import AuditEntry
from domain.kernel.db import Database
from resolvers.context import SESSION_COOKIE
from tests.support import STRONG_PASSWORD, Api
from tests.web.site.support import SiteClient, register_and_sign_in

EMAIL = "ana@example.com"


async def _player(db: Database) -> Player:
    async with db.transaction() as uow:
        player = await uow.session.scalar(select(Player).where(Player.email == EMAIL))
        assert player is not None
        return player


async def test_the_page_offers_limits_breaks_reality_checks_and_self_exclusion(
    aurora_site: SiteClient,
) -> None:
    answer = await aurora_site.get("/responsible-gambling")

    assert answer.status_code == 200
    assert "<h1>Responsible gambling</h1>" in answer.text
    assert '<a href="/responsible-gambling/self-exclusion">Exclude myself</a>' in answer.text
    assert '<a href="/responsible-gambling/limits">Set my limits</a>' in answer.text
    assert '<a href="/responsible-gambling/time-out">Take a break</a>' in answer.text
    assert '<a href="/responsible-gambling/reality-check">Set reality checks</a>' in answer.text
    assert "You cannot set limits on this site yet." not in answer.text


async def test_the_home_and_deposit_pages_lead_to_the_limits(aurora_site: SiteClient) -> None:
    home = await aurora_site.get("/")
    await register_and_sign_in(aurora_site, email=EMAIL, password=STRONG_PASSWORD, country="MT")
    deposit = await aurora_site.get("/account/deposit")

    assert 'href="/responsible-gambling"' in home.text
    assert 'href="/responsible-gambling/limits"' in home.text
    assert 'href="/responsible-gambling/limits"' in deposit.text


async def test_self_exclusion_asks_twice_then_excludes_and_signs_out(
    aurora_site: SiteClient, db: Database
) -> None:
    await register_and_sign_in(aurora_site, email=EMAIL, password=STRONG_PASSWORD, country="MT")
    chosen = await aurora_site.get("/responsible-gambling/self-exclusion")
    review = await aurora_site.post(
        "/responsible-gambling/self-exclusion", {"step": "review", "period": "ONE_YEAR"}
    )
    unconfirmed = await aurora_site.post(
        "/responsible-gambling/self-exclusion", {"step": "confirm", "period": "ONE_YEAR"}
    )
    status_before = (await _player(db)).status

    done = await aurora_site.post(
        "/responsible-gambling/self-exclusion",
        {"step": "confirm", "period": "ONE_YEAR", "confirm": "true"},
    )
    account = await aurora_site.get("/account")
    login = await aurora_site.post("/login", {"identifier": EMAIL, "password": STRONG_PASSWORD})

    assert chosen.status_code == 200
    assert 'name="period" value="FIVE_YEARS"' in chosen.text
    assert review.status_code == 200
    assert "Period: 1 year." in review.text
    assert unconfirmed.status_code == 400
    assert "Confirm that you understand" in unconfirmed.text
    assert status_before == "active"
    assert done.status_code == 200
    assert "<h1>You are excluded</h1>" in done.text
    assert 'href="/login"' in done.text  # the header shows a visitor
    assert aurora_site.session is None  # the cookie was cleared
    assert account.status_code == 303
    assert login.status_code == 400
    player = await _player(db)
    assert player.status == "self_excluded"
    async with db.transaction() as uow:
        live = await uow.session.scalars(
            select(AuthSession).where(
                AuthSession.player_id == player.id, AuthSession.revoked_at.is_(None)
            )
        )
        entry = await uow.session.scalar(
            select(AuditEntry).where(
                AuditEntry.subject_id == str(player.id), AuditEntry.action == "player.self_exclude"
            )
        )
    assert list(live) == []
    assert entry is not None
    assert entry.actor_kind == "player"
    assert entry.actor_id == str(player.id)
    assert entry.before == {"status": "active"}
    assert entry.after is not None
    assert entry.after["status"] == "self_excluded"
    assert entry.after["period"] == "one_year"
    assert entry.after["until"] is not None


async def test_self_exclusion_without_the_page_token_is_refused_and_nothing_changes(
    aurora_site: SiteClient, db: Database
) -> None:
    await register_and_sign_in(aurora_site, email=EMAIL, password=STRONG_PASSWORD, country="MT")
    form = {"step": "confirm", "period": "PERMANENT", "confirm": "true"}

    refused = await aurora_site.post("/responsible-gambling/self-exclusion", form, csrf=False)

    assert refused.status_code == 403
    assert (await _player(db)).status == "active"
    assert aurora_site.cookies.get(SESSION_COOKIE) is not None


async def test_the_api_refuses_self_exclusion_signed_out_and_unconfirmed(aurora: Api) -> None:
    mutation = (
        "mutation ($confirm: Boolean!) { selfExclude(input: {period: SIX_MONTHS, "
        "confirm: $confirm}) { excluded excludedUntil errors { code field } } }"
    )
    signed_out = await aurora.query(mutation, {"confirm": True})
    await aurora.register(email=EMAIL)
    await aurora.login(EMAIL, STRONG_PASSWORD)
    unconfirmed = await aurora.query(mutation, {"confirm": False})

    assert signed_out.data["selfExclude"] == {
        "excluded": False, "excludedUntil": None,
        "errors": [{"code": "NOT_AUTHENTICATED", "field": None}],
    }  # fmt: skip
    assert unconfirmed.data["selfExclude"] == {
        "excluded": False, "excludedUntil": None,
        "errors": [{"code": "CONFIRMATION_REQUIRED", "field": "confirm"}],
    }  # fmt: skip
