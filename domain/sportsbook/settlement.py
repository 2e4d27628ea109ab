"""Settlement: a market's results settle every open bet that has a leg on it, in chunks.

A run (id from the message that carries the results) first records the results, marks
the market settled and splits its bets into lanes (`runs.start_run`), in one transaction.
Then each chunk of a lane, in a transaction of its own: locks the lane row (a duplicate
delivery of the same message waits, then resumes at the cursor), takes the lane's next
`limit` bet ids that have a leg on the market (keyset on the (market_id, bet_id) index),
locks those still open (`status = 'open'`), computes each bet whose legs are all resulted,
pays them through `wallets.settlement.pay_many` (one call; each payout under the key
bet:<id>:settlement:<n>), and writes statuses, leg factors and the cursor. A worker killed
mid-chunk loses only that chunk's transaction; the rerun resumes each lane after its last
committed chunk, so every bet is paid exactly once.

A multiple stays open until its last leg's market is resulted: that market's run settles
it. Rollback and cancellation are in `domain.sportsbook.corrections`.
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Any

from sqlalchemy import bindparam, select, text, update
from sqlalchemy.dialects.postgresql import ARRAY, BIGINT

from domain.bonuses import free_bets
from domain.kernel import clock
from domain.kernel.db import Database, UnitOfWork
from domain.kernel.outbox import emit
from domain.kernel.settings import get_settings
from domain.sportsbook import returns
from domain.sportsbook.errors import (
    InvalidResults,
    MarketAlreadySettled,
)
from domain.sportsbook.events import BetsSettled, MarketResulted
from domain.sportsbook.models import (
    BetStatus,
    MarketStatus,
    Outcome,
    ResultKind,
    RunKind,
    RunStatus,
    SettlementRun,
)
from domain.sportsbook.runs import (
    CHUNK_SIZE,
    BetRow,
    Chunk,
    RunSummary,
    advance,
    drive,
    existing_run,
    lock_bets,
    lock_lane,
    lock_market,
    next_bet_ids,
    running_lanes,
    start_run,
)
from domain.wallets.ledger import IdempotencyScope
from domain.wallets.models import WalletKind
from domain.wallets.settlement import Payout, pay_many

PAYOUT_SCOPE = IdempotencyScope("sportsbook", "sportsbook.payout")
FACTOR_PLACES = Decimal("0.0000000001")


@dataclass(frozen=True)
class LegRow:
    bet_id: int
    leg_number: int
    odds: Decimal
    each_way_places: int | None
    fraction_numerator: int | None
    fraction_denominator: int | None
    result: returns.LegResult | None


@dataclass(frozen=True)
class Settled:
    bet: BetRow
    status: BetStatus
    payout_minor: int
    legs: list[tuple[LegRow, Fraction, Fraction | None]]


# ---- results -----------------------------------------------------------------------------


def results_to_json(results: Mapping[int, returns.LegResult]) -> dict[str, dict[str, str]]:
    """The wire form of results (an outbox payload, a run's request)."""
    return {
        str(outcome): {
            "result": r.result.value,
            "dead_heat": str(r.dead_heat),
            **({"place_result": r.place_result.value} if r.place_result else {}),
            "place_dead_heat": str(r.place_dead_heat),
            **({"position": str(r.position)} if r.position is not None else {}),
        }
        for outcome, r in sorted(results.items())
    }


def results_from_json(raw: Mapping[str, Mapping[str, str]]) -> dict[int, returns.LegResult]:
    """Errors: InvalidResults."""
    try:
        return {
            int(outcome): returns.LegResult(
                ResultKind(r["result"]),
                Fraction(r.get("dead_heat", "1")),
                ResultKind(r["place_result"]) if r.get("place_result") else None,
                Fraction(r.get("place_dead_heat", "1")),
                int(r["position"]) if r.get("position") else None,
            )
            for outcome, r in raw.items()
        }
    except (KeyError, ValueError, ZeroDivisionError):
        raise InvalidResults(field="results") from None


async def record_results(
    uow: UnitOfWork,
    *,
    market_id: int,
    results: Mapping[int, returns.LegResult],
    run_id: uuid.UUID,
    lanes: int | None = None,
) -> SettlementRun:
    """Write the market's results, mark it settled and open the run (idempotent per run id:
    a replay returns the run, to be resumed or already completed).

    Errors: MarketNotFound, InvalidResults, MarketAlreadySettled, SettlementConflict,
    RollbackInProgress."""
    market = await lock_market(uow, market_id)
    request = {"results": results_to_json(results)}
    run = await existing_run(uow, run_id, market_id=market_id, kind=RunKind.SETTLE, request=request)
    if run is not None:
        return run
    if market.status == MarketStatus.SETTLED:
        raise MarketAlreadySettled(field="marketId")
    await write_results(uow, market_id, results)
    market.status = MarketStatus.SETTLED.value
    market.settled_at = clock.now()
    if lanes is None:
        lanes = get_settings().settlement_lanes
    return await start_run(
        uow, run_id, market_id=market_id, kind=RunKind.SETTLE, request=request, lanes=lanes
    )


async def write_results(
    uow: UnitOfWork, market_id: int, results: Mapping[int, returns.LegResult]
) -> None:
    """Write each outcome's result (the caller holds the market's lock).

    Errors: InvalidResults (not exactly the market's outcomes)."""
    outcome_ids = set(
        await uow.session.scalars(select(Outcome.id).where(Outcome.market_id == market_id))
    )
    if set(results) != outcome_ids:
        raise InvalidResults(field="results")
    for outcome_id, result in results.items():
        await uow.session.execute(
            update(Outcome)
            .where(Outcome.id == outcome_id)
            .values(
                result=result.result.value,
                dead_heat_numerator=result.dead_heat.numerator,
                dead_heat_denominator=result.dead_heat.denominator,
                place_result=result.place_result.value if result.place_result else None,
                place_dead_heat_numerator=result.place_dead_heat.numerator,
                place_dead_heat_denominator=result.place_dead_heat.denominator,
                position=result.position,
            )
        )


# ---- chunks ------------------------------------------------------------------------------

_LEGS = text("""
SELECT l.bet_id, l.leg_number, l.odds, l.each_way_places, l.each_way_fraction_numerator,
       l.each_way_fraction_denominator, o.result, o.dead_heat_numerator,
       o.dead_heat_denominator, o.place_result, o.place_dead_heat_numerator,
       o.place_dead_heat_denominator
  FROM sportsbook_bet_legs l JOIN sportsbook_outcomes o ON o.id = l.outcome_id
 WHERE l.bet_id = ANY(:ids)
 ORDER BY l.bet_id, l.leg_number
""").bindparams(bindparam("ids", type_=ARRAY(BIGINT)))

_SETTLE_BETS = text("""
UPDATE sportsbook_bets b
   SET status = u.status, payout_minor = u.payout, payout_transaction_id = u.transaction_id,
       settled_at = now(), settlement_run_id = :run,
       settlement_count = b.settlement_count + 1
  FROM unnest(CAST(:ids AS bigint[]), CAST(:statuses AS text[]), CAST(:payouts AS bigint[]),
              CAST(:transactions AS bigint[])) AS u(id, status, payout, transaction_id)
 WHERE b.id = u.id AND b.status = 'open'
""")

_SETTLE_LEGS = text("""
UPDATE sportsbook_bet_legs l
   SET result = u.result, win_factor = u.win_factor, place_factor = u.place_factor
  FROM unnest(CAST(:bets AS bigint[]), CAST(:numbers AS smallint[]), CAST(:results AS text[]),
              CAST(:win_factors AS numeric[]), CAST(:place_factors AS numeric[]))
       AS u(bet_id, leg_number, result, win_factor, place_factor)
 WHERE l.bet_id = u.bet_id AND l.leg_number = u.leg_number
""")


async def settle_chunk(
    uow: UnitOfWork, *, run_id: uuid.UUID, lane: int = 0, limit: int = CHUNK_SIZE
) -> Chunk:
    """Settle the lane's next `limit` bets (see the module docstring). Flushes, never
    commits: one chunk per unit of work."""
    run, walk = await lock_lane(uow, run_id, lane)
    assert run.kind == RunKind.SETTLE
    if walk.status == RunStatus.COMPLETED:
        return Chunk(0, 0, done=True)
    scanned = await next_bet_ids(uow, run, walk, limit)
    bets = await lock_bets(uow, scanned, [BetStatus.OPEN])
    legs = await _legs_of(uow, [bet.id for bet in bets])
    settled = [s for bet in bets if (s := settle_bet(bet, legs.get(bet.id, []))) is not None]
    transactions = await pay_many(
        uow,
        [payout for s in settled if (payout := _payout(s)) is not None],
        scope=PAYOUT_SCOPE,
        kind="sportsbook.payout",
    )
    await _write_settled(uow, run.id, settled, transactions)
    free = [s for s in settled if s.bet.free_bet]
    if free:
        # A void free bet is usable again (its stake is back); a won or lost one is spent.
        await free_bets.bets_settled(
            uow,
            void_bet_ids=[s.bet.id for s in free if s.status is BetStatus.VOID],
            settled_bet_ids=[s.bet.id for s in free if s.status is not BetStatus.VOID],
        )
    chunk = await advance(uow, walk, scanned, len(settled), limit)
    if settled:
        await emit(
            uow,
            BetsSettled(run.market_id, run.id, [s.bet.id for s in settled]),
            brand=None,
        )
    await uow.flush()
    return chunk


async def _legs_of(uow: UnitOfWork, bet_ids: Sequence[int]) -> dict[int, list[LegRow]]:
    found: dict[int, list[LegRow]] = {}
    if not bet_ids:
        return found
    # A chunk's legs mostly share a few outcomes and prices: one result and one odds
    # value each, not one per leg.
    results: dict[tuple[Any, ...], returns.LegResult | None] = {}
    for row in await uow.session.execute(_LEGS, {"ids": list(bet_ids)}):
        outcome = tuple(row[6:])
        if outcome not in results:
            results[outcome] = _leg_result(outcome)
        found.setdefault(row.bet_id, []).append(
            LegRow(
                row.bet_id,
                row.leg_number,
                row.odds,
                row.each_way_places,
                row.each_way_fraction_numerator,
                row.each_way_fraction_denominator,
                results[outcome],
            )
        )
    return found


def _leg_result(outcome: tuple[Any, ...]) -> returns.LegResult | None:
    """An outcome's result from its columns: result, dead heat (numerator, denominator),
    place result, place dead heat (numerator, denominator)."""
    result, heat_n, heat_d, place_result, place_heat_n, place_heat_d = outcome
    if result is None:
        return None
    return returns.LegResult(
        ResultKind(result),
        Fraction(heat_n, heat_d),
        ResultKind(place_result) if place_result else None,
        Fraction(place_heat_n, place_heat_d),
    )


def settle_bet(bet: BetRow, legs: Sequence[LegRow]) -> Settled | None:
    """The bet's outcome once every leg is resulted (None before). Pure.

    Every leg void: VOID, the stake is returned (a free bet's to the free-bet wallet).
    Otherwise the return of every line and part, rounded down once; a free bet's stake is
    not returned with it. Nothing returned: LOST; anything: WON."""
    results = [leg.result for leg in legs]
    if not legs or None in results:
        return None
    win: list[Fraction] = []
    place: list[Fraction] | None = [] if bet.each_way else None
    factors: list[tuple[LegRow, Fraction, Fraction | None]] = []
    all_void = True
    for leg, result in zip(legs, results, strict=True):
        assert result is not None
        return_leg = _return_leg(leg, each_way=bet.each_way)
        win_factor = returns.win_factor(return_leg, result)
        place_factor = None
        if place is not None:
            place_factor = returns.place_factor(return_leg, result)
            place.append(place_factor)
        win.append(win_factor)
        factors.append((leg, win_factor, place_factor))
        all_void = all_void and result.result is ResultKind.VOID
    if all_void:
        return Settled(bet, BetStatus.VOID, bet.total_stake_minor, factors)
    gross = returns.to_minor(
        returns.return_of_factors(bet.stake_minor, win, place, tuple(bet.combination_sizes))
    )
    payout = returns.net_return_minor(gross, bet.total_stake_minor, free_bet=bet.free_bet)
    return Settled(bet, BetStatus.WON if payout > 0 else BetStatus.LOST, payout, factors)


def _return_leg(leg: LegRow, *, each_way: bool) -> returns.Leg:
    odds = _fraction(leg.odds)
    if not each_way:
        return returns.Leg(odds)
    assert leg.each_way_places is not None, "each-way bets are placed on place terms"
    assert leg.fraction_numerator is not None
    assert leg.fraction_denominator is not None
    terms = returns.PlaceTerms(
        leg.each_way_places, Fraction(leg.fraction_numerator, leg.fraction_denominator)
    )
    return returns.Leg(odds, terms)


@functools.lru_cache(maxsize=4096)
def _fraction(odds: Decimal) -> Fraction:
    """Odds as an exact fraction (a book quotes a few thousand distinct prices)."""
    return Fraction(odds)


def payout_key(bet_id: int, settlement_number: int) -> str:
    return f"bet:{bet_id}:settlement:{settlement_number}"


def _payout(settled: Settled) -> Payout | None:
    """Where the money goes: back in the stake's proportion; a free bet's winnings to cash
    (its stake was a token, not money), a void free bet's stake back to the free-bet
    wallet."""
    bet = settled.bet
    if settled.payout_minor == 0:
        return None
    assert bet.stake_split, "an accepted bet records how its stake was paid"
    split = {WalletKind(kind): int(paid) for kind, paid in bet.stake_split.items()}
    if bet.free_bet and settled.status is not BetStatus.VOID:
        split = {WalletKind.CASH: 1}
    return Payout(
        brand=bet.brand,
        player_id=bet.player_id,
        currency=bet.currency,
        amount_minor=settled.payout_minor,
        stake_split=split,
        key=payout_key(bet.id, bet.settlement_count + 1),
        metadata={"bet_id": bet.id},
    )


@functools.lru_cache(maxsize=4096)
def _decimal(value: Fraction | None) -> str | None:
    if value is None:
        return None
    return str((Decimal(value.numerator) / Decimal(value.denominator)).quantize(FACTOR_PLACES))


async def _write_settled(
    uow: UnitOfWork, run_id: uuid.UUID, settled: Sequence[Settled], transactions: dict[str, int]
) -> None:
    if not settled:
        return
    await uow.session.execute(
        _SETTLE_BETS,
        {
            "run": run_id,
            "ids": [s.bet.id for s in settled],
            "statuses": [s.status.value for s in settled],
            "payouts": [s.payout_minor for s in settled],
            "transactions": [
                transactions.get(payout_key(s.bet.id, s.bet.settlement_count + 1)) for s in settled
            ],
        },
    )
    legs = [(leg, win, place) for s in settled for leg, win, place in s.legs]
    await uow.session.execute(
        _SETTLE_LEGS,
        {
            "bets": [leg.bet_id for leg, _, _ in legs],
            "numbers": [leg.leg_number for leg, _, _ in legs],
            "results": [leg.result.result.value if leg.result else None for leg, _, _ in legs],
            "win_factors": [_decimal(win) for _, win, _ in legs],
            "place_factors": [_decimal(place) for _, _, place in legs],
        },
    )


async def settle_market(
    database: Database,
    *,
    market_id: int,
    results: Mapping[int, returns.LegResult],
    run_id: uuid.UUID,
    chunk_size: int = CHUNK_SIZE,
    lanes: int | None = None,
    time_budget_s: float | None = None,
) -> RunSummary:
    """Record the results and settle every affected bet, chunk by chunk, a huge market in
    `lanes` lanes (default: settings.settlement_lanes) side by side, in this process. Safe
    to repeat with the same run id (a redelivered message): it resumes, or does nothing if
    done.

    Errors: MarketNotFound, InvalidResults, MarketAlreadySettled, SettlementConflict,
    RollbackInProgress."""
    await start_settlement(
        database, market_id=market_id, results=results, run_id=run_id, lanes=lanes
    )
    return await settle_lanes(
        database, run_id=run_id, chunk_size=chunk_size, time_budget_s=time_budget_s
    )


async def start_settlement(
    database: Database,
    *,
    market_id: int,
    results: Mapping[int, returns.LegResult],
    run_id: uuid.UUID,
    lanes: int | None = None,
) -> list[int]:
    """Record the results and open the run's lanes (committed); returns the lanes still to
    settle (none when a redelivered message finds the run done). Errors: as
    `settle_market`."""
    async with database.uow() as uow:
        run = await record_results(
            uow, market_id=market_id, results=results, run_id=run_id, lanes=lanes
        )
        lanes_left = await running_lanes(uow, run.id)
        await uow.commit()
    return lanes_left


async def settle_lanes(
    database: Database,
    *,
    run_id: uuid.UUID,
    lanes: Sequence[int] | None = None,
    chunk_size: int = CHUNK_SIZE,
    time_budget_s: float | None = None,
) -> RunSummary:
    """Settle `lanes` of a started run (None: all that are still running), side by side."""
    return await drive(
        database,
        settle_chunk,
        run_id=run_id,
        chunk_size=chunk_size,
        time_budget_s=time_budget_s,
        lanes=lanes,
    )


async def request_settlement(
    uow: UnitOfWork,
    *,
    market_id: int,
    results: Mapping[int, returns.LegResult],
    run_id: uuid.UUID | None = None,
) -> uuid.UUID:
    """Queue the market's settlement (a trader's entry point; the feed's results go
    through domain.sportsbook.feed.results, which also corrects them): an outbox
    event, committed with the caller's transaction, that `sportsbook.settle_market`
    consumes. Returns the run id."""
    run = run_id or uuid.uuid4()
    await emit(
        uow,
        MarketResulted(market_id=market_id, run_id=run, results=results_to_json(results)),
        brand=None,
    )
    return run
