"""Switching games and providers on a brand: admin only (casino.manage), audited with a
reason, brand-scoped; denials change nothing and write no audit row."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import text

from domain.kernel.db import Database
from tests.schema.accounts.test_staff import signed_in_staff
from tests.schema.casino.support import PROVIDER, game_uuid
from tests.support import Api

SET_GAME = """mutation($g: ID!, $on: Boolean!, $why: String!) {
  setCasinoGameEnabled(input: {game: $g, enabled: $on, reason: $why}) {
    game { code enabled } errors { code field }
  }
}"""
SET_PROVIDER = """mutation($p: String!, $on: Boolean!, $why: String!) {
  setCasinoProviderEnabled(input: {provider: $p, enabled: $on, reason: $why}) {
    provider { code name } enabled errors { code field }
  }
}"""
LISTED = '{ casinoGames(first: 10, provider: "lobby-test") { edges { node { code } } } }'


async def _audit(db: Database, subject: str) -> list[tuple[Any, ...]]:
    async with db.uow() as uow:
        rows = await uow.session.execute(
            text(
                "SELECT action, brand, reason, before, after FROM audit_log "
                "WHERE subject_id = :s ORDER BY id"
            ),
            {"s": subject},
        )
    return [tuple(row) for row in rows]


async def _listed(api: Api) -> list[str]:
    result = await api.query(LISTED)
    return [edge["node"]["code"] for edge in result.data["casinoGames"]["edges"]]


async def test_an_admin_switches_a_game_off_and_on_with_an_audited_reason(
    aurora: Api, db: Database, catalogue: dict[str, str]
) -> None:
    admin = await signed_in_staff(aurora, db, "admin1@op.example", ["admin"])
    subject = str(game_uuid(catalogue["gonzo-gold"]))
    variables = {"g": catalogue["gonzo-gold"], "why": "RTP certificate expired"}

    off = await admin.query(SET_GAME, {**variables, "on": False})
    listed_while_off = await _listed(admin)
    off_again = await admin.query(SET_GAME, {**variables, "on": False})
    on = await admin.query(SET_GAME, {**variables, "on": True, "why": "Renewed"})

    assert off.data["setCasinoGameEnabled"] == off_again.data["setCasinoGameEnabled"] == {
        "game": {"code": "gonzo-gold", "enabled": False}, "errors": [],
    }  # fmt: skip
    assert on.data["setCasinoGameEnabled"]["game"] == {"code": "gonzo-gold", "enabled": True}
    assert "gonzo-gold" not in listed_while_off
    assert "gonzo-gold" in await _listed(admin)
    # Switching to the state it is in changes nothing and is not audited again.
    assert await _audit(db, subject) == [
        ("casino.game.disable", "aurora", "RTP certificate expired", {"enabled": True},
         {"enabled": False}),
        ("casino.game.enable", "aurora", "Renewed", {"enabled": False}, {"enabled": True}),
    ]  # fmt: skip


async def test_staff_may_list_switched_off_games_and_players_may_not(
    aurora: Api, db: Database, catalogue: dict[str, str]
) -> None:
    admin = await signed_in_staff(aurora, db, "admin2@op.example", ["admin"])
    await admin.query(SET_GAME, {"g": catalogue["gonzo-gold"], "on": False, "why": "Review"})
    every = '{ casinoGames(first: 10, provider: "lobby-test", includeDisabled: true) { edges { node { code enabled } } } }'

    listed = await admin.query(every)
    denied = await Api(aurora.base_url, aurora.host).query(every)

    nodes = [edge["node"] for edge in listed.data["casinoGames"]["edges"]]
    assert {"code": "gonzo-gold", "enabled": False} in nodes
    assert len(nodes) == 6
    assert denied.body["errors"][0]["extensions"]["code"] == "NOT_AUTHENTICATED"


@pytest.mark.parametrize("role", ["support", "finance", "risk", "crm", "trader"])
async def test_staff_without_casino_manage_change_nothing(
    aurora: Api, db: Database, catalogue: dict[str, str], role: str
) -> None:
    staff = await signed_in_staff(aurora, db, f"{role}@op.example", [role])

    game = await staff.query(SET_GAME, {"g": catalogue["gonzo-gold"], "on": False, "why": "x"})
    provider = await staff.query(SET_PROVIDER, {"p": PROVIDER, "on": False, "why": "x"})

    assert game.data["setCasinoGameEnabled"] == {
        "game": None, "errors": [{"code": "PERMISSION_DENIED", "field": None}],
    }  # fmt: skip
    assert provider.data["setCasinoProviderEnabled"] == {
        "provider": None, "enabled": None, "errors": [{"code": "PERMISSION_DENIED", "field": None}],
    }  # fmt: skip
    assert "gonzo-gold" in await _listed(aurora)
    assert await _audit(db, str(game_uuid(catalogue["gonzo-gold"]))) == []


async def test_players_strangers_and_missing_reasons_change_nothing(
    aurora: Api, db: Database, catalogue: dict[str, str]
) -> None:
    anonymous = await aurora.query(
        SET_GAME, {"g": catalogue["gonzo-gold"], "on": False, "why": "x"}
    )
    await aurora.register(email="sneaky@example.com")
    await aurora.login("sneaky@example.com")
    player = await aurora.query(SET_GAME, {"g": catalogue["gonzo-gold"], "on": False, "why": "x"})
    admin = await signed_in_staff(Api(aurora.base_url, aurora.host), db, "a3@op.example", ["admin"])
    blank = await admin.query(SET_GAME, {"g": catalogue["gonzo-gold"], "on": False, "why": " "})
    unknown = await admin.query(SET_PROVIDER, {"p": "nobody", "on": False, "why": "Gone"})

    assert [r.data["setCasinoGameEnabled"]["errors"] for r in (anonymous, player, blank)] == [
        [{"code": "NOT_AUTHENTICATED", "field": None}],
        [{"code": "PERMISSION_DENIED", "field": None}],
        [{"code": "REASON_REQUIRED", "field": "reason"}],
    ]
    assert unknown.data["setCasinoProviderEnabled"]["errors"] == [
        {"code": "PROVIDER_NOT_FOUND", "field": "provider"}
    ]
    assert "gonzo-gold" in await _listed(aurora)
    assert await _audit(db, str(game_uuid(catalogue["gonzo-gold"]))) == []
    await admin.aclose()


async def test_a_provider_switch_is_per_brand_and_audited(
    aurora: Api, northstar: Api, db: Database, catalogue: dict[str, str]
) -> None:
    admin = await signed_in_staff(aurora, db, "a4@op.example", ["admin"])

    off = await admin.query(SET_PROVIDER, {"p": PROVIDER, "on": False, "why": "Outage"})
    on_aurora = await _listed(Api(aurora.base_url, aurora.host))
    on_northstar = await _listed(northstar)
    on = await admin.query(SET_PROVIDER, {"p": PROVIDER, "on": True, "why": "Fixed"})

    assert off.data["setCasinoProviderEnabled"] == {
        "provider": {"code": PROVIDER, "name": "Lobby Test Studio"}, "enabled": False, "errors": [],
    }  # fmt: skip
    assert on.data["setCasinoProviderEnabled"]["enabled"] is True
    assert on_aurora == []
    assert on_northstar == ["book-of-stars", "mega-jackpot"]
    assert len(await _listed(aurora)) == 6
    assert await _audit(db, PROVIDER) == [
        ("casino.provider.disable", "aurora", "Outage", {"enabled": True}, {"enabled": False}),
        ("casino.provider.enable", "aurora", "Fixed", {"enabled": False}, {"enabled": True}),
    ]
