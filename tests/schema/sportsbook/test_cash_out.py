"""Cash-out: the value (stake x odds taken / odds now x (1 - margin)), unavailable while a
market is suspended, the price re-checked at acceptance, paid once per key through the
ledger with the liability released."""

from __future__ import annotations

import uuid
from decimal import Decimal
from fractions import Fraction

from sqlalchemy import select

from domain.kernel.db import Database
from domain.kernel.outbox import OutboxEvent
from domain.sportsbook.cashout import QuoteLeg, value_minor
from domain.sportsbook.models import Outcome, OutcomeLiability, ResultKind
from domain.sportsbook.returns import LegResult
from domain.wallets import invariants
from tests.schema.sportsbook.support import (
    add_market,
    cash_of,
    gid,
    set_market_status,
    set_odds,
    signed_in_bettor,
)
from tests.schema.sportsbook.test_place_bet import PLACE_BET, single
from tests.support import AURORA, Api

CASH_OUT = """mutation($i: CashOutInput!) { cashOut(input: $i) {
  bet { status payout { amount currency } cashOutValue { amount } }
  payout { amount currency } replayed currentValue { amount currency }
  errors { code field } } }"""
VALUE = "query($id: ID!) { node(id: $id) { ... on Bet { cashOutValue { amount currency } } } }"


def _leg(taken: str, now: str, *, open_for_betting: bool = True, result: LegResult | None = None) -> QuoteLeg:  # fmt: skip
    return QuoteLeg(Decimal(taken), Decimal(now), open_for_betting, result)


def test_a_ten_pound_single_at_three_now_at_one_fifty_offers_nineteen_pounds() -> None:
    assert value_minor(10_00, [_leg("3.00", "1.50")], Decimal("0.05")) == 19_00


def test_won_legs_count_at_their_settled_odds_and_lost_or_suspended_legs_offer_nothing() -> None:
    won = LegResult(ResultKind.WIN)
    half = LegResult(ResultKind.WIN, dead_heat=Fraction(1, 2))

    assert value_minor(10_00, [_leg("2.00", "9.99", result=won), _leg("3.00", "1.50")], Decimal("0.05")) == 38_00  # fmt: skip
    assert value_minor(10_00, [_leg("4.00", "9.99", result=half), _leg("3.00", "1.50")], Decimal("0.05")) == 38_00  # fmt: skip
    assert value_minor(10_00, [_leg("2.00", "2", result=LegResult(ResultKind.LOSE)), _leg("3.00", "1.50")], Decimal("0.05")) is None  # fmt: skip
    assert value_minor(10_00, [_leg("3.00", "1.50", open_for_betting=False)], Decimal("0.05")) is None  # fmt: skip
    assert value_minor(10_00, [_leg("3.00", "3.33")], Decimal("0.05")) == 8_55


async def _placed(api: Api, outcome_id: int, odds: str) -> str:
    placed = await api.query(PLACE_BET, {"i": single(outcome_id, odds, str(uuid.uuid4()))})
    return str(placed.data["placeBet"]["bet"]["id"])


def _cash_out(bet: str, amount: str, key: str = "co-1") -> dict[str, object]:
    return {
        "i": {
            "bet": bet,
            "expectedValue": {"amount": amount, "currency": "GBP"},
            "idempotencyKey": key,
        }
    }


async def _liability(db: Database, outcome_id: int) -> int:
    async with db.uow() as uow:
        return int(
            await uow.session.scalar(
                select(OutcomeLiability.liability_minor).where(
                    OutcomeLiability.outcome_id == outcome_id
                )
            )
            or 0
        )


async def test_cash_out_pays_the_value_once_and_releases_the_liability(
    server: str, db: Database
) -> None:
    api, player = await signed_in_bettor(server, AURORA, db)
    market = await add_market(db, {"home": "3.00", "away": "1.40"})
    home = market.outcomes["home"]
    bet = await _placed(api, home, "3.00")
    liability_before = await _liability(db, home)
    await set_odds(db, home, "1.50")

    offered = (await api.query(VALUE, {"id": bet})).data["node"]["cashOutValue"]
    paid = (await api.query(CASH_OUT, _cash_out(bet, "19.00"))).data["cashOut"]
    replay = (await api.query(CASH_OUT, _cash_out(bet, "19.00"))).data["cashOut"]
    other_key = (await api.query(CASH_OUT, _cash_out(bet, "19.00", "co-2"))).data["cashOut"]

    assert offered == {"amount": "19.00", "currency": "GBP"}
    assert paid == {
        "bet": {"status": "CASHED_OUT", "payout": {"amount": "19.00", "currency": "GBP"},
                "cashOutValue": None},
        "payout": {"amount": "19.00", "currency": "GBP"},
        "replayed": False,
        "currentValue": None,
        "errors": [],
    }  # fmt: skip
    assert (replay["payout"], replay["replayed"]) == ({"amount": "19.00", "currency": "GBP"}, True)
    assert other_key["errors"] == [{"code": "CASH_OUT_UNAVAILABLE", "field": "bet"}]
    assert await cash_of(db, player) == 100_00 - 10_00 + 19_00
    assert (liability_before, await _liability(db, home)) == (30_00, 0)
    async with db.uow() as uow:
        topics = list(await uow.session.scalars(select(OutboxEvent.topic)))
        report = await invariants.check(uow)
    assert topics.count("sportsbook.bet_updated") == 1
    assert report.ok, report.violations
    await api.aclose()


async def test_a_suspended_market_offers_no_cash_out_and_refuses_one(
    server: str, db: Database
) -> None:
    api, player = await signed_in_bettor(server, AURORA, db)
    market = await add_market(db, {"home": "3.00", "away": "1.40"})
    bet = await _placed(api, market.outcomes["home"], "3.00")
    await set_market_status(db, market.market_id, "suspended")

    offered = (await api.query(VALUE, {"id": bet})).data["node"]["cashOutValue"]
    refused = (await api.query(CASH_OUT, _cash_out(bet, "9.50"))).data["cashOut"]

    assert offered is None
    assert refused["errors"] == [{"code": "CASH_OUT_UNAVAILABLE", "field": "bet"}]
    assert await cash_of(db, player) == 90_00
    assert await _liability(db, market.outcomes["home"]) == 30_00
    await api.aclose()


async def test_a_lower_value_now_is_refused_with_the_value_now_and_a_higher_one_paid(
    server: str, db: Database
) -> None:
    api, player = await signed_in_bettor(server, AURORA, db)
    market = await add_market(db, {"home": "3.00", "away": "1.40"})
    home = market.outcomes["home"]
    bet = await _placed(api, home, "3.00")
    await set_odds(db, home, "1.60")

    lower = (await api.query(CASH_OUT, _cash_out(bet, "19.00"))).data["cashOut"]
    cash_after_refusal = await cash_of(db, player)
    await set_odds(db, home, "1.40")
    higher = (await api.query(CASH_OUT, _cash_out(bet, "19.00", "co-3"))).data["cashOut"]
    stranger, _ = await signed_in_bettor(server, AURORA, db)
    foreign = (await stranger.query(CASH_OUT, _cash_out(bet, "1.00"))).data["cashOut"]

    assert lower["errors"] == [{"code": "CASH_OUT_VALUE_CHANGED", "field": "expectedValue"}]
    assert lower["currentValue"] == {"amount": "17.81", "currency": "GBP"}
    assert cash_after_refusal == 90_00
    # 10 x 3.00 / 1.40 x 0.95 = 20.357..., rounded down.
    assert higher["payout"] == {"amount": "20.35", "currency": "GBP"}
    assert foreign["errors"] == [{"code": "BET_NOT_FOUND", "field": "bet"}]
    assert await cash_of(db, player) == 90_00 + 20_35
    async with db.uow() as uow:
        assert (await uow.session.get_one(Outcome, home)).odds == Decimal("1.4000")
    for closing in (api, stranger):
        await closing.aclose()


async def test_a_multiple_with_a_won_leg_counts_it_at_its_odds(server: str, db: Database) -> None:
    api, _player = await signed_in_bettor(server, AURORA, db)
    first = await add_market(db, {"home": "2.00", "away": "1.80"})
    second = await add_market(db, {"home": "3.00", "away": "1.40"})
    multiple = {
        "selections": [
            {"outcome": gid("Outcome", first.outcomes["home"]), "odds": "2.00"},
            {"outcome": gid("Outcome", second.outcomes["home"]), "odds": "3.00"},
        ],
        "type": "MULTIPLE",
        "stake": {"amount": "10.00", "currency": "GBP"},
        "idempotencyKey": "multi-1",
    }
    bet = (await api.query(PLACE_BET, {"i": multiple})).data["placeBet"]["bet"]["id"]
    async with db.transaction() as uow:
        (await uow.session.get_one(Outcome, first.outcomes["home"])).result = "win"
    await set_market_status(db, first.market_id, "settled")
    await set_odds(db, second.outcomes["home"], "1.50")

    offered = (await api.query(VALUE, {"id": bet})).data["node"]["cashOutValue"]

    assert offered == {"amount": "38.00", "currency": "GBP"}
    await api.aclose()
