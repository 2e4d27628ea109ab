"""Results by hand: a trader results a market, voids it, cancels the bets placed in a
window, and rolls back a settlement or a cancellation.

One path with the feed: each action is the feed message that says the same
(bet_settlement, bet_cancel, rollback_bet_settlement, rollback_bet_cancel) from the
producer `TRADER_PRODUCER`, applied by the feed's processing. It sets the market's results
or cancellation register (domain.sportsbook.feed.results) and the market's runs converge
to it: a trader's rollback and resettlement pay exactly as the feed's do, and a market the
feed prices may be corrected by a trader, and the other way round.

Ordering against the feed: a trader's message takes the next sequence after everything
the market's registers and its event have seen, so it is the newest word on the market
now; a feed message about the market sent later carries a later sequence and is newer
still (a feed's sequence grows with every message about the event).

Who may: the platform trading desk (MARKET_TRADE over every brand): a market's results
pay or void every brand's bets. Every action is audited with its reason.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from domain.accounts.principal import Principal
from domain.kernel.db import UnitOfWork
from domain.kernel.errors import DomainError
from domain.sportsbook.booking import desk_staff, event_ref_of, record_action, trader_fields
from domain.sportsbook.errors import InvalidResults, MarketNotFound, MarketNotSettled
from domain.sportsbook.feed import results as registers
from domain.sportsbook.feed.port import (
    POSITION_MAX,
    BetCancel,
    BetSettlement,
    MarketRef,
    MarketResult,
    OutcomeResult,
    RollbackBetCancel,
    RollbackBetSettlement,
)
from domain.sportsbook.feed.processing import Applied, process_message
from domain.sportsbook.models import FeedMarketResults, Market, Outcome, ResultKind

DEAD_HEAT_PLACES = Decimal("0.0001")
# The industry's (result, void factor) of each of our result kinds.
_WIRE: dict[ResultKind, tuple[int, Decimal]] = {
    ResultKind.WIN: (1, Decimal(0)),
    ResultKind.LOSE: (0, Decimal(0)),
    ResultKind.VOID: (0, Decimal(1)),
    ResultKind.HALF_WIN: (1, Decimal("0.5")),
    ResultKind.HALF_LOSE: (0, Decimal("0.5")),
}


class InvalidCancelWindow(DomainError):
    code = "INVALID_CANCEL_WINDOW"
    message = "A window starts before it ends."


class MarketNotCancelled(DomainError):
    code = "MARKET_NOT_CANCELLED"
    message = "No cancellation of this market stands to roll back."


@dataclass(frozen=True)
class TraderResult:
    """An outcome's result: a kind, a dead-heat factor for a tied winner (1 unless
    tied), and for racing the finishing position (the place part of each-way bets)."""

    outcome_id: int
    result: ResultKind
    dead_heat_factor: Decimal = Decimal(1)
    place: int | None = None


@dataclass(frozen=True)
class _Target:
    market: Market
    ref: MarketRef
    event_ref: str
    sequence: int


async def _target(uow: UnitOfWork, market_id: int) -> _Target:
    """The market, how the feed names it, and the sequence a trader's message about it
    takes now. Errors: MarketNotFound."""
    market = await uow.session.get(Market, market_id)
    if market is None:
        raise MarketNotFound(field="marketId")
    event, event_ref = await event_ref_of(uow, market.event_id)
    stamps = (
        await uow.session.execute(
            select(FeedMarketResults.results_sequence, FeedMarketResults.cancel_sequence).where(
                FeedMarketResults.market_id == market_id
            )
        )
    ).first()
    newest = max(event.feed_sequence, *(stamps or (0, 0)))
    return _Target(market, MarketRef(market.type, market.specifiers), event_ref, newest + 1)


async def _apply(uow: UnitOfWork, message: Any) -> None:
    if await process_message(uow, message) is not Applied.APPLIED:
        raise InvalidResults(field="outcomes")


def _outcome_result(key: str, given: TraderResult, places: int | None) -> OutcomeResult:
    """Errors: InvalidResults (a combination that means nothing)."""
    result, void_factor = _WIRE[given.result]
    heat = given.dead_heat_factor
    if (
        not heat.is_finite()
        or heat != heat.quantize(DEAD_HEAT_PLACES)
        or not 0 < heat <= 1
        or (heat != 1 and given.result is not ResultKind.WIN)
        or (given.place is not None and not 1 <= given.place <= POSITION_MAX)
    ):
        raise InvalidResults(field="outcomes")
    wire = OutcomeResult(key, result, void_factor, heat, given.place)
    if registers.leg_result(wire, places) is None:
        raise InvalidResults(field="outcomes")
    return wire


async def result_market(
    uow: UnitOfWork, actor: Principal | None, market_id: int,
    outcomes: Sequence[TraderResult], *, reason: str,
) -> Market:  # fmt: skip
    """Result every outcome of the market (a market resulted before is corrected: its
    bets are rolled back and settled on these results). Errors: NotAuthenticated,
    PermissionDenied, TwoFactorRequired, PasswordChangeRequired, ReasonRequired,
    DomainError (reason), MarketNotFound, InvalidResults (not exactly the market's
    outcomes, or a result that means nothing: a dead heat of a loser, a position on a
    market without place terms, a winner outside the places)."""
    staff, cleaned = desk_staff(actor, reason)
    target = await _target(uow, market_id)
    keys = dict(
        (await uow.session.execute(
            select(Outcome.id, Outcome.key).where(Outcome.market_id == market_id)
        )).all()
    )  # fmt: skip
    given = {result.outcome_id: result for result in outcomes}
    if set(given) != set(keys) or len(given) != len(outcomes):
        raise InvalidResults(field="outcomes")
    places = target.market.each_way_places
    wire = tuple(_outcome_result(keys[i], given[i], places) for i in sorted(given))
    market = target.market
    result = MarketResult(market.type, wire, market.specifiers)
    await _apply(
        uow,
        BetSettlement(**trader_fields(target.event_ref, target.sequence), markets=(result,)),
    )
    await record_action(
        uow, staff, "sportsbook.market.result", ("sportsbook_market", market_id),
        reason=cleaned, before={"status": market.status},
        after={"results": {r.key: _described(r) for r in wire}},
    )  # fmt: skip
    return market


def _described(result: OutcomeResult) -> dict[str, Any]:
    return {
        "result": result.result, "void_factor": str(result.void_factor),
        "dead_heat_factor": str(result.dead_heat_factor), "place": result.place,
    }  # fmt: skip


async def cancel_bets(
    uow: UnitOfWork, actor: Principal | None, market_id: int, *,
    placed_from: datetime | None, placed_to: datetime | None, reason: str,
) -> Market:  # fmt: skip
    """Void the market's bets placed in [placed_from, placed_to) (stakes returned); with
    neither, void the whole market. Replaces a cancellation that stood. Errors: those of
    result_market but InvalidResults, and InvalidCancelWindow."""
    staff, cleaned = desk_staff(actor, reason)
    if placed_from is not None and placed_to is not None and placed_from >= placed_to:
        raise InvalidCancelWindow(field="placedTo")
    target = await _target(uow, market_id)
    await _apply(
        uow,
        BetCancel(
            **trader_fields(target.event_ref, target.sequence),
            markets=(target.ref,), start=placed_from, end=placed_to,
        ),
    )  # fmt: skip
    whole = placed_from is None and placed_to is None
    await record_action(
        uow, staff, "sportsbook.market.void" if whole else "sportsbook.bets.cancel",
        ("sportsbook_market", market_id), reason=cleaned, before={"status": target.market.status},
        after={
            "placed_from": placed_from.isoformat() if placed_from else None,
            "placed_to": placed_to.isoformat() if placed_to else None,
        },
    )  # fmt: skip
    return target.market


async def rollback_settlement(
    uow: UnitOfWork, actor: Principal | None, market_id: int, *, reason: str
) -> Market:
    """Undo the market's results: payouts reversed, bets open again, the market
    suspended until priced or resulted again. Errors: those of result_market but
    InvalidResults, and MarketNotSettled."""
    staff, cleaned = desk_staff(actor, reason)
    target = await _target(uow, market_id)
    wanted = await uow.session.scalar(
        select(FeedMarketResults.results).where(FeedMarketResults.market_id == market_id)
    )
    if wanted is None:
        raise MarketNotSettled(field="marketId")
    await _apply(
        uow,
        RollbackBetSettlement(
            **trader_fields(target.event_ref, target.sequence), markets=(target.ref,)
        ),
    )
    await record_action(
        uow, staff, "sportsbook.market.rollback", ("sportsbook_market", market_id),
        reason=cleaned, before={"status": target.market.status, "results": wanted},
        after={"results": None},
    )  # fmt: skip
    return target.market


async def rollback_cancellation(
    uow: UnitOfWork, actor: Principal | None, market_id: int, *, reason: str
) -> Market:
    """Reinstate the bets a cancellation voided (stakes taken again). Errors: those of
    result_market but InvalidResults, and MarketNotCancelled."""
    staff, cleaned = desk_staff(actor, reason)
    target = await _target(uow, market_id)
    window = (
        await uow.session.execute(
            select(FeedMarketResults.cancel_from, FeedMarketResults.cancel_to).where(
                FeedMarketResults.market_id == market_id
            )
        )
    ).first()
    if window is None or window.cancel_from is None:
        raise MarketNotCancelled(field="marketId")
    await _apply(
        uow,
        RollbackBetCancel(
            **trader_fields(target.event_ref, target.sequence), markets=(target.ref,)
        ),
    )
    await record_action(
        uow, staff, "sportsbook.cancellation.rollback", ("sportsbook_market", market_id),
        reason=cleaned,
        before={
            "placed_from": window.cancel_from.isoformat(),
            "placed_to": window.cancel_to.isoformat(),
        },
        after={"placed_from": None, "placed_to": None},
    )  # fmt: skip
    return target.market
