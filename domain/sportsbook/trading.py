"""Trading tools: what a trader does to the book by hand, each checked against the staff
member's permissions and brand scope here in the domain and audited with the reason given.

Who owns the catalogue: events, markets, outcomes, prices and margins are one book shared
by every brand, so suspending, resuming, pricing or setting a margin changes what every
brand's players see and bet on. Those actions belong to the platform trading desk: staff
who hold every brand (a staff user without a brand list), checked as `EVERY_BRAND`. A
staff member of some brands only reads the liabilities their own brand's bets carry and
voids their own brand's bets.

- suspend / resume a market or a whole event (MARKET_TRADE). A trader's suspension holds
  against the feed and the heartbeat recovery until a trader resumes it;
- override an outcome's odds (MARKET_TRADE): the price holds against feed updates until
  released, when the feed's price (with our margin) returns;
- the margin per market type (MARKET_TRADE): applied to the feed's odds from the next
  odds_change on (`with_margin`);
- read an outcome's liability, the potential returns it carries per currency (MARKET_TRADE):
  the whole book's for the trading desk, the request brand's bets' for other staff;
- void an open or pending bet of the request's brand (BET_VOID): liability released, the
  stake returned to the wallets that paid it through the ledger. The bet ends CANCELLED,
  as a feed cancellation leaves it, so a later settlement rollback never reopens it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal
from fractions import Fraction
from typing import Any

from sqlalchemy import Select, exists, func, select, text
from sqlalchemy.dialects.postgresql import insert

from domain.accounts.permissions import Permission
from domain.accounts.principal import EVERY_BRAND, Principal, reaches, require_permission
from domain.kernel import audit, clock
from domain.kernel.db import UnitOfWork
from domain.kernel.errors import DomainError, NotFound
from domain.kernel.outbox import emit
from domain.sportsbook import odds as odds_math
from domain.sportsbook.corrections import REFUND_SCOPE, refund, release_liabilities
from domain.sportsbook.errors import BetNotFound, InvalidOdds, MarketNotFound
from domain.sportsbook.feed.events import EventUpdated, OddsChanged
from domain.sportsbook.models import (
    Bet,
    BetLeg,
    BetStatus,
    Event,
    Market,
    MarketMargin,
    MarketStatus,
    Outcome,
    OutcomeLiability,
    RunKind,
    SettlementRun,
    SuspensionReason,
)
from domain.sportsbook.runs import lock_bets
from domain.wallets.settlement import pay_many

REASON_LENGTH_MAX = audit.REASON_LENGTH_MAX
MARGIN_MAX = Decimal("0.5")
MARGIN_PLACES = Decimal("0.0001")
TRADEABLE_STATUSES = (MarketStatus.ACTIVE.value, MarketStatus.SUSPENDED.value)


class EventNotFound(NotFound):
    code = "EVENT_NOT_FOUND"
    message = "No such event."


class OutcomeNotFound(NotFound):
    code = "OUTCOME_NOT_FOUND"
    message = "No such outcome."


class MarketNotTradable(DomainError):
    code = "MARKET_NOT_TRADABLE"
    message = "The market is settled, cancelled or deactivated."


class BetNotVoidable(DomainError):
    code = "BET_NOT_VOIDABLE"
    message = "Only open or pending bets can be voided; roll back a settled one first."


class InvalidMargin(DomainError):
    code = "INVALID_MARGIN"
    message = "The margin is a fraction from 0 to 0.5 with at most four decimal places."


@dataclass(frozen=True)
class LiabilityRow:
    outcome_id: int
    outcome_key: str
    currency: str
    liability_minor: int


# ---- pricing (pure) ----------------------------------------------------------------------


def with_margin(feed_odds: Mapping[str, Decimal], margin: Decimal | None) -> dict[str, Decimal]:
    """Our odds from the feed's: without a margin, the feed's own; with one, the book's
    implied probabilities normalised (the feed's margin removed) and scaled so they sum to
    1 + margin. Rounded down to four places (never better than the margin allows), at
    least ODDS_MIN. Pure; exact fractions."""
    if margin is None or not feed_odds:
        return {key: _odds(Fraction(value)) for key, value in feed_odds.items()}
    implied = {key: 1 / Fraction(value) for key, value in feed_odds.items()}
    book = sum(implied.values())
    scale = Fraction(margin) + 1
    return {key: _odds(book / (probability * scale)) for key, probability in implied.items()}


def _odds(value: Fraction) -> Decimal:
    exact = Decimal(value.numerator) / Decimal(value.denominator)
    return max(exact.quantize(odds_math.ODDS_PLACES, rounding=ROUND_DOWN), odds_math.ODDS_MIN)


async def margins_for(uow: UnitOfWork, market_types: Iterable[str]) -> dict[str, Decimal]:
    """The configured margin of each of these market types that has one."""
    rows = await uow.session.execute(
        select(MarketMargin.market_type, MarketMargin.margin).where(
            MarketMargin.market_type.in_(list(market_types))
        )
    )
    return dict(rows.all())


# ---- suspensions -------------------------------------------------------------------------


async def _audit(
    uow: UnitOfWork,
    staff: Principal,
    action: str,
    subject: tuple[str, object],
    *,
    reason: str,
    before: Mapping[str, Any],
    after: Mapping[str, Any],
    brand: str | None = None,
) -> None:
    await audit.record(
        uow, actor_kind=staff.actor_kind, actor_id=staff.id, action=action,
        subject_type=subject[0], subject_id=str(subject[1]), brand=brand, reason=reason,
        before=dict(before), after=dict(after),
    )  # fmt: skip


async def set_market_suspended(
    uow: UnitOfWork, actor: Principal | None, market_id: int, *, suspended: bool, reason: str
) -> Market:
    """Suspend a market (reason TRADER) or resume it, whatever suspended it. Errors:
    NotAuthenticated, PermissionDenied, TwoFactorRequired, PasswordChangeRequired,
    ReasonRequired, DomainError (reason), MarketNotFound, MarketNotTradable."""
    staff = require_permission(actor, Permission.MARKET_TRADE, EVERY_BRAND)
    cleaned = audit.audit_reason(reason)
    market = await uow.session.scalar(
        select(Market).where(Market.id == market_id).with_for_update()
    )
    if market is None:
        raise MarketNotFound(field="marketId")
    if market.status not in TRADEABLE_STATUSES:
        raise MarketNotTradable(field="marketId")
    changed = await _set_suspended(uow, staff, [market], suspended=suspended, reason=cleaned)
    if changed:
        event = await uow.session.get_one(Event, market.event_id)
        await _event_updated(uow, event, changed)
    await uow.flush()
    return market


async def set_event_suspended(
    uow: UnitOfWork, actor: Principal | None, event_id: int, *, suspended: bool, reason: str
) -> list[int]:
    """Suspend every active market of the event (reason TRADER), or resume the ones a
    trader suspended. Returns the changed market ids. Errors: those of
    set_market_suspended, EventNotFound instead of MarketNotFound."""
    staff = require_permission(actor, Permission.MARKET_TRADE, EVERY_BRAND)
    cleaned = audit.audit_reason(reason)
    event = await uow.session.scalar(select(Event).where(Event.id == event_id).with_for_update())
    if event is None:
        raise EventNotFound(field="eventId")
    statement = select(Market).where(Market.event_id == event_id)
    if suspended:
        statement = statement.where(Market.status == MarketStatus.ACTIVE.value)
    else:
        statement = statement.where(Market.suspended_by == SuspensionReason.TRADER.value)
    markets = list(await uow.session.scalars(statement.order_by(Market.id).with_for_update()))
    changed = await _set_suspended(uow, staff, markets, suspended=suspended, reason=cleaned)
    if changed:
        await _event_updated(uow, event, changed)
    await uow.flush()
    return [market.id for market in changed]


async def _set_suspended(
    uow: UnitOfWork, staff: Principal, markets: Sequence[Market], *, suspended: bool, reason: str
) -> list[Market]:
    changed = []
    for market in markets:
        before = {"status": market.status, "suspended_by": market.suspended_by}
        if suspended and market.suspended_by != SuspensionReason.TRADER:
            market.status, market.suspended_by = (
                MarketStatus.SUSPENDED.value,
                SuspensionReason.TRADER.value,
            )
        elif not suspended and market.status == MarketStatus.SUSPENDED:
            market.status, market.suspended_by = MarketStatus.ACTIVE.value, None
        else:
            continue
        changed.append(market)
        action = "sportsbook.market.suspend" if suspended else "sportsbook.market.resume"
        after = {"status": market.status, "suspended_by": market.suspended_by}
        await _audit(
            uow, staff, action, ("sportsbook_market", market.id),
            reason=reason, before=before, after=after,
        )  # fmt: skip
    return changed


async def _event_updated(uow: UnitOfWork, event: Event, markets: Sequence[Market]) -> None:
    await emit(
        uow,
        EventUpdated(
            event_id=event.id,
            status=event.status,
            score=event.score,
            markets=[{"market_id": m.id, "status": m.status} for m in markets],
        ),
        brand=None,
    )


# ---- odds and margins --------------------------------------------------------------------


async def override_odds(
    uow: UnitOfWork, actor: Principal | None, outcome_id: int, *, odds: Decimal, reason: str
) -> Outcome:
    """Set an outcome's odds by hand; they hold against the feed until released. Errors:
    NotAuthenticated, PermissionDenied, TwoFactorRequired, PasswordChangeRequired,
    ReasonRequired, DomainError (reason), InvalidOdds, OutcomeNotFound, MarketNotTradable."""
    staff = require_permission(actor, Permission.MARKET_TRADE, EVERY_BRAND)
    cleaned = audit.audit_reason(reason)
    if not odds_math.is_valid(odds):
        raise InvalidOdds(field="odds")
    outcome, market = await _lock_outcome(uow, outcome_id)
    before = {"odds": str(outcome.odds), "overridden": outcome.odds_overridden}
    outcome.odds, outcome.odds_overridden = odds, True
    after = {"odds": str(odds), "overridden": True}
    await _audit(
        uow, staff, "sportsbook.odds.override", ("sportsbook_outcome", outcome.id),
        reason=cleaned, before=before, after=after,
    )  # fmt: skip
    await _odds_changed(uow, market, outcome)
    return outcome


async def release_odds_override(
    uow: UnitOfWork, actor: Principal | None, outcome_id: int, *, reason: str
) -> Outcome:
    """Back to the feed's price (with our margin over the market's feed prices). Errors:
    those of override_odds but InvalidOdds."""
    staff = require_permission(actor, Permission.MARKET_TRADE, EVERY_BRAND)
    cleaned = audit.audit_reason(reason)
    outcome, market = await _lock_outcome(uow, outcome_id)
    before = {"odds": str(outcome.odds), "overridden": outcome.odds_overridden}
    outcome.odds_overridden = False
    siblings = await uow.session.execute(
        select(Outcome.key, Outcome.feed_odds).where(
            Outcome.market_id == market.id, Outcome.feed_odds.is_not(None)
        )
    )
    feed_odds = {key: value for key, value in siblings if value is not None}
    margins = await margins_for(uow, [market.type])
    priced = with_margin(feed_odds, margins.get(market.type))
    if outcome.key in priced:
        outcome.odds = priced[outcome.key]
    after = {"odds": str(outcome.odds), "overridden": False}
    await _audit(
        uow, staff, "sportsbook.odds.release", ("sportsbook_outcome", outcome.id),
        reason=cleaned, before=before, after=after,
    )  # fmt: skip
    await _odds_changed(uow, market, outcome)
    return outcome


async def _lock_outcome(uow: UnitOfWork, outcome_id: int) -> tuple[Outcome, Market]:
    found = (
        await uow.session.execute(
            select(Outcome, Market)
            .join(Market, Market.id == Outcome.market_id)
            .where(Outcome.id == outcome_id)
            .with_for_update()
        )
    ).first()
    if found is None:
        raise OutcomeNotFound(field="outcomeId")
    outcome, market = found
    if market.status not in TRADEABLE_STATUSES:
        raise MarketNotTradable(field="outcomeId")
    return outcome, market


async def _odds_changed(uow: UnitOfWork, market: Market, outcome: Outcome) -> None:
    change = {
        "outcome_id": outcome.id,
        "market_id": market.id,
        "odds": str(outcome.odds),
        "status": outcome.status,
        "market_status": market.status,
    }
    await emit(uow, OddsChanged(event_id=market.event_id, outcomes=[change]), brand=None)
    await uow.flush()


async def set_market_margin(
    uow: UnitOfWork, actor: Principal | None, market_type: str, *, margin: Decimal, reason: str
) -> Decimal:
    """Price a market type at this margin from the next feed update on. Errors:
    NotAuthenticated, PermissionDenied, TwoFactorRequired, PasswordChangeRequired,
    ReasonRequired, DomainError (reason), InvalidMargin."""
    staff = require_permission(actor, Permission.MARKET_TRADE, EVERY_BRAND)
    cleaned = audit.audit_reason(reason)
    if not (
        margin.is_finite()
        and 0 <= margin <= MARGIN_MAX
        and margin == margin.quantize(MARGIN_PLACES)
    ):
        raise InvalidMargin(field="margin")
    before = await margins_for(uow, [market_type])
    await uow.session.execute(
        insert(MarketMargin)
        .values(market_type=market_type, margin=margin, updated_at=clock.now())
        .on_conflict_do_update(
            index_elements=["market_type"], set_={"margin": margin, "updated_at": clock.now()}
        )
    )
    await _audit(
        uow, staff, "sportsbook.margin.set", ("sportsbook_market_type", market_type),
        reason=cleaned,
        before={"margin": str(before[market_type]) if market_type in before else None},
        after={"margin": str(margin)},
    )  # fmt: skip
    return margin


# ---- liability and voids -----------------------------------------------------------------


async def market_liabilities(
    uow: UnitOfWork, actor: Principal | None, brand: str, market_id: int
) -> list[LiabilityRow]:
    """The potential returns each outcome of the market carries, per currency (what the
    book pays if that outcome wins): the whole book's (the figure the market's limit holds)
    for staff of every brand; only the bets of `brand` for staff of some brands, since the
    other brands' bets are not theirs to read. Errors: NotAuthenticated, PermissionDenied,
    TwoFactorRequired, PasswordChangeRequired."""
    return await liabilities_in_scope(uow, market_id, liability_scope(actor, brand))


def liability_scope(actor: Principal | None, brand: str) -> str | None:
    """Whose bets' liabilities the actor reads: None for the whole book (staff of every
    brand), else `brand`'s. Errors: NotAuthenticated, PermissionDenied,
    TwoFactorRequired, PasswordChangeRequired."""
    staff = require_permission(actor, Permission.MARKET_TRADE, brand)
    return None if reaches(staff, EVERY_BRAND) else brand


async def liabilities_in_scope(
    uow: UnitOfWork, market_id: int, brand: str | None
) -> list[LiabilityRow]:
    """The liabilities of the market's outcomes over the whole book (`brand` None) or one
    brand's bets; the caller checked the scope (liability_scope)."""
    if brand is None:
        statement = (
            select(
                Outcome.id, Outcome.key, OutcomeLiability.currency, OutcomeLiability.liability_minor
            )
            .join(OutcomeLiability, OutcomeLiability.outcome_id == Outcome.id)
            .where(Outcome.market_id == market_id)
            .order_by(Outcome.id, OutcomeLiability.currency)
        )
    else:
        statement = _brand_liabilities(brand, market_id)
    rows = await uow.session.execute(statement)
    return [LiabilityRow(*row) for row in rows]


async def outcome_liabilities_in_scope(
    uow: UnitOfWork, market_id: int, brand: str | None
) -> list[tuple[Outcome, list[LiabilityRow]]]:
    """Every outcome of the market with its liabilities (liabilities_in_scope)."""
    outcomes = await uow.session.scalars(
        select(Outcome).where(Outcome.market_id == market_id).order_by(Outcome.id)
    )
    by_outcome: dict[int, list[LiabilityRow]] = {}
    for row in await liabilities_in_scope(uow, market_id, brand):
        by_outcome.setdefault(row.outcome_id, []).append(row)
    return [(outcome, by_outcome.get(outcome.id, [])) for outcome in outcomes]


# The bets that still carry liability: the rest released it when they left the book.
_RELEASED_STATUSES = (
    BetStatus.CASHED_OUT.value, BetStatus.CANCELLED.value, BetStatus.REFUSED.value
)  # fmt: skip


def _brand_liabilities(brand: str, market_id: int) -> Select[int, str, str, int]:
    """The liabilities as placement accrues them (each bet's potential return on every
    leg's outcome), summed over one brand's bets only."""
    amount = func.sum(Bet.potential_return_minor)
    return (
        select(Outcome.id, Outcome.key, Bet.currency, amount.label("liability_minor"))
        .join(BetLeg, BetLeg.outcome_id == Outcome.id)
        .join(Bet, Bet.id == BetLeg.bet_id)
        .where(
            BetLeg.market_id == market_id,
            Outcome.market_id == market_id,
            Bet.brand == brand,
            Bet.status.not_in(_RELEASED_STATUSES),
            # A market's cancellation released its bets' liability (those of a whole
            # market's end VOID, like bets settled void, which keep theirs): as the book's.
            ~exists().where(
                SettlementRun.id == Bet.settlement_run_id,
                SettlementRun.kind == RunKind.CANCEL.value,
            ),
        )
        .group_by(Outcome.id, Outcome.key, Bet.currency)
        .order_by(Outcome.id, Bet.currency)
    )


_CANCEL_BET = text("""
UPDATE sportsbook_bets
   SET status = 'cancelled', payout_minor = total_stake_minor,
       payout_transaction_id = :transaction, settled_at = now()
 WHERE id = :id AND status IN ('open', 'pending')
""")


async def void_bet(
    uow: UnitOfWork, actor: Principal | None, brand: str, bet_id: int, *, reason: str
) -> Bet:
    """Void an open or pending bet of `brand`: liability released, stake returned to the
    wallets that paid it, audited. Errors: NotAuthenticated, PermissionDenied (also when
    `brand` is beyond the staff member's brands), TwoFactorRequired,
    PasswordChangeRequired, ReasonRequired, DomainError (reason), BetNotFound (also a bet
    of another brand), BetNotVoidable."""
    staff = require_permission(actor, Permission.BET_VOID, brand)
    cleaned = audit.audit_reason(reason)
    bet = await uow.session.scalar(select(Bet).where(Bet.id == bet_id, Bet.brand == brand))
    if bet is None:
        raise BetNotFound(field="betId")
    locked = await lock_bets(uow, [bet_id], [BetStatus.OPEN, BetStatus.PENDING])
    if not locked:
        raise BetNotVoidable(field="betId")
    row = locked[0]
    before = {"status": bet.status}
    await release_liabilities(uow, [bet_id])
    key = f"bet:{bet_id}:void"
    transactions = await pay_many(
        uow, [refund(row, key)], scope=REFUND_SCOPE, kind="sportsbook.refund"
    )
    await uow.session.execute(_CANCEL_BET, {"id": bet_id, "transaction": transactions[key]})
    await _audit(
        uow, staff, "sportsbook.bet.void", ("sportsbook_bet", bet_id),
        reason=cleaned, before=before,
        after={"status": BetStatus.CANCELLED.value, "refund_minor": row.total_stake_minor},
        brand=row.brand,
    )  # fmt: skip
    await uow.session.refresh(bet)
    return bet
