"""Cash-out: settle an open single or multiple early at a value derived from the prices now.

    value = stake * prod(odds taken) / prod(current odds of the legs still running) * (1 - margin)

A leg already resulted counts at its settled factor (its odds for a winner, 1 for a void,
the half-win/dead-heat factor otherwise) instead of odds taken / current odds; a lost leg
makes the bet worthless, and a leg whose outcome, market or event is not taking bets makes
cash-out unavailable (no price to value it on). The value is rounded down to the minor unit.

Acceptance re-reads the prices under share locks (a price update waits for our commit),
so the value paid is the value of that moment; the client says what it saw, and a lower
value now is refused (CashOutValueChanged, with the value now) unless within the
tolerance. The payout goes through the ledger under the client's idempotency key, the
bet's liability is released and a `BetUpdated` event leaves through the outbox.
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Any

from sqlalchemy import Row, bindparam, text
from sqlalchemy.dialects.postgresql import ARRAY, BIGINT

from domain.kernel.db import UnitOfWork
from domain.kernel.errors import DomainError
from domain.kernel.outbox import emit
from domain.sportsbook import returns
from domain.sportsbook.corrections import release_liabilities
from domain.sportsbook.errors import BetNotFound
from domain.sportsbook.events import BetUpdated
from domain.sportsbook.models import BetStatus, BetType, EventStatus, ResultKind
from domain.wallets.ledger import IdempotencyScope, Posting, check_key
from domain.wallets.models import WalletKind
from domain.wallets.stakes import pay_win

# The house's take on a cash-out (the price of settling early).
CASH_OUT_MARGIN = Decimal("0.05")
# How far below the value the client saw the value now may be and still be accepted.
CASH_OUT_TOLERANCE_MINOR = 0
CASHABLE_TYPES = (BetType.SINGLE.value, BetType.MULTIPLE.value)


class CashOutUnavailable(DomainError):
    code = "CASH_OUT_UNAVAILABLE"
    message = "Cash-out is not available for this bet right now."


class CashOutValueChanged(DomainError):
    code = "CASH_OUT_VALUE_CHANGED"
    message = "The cash-out value has changed."

    def __init__(self, *, current_value_minor: int, currency: str) -> None:
        super().__init__(field="expectedValue")
        self.current_value_minor = current_value_minor
        self.currency = currency


@dataclass(frozen=True)
class QuoteLeg:
    """A leg as cash-out sees it: the odds taken, and the outcome's state now."""

    odds_taken: Decimal
    current_odds: Decimal
    open_for_betting: bool
    result: returns.LegResult | None


@dataclass(frozen=True)
class CashOut:
    bet_id: int
    value_minor: int
    currency: str
    transaction_id: int
    replayed: bool


def cash_out_scope(player_id: uuid.UUID) -> IdempotencyScope:
    return IdempotencyScope(f"player:{player_id}", "sportsbook.cash_out")


def value_minor(stake_minor: int, legs: Sequence[QuoteLeg], margin: Decimal) -> int | None:
    """The cash-out value of a bet with `legs` (pure); None when none is offered."""
    assert Decimal(0) <= margin < Decimal(1), "a margin is a fraction below one"
    value = Fraction(stake_minor) * (1 - Fraction(margin))
    for leg in legs:
        taken = Fraction(leg.odds_taken)
        if leg.result is not None:
            value *= returns.win_factor(returns.Leg(taken), leg.result)
        elif leg.open_for_betting:
            value *= taken / Fraction(leg.current_odds)
        else:
            return None
    floored = math.floor(value)
    return floored if floored > 0 else None


_QUOTE_LEGS = text("""
SELECT l.bet_id, l.odds, o.odds AS current_odds,
       (o.status = 'active' AND m.status = 'active' AND e.status = ANY(:open_events))
           AS open_for_betting,
       o.result, o.dead_heat_numerator, o.dead_heat_denominator
  FROM sportsbook_bet_legs l
  JOIN sportsbook_outcomes o ON o.id = l.outcome_id
  JOIN sportsbook_markets m ON m.id = o.market_id
  JOIN sportsbook_events e ON e.id = m.event_id
 WHERE l.bet_id = ANY(:ids)
 ORDER BY l.bet_id, l.leg_number
""").bindparams(bindparam("ids", type_=ARRAY(BIGINT)))

# The same read under share locks: a price or status change waits for the cash-out.
_LOCKED_LEGS = text(str(_QUOTE_LEGS) + " FOR SHARE OF o, m, e").bindparams(
    bindparam("ids", type_=ARRAY(BIGINT))
)

_LOCK_BET = text("""
SELECT id, player_id, currency, bet_type, each_way, free_bet, status, stake_minor,
       stake_split, payout_minor, payout_transaction_id
  FROM sportsbook_bets
 WHERE id = :bet AND brand = :brand AND player_id = :player
 FOR UPDATE
""")

_MARK_CASHED_OUT = text("""
UPDATE sportsbook_bets
   SET status = 'cashed_out', payout_minor = :payout, payout_transaction_id = :transaction,
       settled_at = now()
 WHERE id = :bet AND status = 'open'
""")

_OPEN_EVENTS = [EventStatus.SCHEDULED.value, EventStatus.LIVE.value]


async def _quote_legs(
    uow: UnitOfWork, bet_ids: Sequence[int], *, lock: bool
) -> dict[int, list[QuoteLeg]]:
    statement = _LOCKED_LEGS if lock else _QUOTE_LEGS
    found: dict[int, list[QuoteLeg]] = {bet: [] for bet in bet_ids}
    rows = await uow.session.execute(statement, {"ids": list(bet_ids), "open_events": _OPEN_EVENTS})
    for row in rows:
        result = None
        if row.result is not None:
            dead_heat = Fraction(row.dead_heat_numerator, row.dead_heat_denominator)
            result = returns.LegResult(ResultKind(row.result), dead_heat)
        found[row.bet_id].append(
            QuoteLeg(row.odds, row.current_odds, bool(row.open_for_betting), result)
        )
    return found


@dataclass(frozen=True)
class QuotedBet:
    """What a quote needs of a bet (an ORM row or a locked row both fit)."""

    id: int
    bet_type: str
    each_way: bool
    free_bet: bool
    status: str
    stake_minor: int


def cashable(bet: QuotedBet) -> bool:
    """Open singles and multiples paid for with money (a free bet's stake was a token;
    an each-way bet or a system has several lines to price)."""
    return (
        bet.status == BetStatus.OPEN.value
        and bet.bet_type in CASHABLE_TYPES
        and not bet.each_way
        and not bet.free_bet
    )


async def quotes(
    uow: UnitOfWork, bets: Sequence[QuotedBet], *, margin: Decimal = CASH_OUT_MARGIN
) -> dict[int, int | None]:
    """The cash-out value of each bet now (None: not offered), in one read."""
    wanted = [bet for bet in bets if cashable(bet)]
    legs = await _quote_legs(uow, [bet.id for bet in wanted], lock=False) if wanted else {}
    found: dict[int, int | None] = {bet.id: None for bet in bets}
    for bet in wanted:
        found[bet.id] = value_minor(bet.stake_minor, legs[bet.id], margin)
    return found


async def cash_out(
    uow: UnitOfWork,
    *,
    brand: str,
    player_id: uuid.UUID,
    bet_id: int,
    expected_value_minor: int,
    idempotency_key: str,
    margin: Decimal = CASH_OUT_MARGIN,
    tolerance_minor: int = CASH_OUT_TOLERANCE_MINOR,
) -> CashOut:
    """Cash the player's bet out at its value now, once per idempotency key (a replay
    answers the first result and moves nothing).

    Errors: InvalidIdempotencyKey, BetNotFound, CashOutUnavailable (not an open single or
    multiple, a leg lost, a leg's market not taking bets), CashOutValueChanged (the value
    now is below `expected_value_minor` - tolerance), IdempotencyConflict.
    """
    scope = cash_out_scope(player_id)
    check_key(scope, idempotency_key)
    row = (
        await uow.session.execute(_LOCK_BET, {"bet": bet_id, "brand": brand, "player": player_id})
    ).first()
    if row is None:
        raise BetNotFound(field="bet")
    if row.status == BetStatus.CASHED_OUT.value:
        return await _replay(uow, brand, row, scope, idempotency_key)
    bet = QuotedBet(row.id, row.bet_type, row.each_way, row.free_bet, row.status, row.stake_minor)
    if not cashable(bet):
        raise CashOutUnavailable(field="bet")
    legs = (await _quote_legs(uow, [bet_id], lock=True))[bet_id]
    value = value_minor(row.stake_minor, legs, margin)
    if value is None:
        raise CashOutUnavailable(field="bet")
    if value < expected_value_minor - tolerance_minor:
        raise CashOutValueChanged(current_value_minor=value, currency=row.currency)
    await release_liabilities(uow, [bet_id])
    posting = await _pay(uow, brand, row, value=value, scope=scope, key=idempotency_key)
    await uow.session.execute(
        _MARK_CASHED_OUT, {"bet": bet_id, "payout": value, "transaction": posting.transaction_id}
    )
    await emit(
        uow,
        BetUpdated(bet_id=bet_id, player_id=player_id, status=BetStatus.CASHED_OUT.value),
        brand=brand,
    )
    return CashOut(bet_id, value, row.currency, posting.transaction_id, replayed=False)


async def _pay(
    uow: UnitOfWork, brand: str, bet: Row[Any], *, value: int, scope: IdempotencyScope, key: str
) -> Posting:
    split = {WalletKind(kind): int(paid) for kind, paid in (bet.stake_split or {}).items()}
    assert split, "an accepted bet records how its stake was paid"
    return await pay_win(
        uow,
        brand=brand,
        player_id=bet.player_id,
        currency=bet.currency,
        amount_minor=value,
        stake_split=split,
        kind="sportsbook.cash_out",
        scope=scope,
        key=key,
        metadata={"bet_id": bet.id},
    )


async def _replay(
    uow: UnitOfWork, brand: str, bet: Row[Any], scope: IdempotencyScope, key: str
) -> CashOut:
    """A bet already cashed out: the same key and request replay the payout (the ledger
    answers the original transaction); anything else is refused, and the caller's
    rollback undoes the posting this probe may have made."""
    payout = int(bet.payout_minor)
    posting = await _pay(uow, brand, bet, value=payout, scope=scope, key=key)
    if not posting.replayed or posting.transaction_id != bet.payout_transaction_id:
        raise CashOutUnavailable("The bet was already cashed out.", field="bet")
    return CashOut(bet.id, payout, bet.currency, posting.transaction_id, replayed=True)
