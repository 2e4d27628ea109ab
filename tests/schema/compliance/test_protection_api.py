"""Player protection over GraphQL: limits with usage on the viewer, pending increases,
typed refusals of deposits and bets that change nothing, time-outs that sign out and keep
the player out, reality-check settings, and which staff may read a player's limits."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from sqlalchemy import text
from strawberry.relay import from_base64

from domain.kernel.db import Database
from tests.schema.sportsbook.support import add_market, cash_of, signed_in_bettor
from tests.schema.sportsbook.test_place_bet import PLACE_BET, single
from tests.schema.wallets.support import error_codes, signed_in_staff
from tests.support import AURORA, Api

LIMIT = """kind period amount { amount currency } used { amount } remaining { amount }
  minutes usedMinutes remainingMinutes
  pending { amount { amount } minutes removal canConfirmAt }"""
VIEWER = f"""query {{ viewer {{ player {{ realityCheckMinutes timeOutUntil
  limits {{ {LIMIT} }} realityCheck {{ minutes due netLoss {{ amount currency }} }} }} }} }}"""
SET_LIMIT = f"""mutation($i: SetLimitInput!) {{ setLimit(input: $i) {{
  limit {{ {LIMIT} }} errors {{ code field message }} }} }}"""
CONFIRM = f"""mutation($i: LimitChangeInput!) {{ confirmLimitChange(input: $i) {{
  limit {{ {LIMIT} }} errors {{ code field message }} }} }}"""
REMOVE = f"""mutation($i: LimitChangeInput!) {{ removeLimit(input: $i) {{
  limit {{ {LIMIT} }} errors {{ code field }} }} }}"""
TIME_OUT = """mutation($i: TakeTimeOutInput!) { takeTimeOut(input: $i) {
  timeOutUntil errors { code field } } }"""
REALITY = """mutation($i: SetRealityCheckInput!) { setRealityCheck(input: $i) {
  realityCheckMinutes errors { code field } } }"""
DEPOSIT = """mutation($i: DepositInput!) { deposit(input: $i) {
  payment { id } errors { code field message } } }"""
STAFF_LIMITS = """query($id: ID!) { node(id: $id) { ... on Player { limits {
  kind period amount { amount } } } } }"""


async def _player(server: str, **register: Any) -> tuple[Api, str]:
    """A registered, signed-in player of aurora (bearer token) and its global id."""
    api = Api(server, AURORA)
    email = f"protect-{uuid.uuid4().hex[:8]}@example.com"
    registered = await api.register(email=email, **register)
    assert registered["errors"] == []
    await api.login(email)
    return api, registered["player"]["id"]


async def _email(api: Api) -> str:
    viewer = (await api.query("query { viewer { player { email } } }")).data["viewer"]
    return str(viewer["player"]["email"])


def _eur(amount: str) -> dict[str, str]:
    return {"amount": amount, "currency": "EUR"}


async def test_a_deposit_limit_set_at_registration_shows_with_its_usage(server: str) -> None:
    api, _ = await _player(server, depositLimit={"period": "DAY", "amount": "50.00"})

    player = (await api.query(VIEWER)).data["viewer"]["player"]

    assert player == {
        "realityCheckMinutes": None,
        "timeOutUntil": None,
        "limits": [
            {
                "kind": "DEPOSIT", "period": "DAY", "amount": _eur("50.00"),
                "used": {"amount": "0.00"}, "remaining": {"amount": "50.00"},
                "minutes": None, "usedMinutes": None, "remainingMinutes": None, "pending": None,
            }
        ],
        "realityCheck": None,
    }  # fmt: skip
    await api.aclose()


async def test_a_registration_with_an_invalid_limit_registers_nobody(server: str) -> None:
    api = Api(server, AURORA)
    email = f"protect-{uuid.uuid4().hex[:8]}@example.com"

    registered = await api.register(email=email, depositLimit={"period": "DAY", "amount": "-5"})

    assert registered == {
        "player": None,
        "errors": [
            {
                "code": "INVALID_LIMIT",
                "field": "depositLimit",
                "message": "Give a positive deposit limit in your currency.",
            }
        ],
    }
    assert (await api.login(email))["errors"][0]["code"] == "INVALID_CREDENTIALS"
    await api.aclose()


async def test_a_deposit_over_the_limit_is_refused_with_what_is_left(server: str) -> None:
    api, _ = await _player(server)
    await api.query(SET_LIMIT, {"i": {"kind": "DEPOSIT", "period": "WEEK", "amount": _eur("20")}})

    refused = (
        await api.query(DEPOSIT, {"i": {"amount": _eur("20.01"), "idempotencyKey": "dep-1"}})
    ).data["deposit"]
    allowed = (
        await api.query(DEPOSIT, {"i": {"amount": _eur("20.00"), "idempotencyKey": "dep-2"}})
    ).data["deposit"]

    assert refused == {
        "payment": None,
        "errors": [
            {
                "code": "DEPOSIT_LIMIT_REACHED",
                "field": "amount",
                "message": "This is over your deposit limit: 20.00 EUR left.",
            }
        ],
    }
    assert allowed["errors"] == []
    limits = (await api.query(VIEWER)).data["viewer"]["player"]["limits"]
    assert (limits[0]["used"], limits[0]["remaining"]) == ({"amount": "20.00"}, {"amount": "0.00"})
    await api.aclose()


async def test_an_increase_is_pending_until_confirmed_after_24_hours(
    server: str, db: Database
) -> None:
    api, player_id = await _player(server)
    wager = {"kind": "WAGER", "period": "MONTH"}
    await api.query(SET_LIMIT, {"i": {**wager, "amount": _eur("100")}})

    raised = (await api.query(SET_LIMIT, {"i": {**wager, "amount": _eur("150")}})).data
    early = (await api.query(CONFIRM, {"i": wager})).data["confirmLimitChange"]
    # A day passes for the request (the session stays fresh: moving the clock would idle it).
    async with db.transaction() as uow:
        await uow.session.execute(
            text(
                "UPDATE player_limits SET pending_requested_at = pending_requested_at"
                " - interval '24 hours 1 second' WHERE player_id = :player"
            ),
            {"player": from_base64(player_id)[1]},
        )
    confirmed = (await api.query(CONFIRM, {"i": wager})).data["confirmLimitChange"]

    limit = raised["setLimit"]["limit"]
    assert (limit["amount"], limit["pending"]["amount"]) == (_eur("100.00"), {"amount": "150.00"})
    assert limit["pending"]["removal"] is False
    assert early["limit"] is None
    assert [(e["code"], e["field"]) for e in early["errors"]] == [("COOLING_OFF", "kind")]
    assert (confirmed["limit"]["amount"], confirmed["limit"]["pending"]) == (_eur("150.00"), None)
    await api.aclose()


async def test_a_removal_is_pending_and_a_session_limit_counts_minutes(server: str) -> None:
    api, _ = await _player(server)
    session = {"kind": "SESSION", "period": "SESSION"}
    await api.query(SET_LIMIT, {"i": {**session, "minutes": 90}})

    removal = (await api.query(REMOVE, {"i": session})).data["removeLimit"]
    wrong = (await api.query(SET_LIMIT, {"i": {**session, "amount": _eur("5")}})).data

    assert removal["errors"] == []
    assert removal["limit"]["minutes"] == 90
    assert removal["limit"]["pending"]["removal"] is True
    assert removal["limit"]["usedMinutes"] == 0
    assert [(e["code"], e["field"]) for e in wrong["setLimit"]["errors"]] == [
        ("INVALID_LIMIT", "minutes")
    ]
    await api.aclose()


async def test_place_bet_over_the_wager_limit_is_a_typed_rejection(
    server: str, db: Database
) -> None:
    api, player_id = await signed_in_bettor(server, AURORA, db)
    gbp = {"amount": "10.00", "currency": "GBP"}
    await api.query(SET_LIMIT, {"i": {"kind": "WAGER", "period": "DAY", "amount": gbp}})
    market = await add_market(db, {"home": "2.50", "away": "1.60"})

    refused = (
        await api.query(PLACE_BET, {"i": single(market.outcomes["home"], "2.50", "k1", "10.01")})
    ).data["placeBet"]

    assert refused["bet"] is None
    assert refused["errors"] == [
        {
            "code": "WAGER_LIMIT_REACHED",
            "field": "stake",
            "message": "This is over your wager limit: 10.00 GBP left.",
        }
    ]
    assert await cash_of(db, player_id) == 100_00
    await api.aclose()


async def test_a_time_out_signs_out_and_refuses_sign_in(server: str) -> None:
    api, _ = await _player(server)
    email = await _email(api)

    taken = (await api.query(TIME_OUT, {"i": {"period": "ONE_WEEK", "confirm": True}})).data

    assert taken["takeTimeOut"]["errors"] == []
    assert taken["takeTimeOut"]["timeOutUntil"] is not None
    assert (await api.query("query { viewer { player { id } } }")).data["viewer"] is None
    again = await api.login(email)
    assert [error["code"] for error in again["errors"]] == ["TIMED_OUT"]
    await api.aclose()


async def test_a_time_out_needs_confirmation(server: str) -> None:
    api, _ = await _player(server)

    refused = (await api.query(TIME_OUT, {"i": {"period": "ONE_DAY", "confirm": False}})).data

    assert refused["takeTimeOut"] == {
        "timeOutUntil": None,
        "errors": [{"code": "CONFIRMATION_REQUIRED", "field": "confirm"}],
    }
    assert (await api.query(VIEWER)).data["viewer"]["player"]["timeOutUntil"] is None
    await api.aclose()


async def test_reality_checks_are_chosen_and_shown_on_the_viewer(server: str) -> None:
    api, _ = await _player(server)

    chosen = (await api.query(REALITY, {"i": {"minutes": 30}})).data["setRealityCheck"]
    invalid = (await api.query(REALITY, {"i": {"minutes": 20}})).data["setRealityCheck"]

    assert chosen == {"realityCheckMinutes": 30, "errors": []}
    assert invalid["errors"] == [{"code": "INVALID_LIMIT", "field": "minutes"}]
    player = (await api.query(VIEWER)).data["viewer"]["player"]
    assert player["realityCheckMinutes"] == 30
    assert player["realityCheck"] == {
        "minutes": 30,
        "due": False,
        "netLoss": {"amount": "0.00", "currency": "EUR"},
    }
    await api.aclose()


@pytest.mark.parametrize(
    ("role", "visible"), [("support", True), ("risk", True), ("trader", False)]
)
async def test_staff_with_player_read_see_a_players_limits(
    server: str, db: Database, role: str, visible: bool
) -> None:
    api, global_id = await _player(server, depositLimit={"period": "MONTH", "amount": "75"})
    staff = await signed_in_staff(server, AURORA, db, [role])

    seen = await staff.query(STAFF_LIMITS, {"id": global_id})

    if visible:
        assert seen.data["node"] == {
            "limits": [{"kind": "DEPOSIT", "period": "MONTH", "amount": {"amount": "75.00"}}]
        }
    else:
        assert seen.body["data"]["node"] is None or error_codes(seen)
    assert uuid.UUID(from_base64(global_id)[1])
    await api.aclose()
    await staff.aclose()
