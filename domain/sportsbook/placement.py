"""Bet placement: singles, multiples, systems, each-way, free bets, the odds-change policy,
stake / payout / liability limits, and the live-bet delay.

The hot path is three round trips inside the caller's transaction: the player context
(FOR SHARE, the compliance guard's read), the selections, and one call of
`stakehouse_sportsbook_place`, which re-checks the selections under share locks, claims
the key, reserves liability and stakes through the ledger. When a selection moved between
the read and the call, nothing is written and the decision is taken again on fresh data.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from fractions import Fraction
from typing import Any

from domain.accounts import sessions
from domain.accounts.errors import PlayerNotFound
from domain.accounts.models import PlayerStatus
from domain.accounts.principal import Principal
from domain.bonuses import free_bets
from domain.bonuses.lifecycle import complete_if_wagered
from domain.brands.service import Brand
from domain.compliance.kyc import gates
from domain.compliance.service import Activity, check_protection, check_status
from domain.kernel import clock, telemetry
from domain.kernel.db import UnitOfWork
from domain.sportsbook import bonus_checks, queries, repository, returns, systems
from domain.sportsbook import odds as odds_math
from domain.sportsbook.errors import (
    EachWayUnavailable,
    InvalidBet,
    InvalidOdds,
    LiabilityLimitExceeded,
    MaxPayoutExceeded,
    OddsChanged,
    PricesMoving,
    SameEventCombination,
    SelectionNotFound,
    SelectionSuspended,
    StakeTooHigh,
    StakeTooLow,
)
from domain.sportsbook.models import (
    Bet,
    BetLeg,
    BetStatus,
    BetType,
    EventStatus,
    OddsPolicy,
    Outcome,
)
from domain.sportsbook.queries import BetWithLegs, PlacedBet
from domain.sportsbook.repository import PlacementContext, SelectionRow
from domain.wallets.errors import IdempotencyConflict, UnsupportedCurrency
from domain.wallets.ledger import IdempotencyScope, Leg, check_key, request_hash
from domain.wallets.models import HouseAccountKind, WalletKind
from domain.wallets.service import AMOUNT_MAX_MINOR, house_account_id, wallet_id

# The platform's ceiling on what one bet may pay, under any market's own limit.
MAX_PAYOUT_DEFAULT_MINOR = 100_000_000  # 1,000,000.00 in a two-decimal currency
# Re-reads when selections move between the read and the placement call.
PLACEMENT_ATTEMPTS_MAX = 3
FREE_BET_ORDER = (WalletKind.SPORTSBOOK_FREE_BET,)


@dataclass(frozen=True)
class Selection:
    outcome_id: int
    # The odds the player saw (and requests).
    odds: Decimal


@dataclass(frozen=True)
class BetSlip:
    selections: tuple[Selection, ...]
    # Per line (and per part, each-way): "£5 each-way Yankee" is 5.00 here.
    stake_minor: int
    bet_type: BetType
    idempotency_key: str
    # A named system ("yankee", "lucky15", …) or "k/n"; SYSTEM bets only.
    system: str | None = None
    each_way: bool = False
    free_bet: bool = False
    odds_policy: OddsPolicy = OddsPolicy.NONE
    # The currency the stake was typed in (None: the player's own). A player bets only in
    # their account's currency, which the placement reads anyway.
    stake_currency: str | None = None


@dataclass(frozen=True)
class Decision:
    """What a slip becomes on the selections as read: the bet row and its legs."""

    bet: dict[str, Any]
    legs: list[dict[str, Any]]
    odds: tuple[Decimal, ...]
    total_stake_minor: int
    potential_return_minor: int
    status: BetStatus
    accept_after: datetime | None


def stake_scope(player_id: uuid.UUID) -> IdempotencyScope:
    return IdempotencyScope(f"player:{player_id}", "sportsbook.stake")


@dataclass(frozen=True)
class SessionPlacement:
    """A request's session, judged, read with the placement's context of its player."""

    principal: Principal | None
    context: PlacementContext


async def read_with_session(
    uow: UnitOfWork, *, brand: Brand, token: str, slip: BetSlip
) -> SessionPlacement | None:
    """The caller's session (by its token) and its player's placement context in the one
    statement placement starts with, so authenticating costs no round trip of its own.
    None when the token is not a player session of `brand` (the caller authenticates the
    usual way, which says why); the principal is None when the session is expired, idle
    or its player may not use it (`sessions.accept_session_row`, as on every request)."""
    if not token or len(token) > sessions.TOKEN_LENGTH_MAX:
        return None
    read = await repository.session_placement_context(
        uow,
        brand=brand.slug,
        token_hash=sessions.hash_token(token),
        key=slip.idempotency_key,
        order=[kind.value for kind in _stake_order(brand, slip)],
        counter=HouseAccountKind.WAGERS.value,
    )
    if read is None:
        return None
    row, context = read
    return SessionPlacement(await sessions.accept_session_row(uow, row, brand.slug), context)


async def place_bet(
    uow: UnitOfWork,
    *,
    brand: Brand,
    player_id: uuid.UUID,
    slip: BetSlip,
    context: PlacementContext | None = None,
) -> PlacedBet:
    """Place `slip` for the player, once per idempotency key: a replay returns the bet,
    the same key with another slip is a conflict and changes nothing.

    Errors: InvalidBet, InvalidOdds, InvalidIdempotencyKey, PlayerNotFound,
    UnsupportedCurrency, PlayerBlocked
    (AccountSuspended, SelfExcluded, AccountClosed, TimedOut, WagerLimitReached,
    LossLimitReached, SessionLimitReached), SelectionNotFound, SelectionSuspended,
    OddsChanged, SameEventCombination, EachWayUnavailable, StakeTooLow, StakeTooHigh,
    MaxPayoutExceeded, LiabilityLimitExceeded, InsufficientFunds, IdempotencyConflict,
    PricesMoving.

    `context`: the player's context already read in this transaction by
    `read_with_session` (the request's authentication), not read again.
    """
    shape = _check_slip(slip, player_id)
    order = _stake_order(brand, slip)
    if context is None:
        context = await _player_context(uow, brand, player_id, slip, order)
    if slip.stake_currency is not None and slip.stake_currency != context.currency:
        raise UnsupportedCurrency("Stake in your account's currency.", field="stake")
    check_status(PlayerStatus(context.player_status), Activity.WAGER)
    if context.registered_at is not None:
        gates.check_play(brand.jurisdiction, context.kyc_tier, context.registered_at, field="stake")
    fingerprint = slip_hash(slip, context.currency)
    if context.existing_bet_id is not None:
        return await _replay(
            uow, context.existing_bet_id, context.existing_request_hash, fingerprint
        )
    if context.protection_active:
        # The player's time-out and limits (only players with any); a free bet stakes no
        # money of theirs.
        stake = 0 if slip.free_bet else total_stake_minor(slip, shape)
        await check_protection(
            uow, brand.slug, player_id, Activity.WAGER, amount_minor=stake, field="stake"
        )
    wallets, counter = await _accounts(uow, brand, player_id, context, order)
    for _attempt in range(PLACEMENT_ATTEMPTS_MAX):
        rows = await repository.selections(
            uow, [s.outcome_id for s in slip.selections], context.currency
        )
        decision = decide(slip, shape, rows, now=clock.now())
        free_bet_id = None
        if slip.free_bet:
            free_bet_id = await _free_bet_for(
                uow, brand, player_id=player_id, slip=slip, currency=context.currency,
                decision=decision,
            )  # fmt: skip
        result = await repository.place(
            uow,
            _parameters(
                brand,
                player_id,
                slip,
                currency=context.currency,
                decision=decision,
                fingerprint=fingerprint,
                wallets=wallets,
                counter=counter,
            ),
        )
        if result["outcome"] == "accepted":
            if free_bet_id is not None:
                await free_bets.attach_bet(uow, free_bet_id, int(result["bet_id"]))
            bonus = result.get("bonus")
            if bonus:
                await bonus_checks.stake_counted(
                    uow,
                    brand.slug,
                    player_id,
                    int(result["bet_id"]),
                    odds=decision.odds,
                    bonus=bonus,
                )
            if bonus and bonus["completed"]:
                # This stake met the grant's wagering: convert it in the same transaction.
                await complete_if_wagered(uow, brand.slug, uuid.UUID(bonus["grant"]))
            bet_id = int(result["bet_id"])
            return PlacedBet(
                bet_id=bet_id,
                status=decision.status,
                total_stake_minor=decision.total_stake_minor,
                potential_return_minor=decision.potential_return_minor,
                odds=decision.odds,
                accept_after=decision.accept_after,
                shown=_as_written(
                    bet_id,
                    brand.slug,
                    player_id=player_id,
                    slip=slip,
                    context=context,
                    decision=decision,
                    rows=rows,
                ),
            )
        if result["outcome"] == "existing":
            # A concurrent duplicate committed first.
            return await _replay_by_key(uow, brand.slug, player_id, slip, fingerprint)
    raise PricesMoving(field="selections")


async def _player_context(
    uow: UnitOfWork,
    brand: Brand,
    player_id: uuid.UUID,
    slip: BetSlip,
    order: Sequence[WalletKind],
) -> PlacementContext:
    """Errors: PlayerNotFound."""
    context = await repository.placement_context(
        uow,
        brand=brand.slug,
        player_id=player_id,
        key=slip.idempotency_key,
        order=[kind.value for kind in order],
        counter=HouseAccountKind.WAGERS.value,
    )
    if context is None:
        raise PlayerNotFound(field="playerId")
    return context


async def _free_bet_for(
    uow: UnitOfWork,
    brand: Brand,
    *,
    player_id: uuid.UUID,
    slip: BetSlip,
    currency: str,
    decision: Decision,
) -> uuid.UUID | None:
    """The player's free bet this slip stakes, by its terms (None: the player holds none).
    Errors: FreeBetStakeMismatch, FreeBetOddsTooLow, FreeBetNotEligible."""
    kinds = await repository.selection_kinds(uow, [s.outcome_id for s in slip.selections])
    combined = Decimal(1)
    for taken in decision.odds:
        combined *= taken
    return await free_bets.choose_for_bet(
        uow,
        brand.slug,
        player_id,
        currency,
        total_stake_minor=decision.total_stake_minor,
        combined_odds=combined,
        legs=[free_bets.LegFacts(*kinds[s.outcome_id]) for s in slip.selections],
    )


def _stake_order(brand: Brand, slip: BetSlip) -> tuple[WalletKind, ...]:
    return FREE_BET_ORDER if slip.free_bet else _consumption_order(brand)


def _consumption_order(brand: Brand) -> tuple[WalletKind, ...]:
    return tuple(WalletKind(kind) for kind in brand.stake_consumption_order)


def _check_slip(slip: BetSlip, player_id: uuid.UUID) -> systems.Shape:
    """Errors: InvalidBet, InvalidOdds, InvalidIdempotencyKey."""
    check_key(stake_scope(player_id), slip.idempotency_key)
    shape = systems.shape(slip.bet_type, len(slip.selections), slip.system)
    if type(slip.stake_minor) is not int or not 0 < slip.stake_minor <= AMOUNT_MAX_MINOR:
        raise InvalidBet("The stake must be a positive amount.", field="stake")
    outcome_ids = [s.outcome_id for s in slip.selections]
    if len(set(outcome_ids)) != len(outcome_ids):
        raise InvalidBet("A selection appears twice.", field="selections")
    for selection in slip.selections:
        if not odds_math.is_valid(selection.odds):
            raise InvalidOdds(field="selections", outcome_id=selection.outcome_id)
    return shape


def slip_hash(slip: BetSlip, currency: str) -> bytes:
    """The request's fingerprint: the same key with another slip is a conflict."""
    canonical = json.dumps(
        {
            "selections": [[s.outcome_id, str(s.odds.normalize())] for s in slip.selections],
            "stake": slip.stake_minor,
            "type": slip.bet_type.value,
            "system": slip.system,
            "each_way": slip.each_way,
            "free_bet": slip.free_bet,
            "policy": slip.odds_policy.value,
            "currency": currency,
        },
        sort_keys=True,
        separators=(",", ":"),
    )
    return hashlib.sha256(canonical.encode()).digest()


def total_stake_minor(slip: BetSlip, shape: systems.Shape) -> int:
    """What the slip stakes in all: the stake per line, each line, both parts each-way."""
    return slip.stake_minor * shape.line_count * (2 if slip.each_way else 1)


def decide(
    slip: BetSlip, shape: systems.Shape, rows: Mapping[int, SelectionRow], *, now: datetime
) -> Decision:
    """The bet `slip` becomes on the selections as read (pure: every refusal is raised
    here, before anything is written). Errors: SelectionNotFound, SelectionSuspended,
    OddsChanged, SameEventCombination, EachWayUnavailable, StakeTooLow, StakeTooHigh,
    MaxPayoutExceeded, LiabilityLimitExceeded."""
    selected = [_open_selection(rows, s) for s in slip.selections]
    taken = tuple(
        _taken_odds(s, row, slip.odds_policy)
        for s, row in zip(slip.selections, selected, strict=True)
    )
    if len(selected) > 1:
        _check_combinable(selected)
    legs = [
        _return_leg(row, odds, each_way=slip.each_way)
        for row, odds in zip(selected, taken, strict=True)
    ]
    total_stake = total_stake_minor(slip, shape)
    _check_stake(slip.stake_minor, total_stake, selected)
    gross = returns.potential_return_minor(
        slip.stake_minor, legs, shape.sizes, each_way=slip.each_way
    )
    potential = returns.net_return_minor(gross, total_stake, free_bet=slip.free_bet)
    _check_payout(potential, selected)
    delay = max(
        (r.bet_delay_seconds for r in selected if r.event_status == EventStatus.LIVE), default=0
    )
    status = BetStatus.PENDING if delay > 0 else BetStatus.OPEN
    accept_after = now + timedelta(seconds=delay) if delay > 0 else None
    bet = {
        "bet_type": shape.bet_type.value,
        "system_name": shape.system_name,
        "combination_sizes": list(shape.sizes),
        "line_count": shape.line_count,
        "stake_minor": slip.stake_minor,
        "total_stake_minor": total_stake,
        "each_way": slip.each_way,
        "free_bet": slip.free_bet,
        "odds_policy": slip.odds_policy.value,
        "status": status.value,
        "potential_return_minor": potential,
        "accept_after": accept_after.isoformat() if accept_after else None,
    }
    leg_rows = [
        {
            "leg_number": number,
            "outcome_id": row.outcome_id,
            "market_id": row.market_id,
            "event_id": row.event_id,
            "event_status": row.event_status,
            "requested_odds": str(selection.odds),
            "odds": str(odds),
            "each_way_places": row.each_way_places,
            "each_way_fraction_numerator": row.each_way_fraction_numerator,
            "each_way_fraction_denominator": row.each_way_fraction_denominator,
        }
        for number, (selection, row, odds) in enumerate(
            zip(slip.selections, selected, taken, strict=True)
        )
    ]
    return Decision(bet, leg_rows, taken, total_stake, potential, status, accept_after)


def _open_selection(rows: Mapping[int, SelectionRow], selection: Selection) -> SelectionRow:
    row = rows.get(selection.outcome_id)
    if row is None:
        raise SelectionNotFound(field="selections", outcome_id=selection.outcome_id)
    if not is_open(row):
        raise SelectionSuspended(field="selections", outcome_id=selection.outcome_id)
    return row


def is_open(row: SelectionRow) -> bool:
    return (
        row.outcome_status == "active"
        and row.market_status == "active"
        and row.event_status in (EventStatus.SCHEDULED, EventStatus.LIVE)
    )


def odds_accepted(policy: OddsPolicy, requested: Decimal, current: Decimal) -> bool:
    """Whether a player who asked for `requested` takes `current` under `policy`."""
    if policy is OddsPolicy.ANY:
        return True
    if policy is OddsPolicy.HIGHER:
        return current >= requested
    return current == requested


def _taken_odds(selection: Selection, row: SelectionRow, policy: OddsPolicy) -> Decimal:
    if not odds_accepted(policy, selection.odds, row.odds):
        raise OddsChanged(outcome_id=row.outcome_id, current_odds=row.odds)
    return row.odds


def _check_combinable(rows: Sequence[SelectionRow]) -> None:
    """Two legs of one market never combine; of one event only where every market involved
    allows it (bet builders)."""
    markets = Counter(row.market_id for row in rows)
    events = Counter(row.event_id for row in rows)
    for row in rows:
        if markets[row.market_id] > 1 or (
            events[row.event_id] > 1 and not row.allows_same_event_combination
        ):
            raise SameEventCombination(field="selections", outcome_id=row.outcome_id)


def _return_leg(row: SelectionRow, odds: Decimal, *, each_way: bool) -> returns.Leg:
    if not each_way:
        return returns.Leg(odds_math.exact(odds))
    if row.each_way_places is None:
        raise EachWayUnavailable(field="eachWay", outcome_id=row.outcome_id)
    assert row.each_way_fraction_numerator is not None
    assert row.each_way_fraction_denominator is not None
    terms = returns.PlaceTerms(
        row.each_way_places,
        Fraction(row.each_way_fraction_numerator, row.each_way_fraction_denominator),
    )
    return returns.Leg(odds_math.exact(odds), terms)


def _check_stake(stake_minor: int, total_minor: int, rows: Sequence[SelectionRow]) -> None:
    """The minimum applies to the stake per line, the maximum to the whole bet."""
    minimum = max((r.min_stake_minor for r in rows if r.min_stake_minor is not None), default=1)
    if stake_minor < minimum:
        raise StakeTooLow(field="stake", limit_minor=minimum)
    maxima = [r.max_stake_minor for r in rows if r.max_stake_minor is not None]
    if maxima and total_minor > min(maxima):
        raise StakeTooHigh(field="stake", limit_minor=min(maxima))


def _check_payout(potential_minor: int, rows: Sequence[SelectionRow]) -> None:
    """Errors: MaxPayoutExceeded, LiabilityLimitExceeded (read-time check, for a clear
    answer; the placement call's conditional upsert is what guarantees the limit)."""
    ceiling = min(
        [MAX_PAYOUT_DEFAULT_MINOR, *(r.max_payout_minor for r in rows if r.max_payout_minor)]
    )
    if potential_minor > ceiling:
        raise MaxPayoutExceeded(field="stake", limit_minor=ceiling)
    for row in rows:
        limit = row.liability_limit_minor
        if limit is not None and row.liability_minor + potential_minor > limit:
            raise LiabilityLimitExceeded(
                field="selections", outcome_id=row.outcome_id, limit_minor=limit
            )


async def _accounts(
    uow: UnitOfWork,
    brand: Brand,
    player_id: uuid.UUID,
    context: PlacementContext,
    order: Sequence[WalletKind],
) -> tuple[list[int], int]:
    """Wallet and counter ids; opened on first use (registration opens them, so rare)."""
    wallets = context.wallet_ids
    if len(wallets) != len(order):
        wallets = [
            await wallet_id(uow, brand.slug, player_id, kind, context.currency) for kind in order
        ]
    counter = context.counter_id
    if counter is None:
        counter = await house_account_id(uow, brand.slug, HouseAccountKind.WAGERS, context.currency)
    return wallets, counter


def _parameters(
    brand: Brand,
    player_id: uuid.UUID,
    slip: BetSlip,
    *,
    currency: str,
    decision: Decision,
    fingerprint: bytes,
    wallets: list[int],
    counter: int,
) -> dict[str, Any]:
    metadata = {"product": "sportsbook", "free_bet": slip.free_bet}
    return {
        "brand": brand.slug,
        "player": player_id,
        "currency": currency,
        "key": slip.idempotency_key,
        "request_hash": fingerprint,
        "bet": {**decision.bet, "trace_parent": telemetry.current_traceparent()},
        "legs": decision.legs,
        "wallets": wallets,
        "counter": counter,
        "scope": str(stake_scope(player_id)),
        "stake_hash": request_hash(
            "sportsbook.stake",
            [Leg(w, 0) for w in wallets],
            {**metadata, "amount": decision.total_stake_minor, "bet": fingerprint.hex()},
        ),
        "metadata": metadata,
    }


def _as_written(
    bet_id: int,
    brand: str,
    *,
    player_id: uuid.UUID,
    slip: BetSlip,
    context: PlacementContext,
    decision: Decision,
    rows: Mapping[int, SelectionRow],
) -> BetWithLegs:
    """The bet, its legs and their outcomes as `stakehouse_sportsbook_place` wrote them,
    from the values it was given: what reading them back in this transaction would return
    (odds at the column's scale, `placed_at` the transaction's start), without the read."""
    bet = Bet(
        id=bet_id, brand=brand, player_id=player_id, currency=context.currency,
        bet_type=decision.bet["bet_type"], system_name=decision.bet["system_name"],
        combination_sizes=decision.bet["combination_sizes"],
        line_count=decision.bet["line_count"], stake_minor=slip.stake_minor,
        total_stake_minor=decision.total_stake_minor, each_way=slip.each_way,
        free_bet=slip.free_bet, odds_policy=slip.odds_policy.value,
        status=decision.status.value, potential_return_minor=decision.potential_return_minor,
        payout_minor=None, idempotency_key=slip.idempotency_key,
        placed_at=context.transaction_at, accept_after=decision.accept_after, settled_at=None,
    )  # fmt: skip
    legs = [
        BetLeg(
            bet_id=bet_id,
            leg_number=leg["leg_number"],
            outcome_id=leg["outcome_id"],
            market_id=leg["market_id"],
            event_id=leg["event_id"],
            requested_odds=_odds_column(Decimal(leg["requested_odds"])),
            odds=_odds_column(Decimal(leg["odds"])),
            each_way_places=leg["each_way_places"],
            each_way_fraction_numerator=leg["each_way_fraction_numerator"],
            each_way_fraction_denominator=leg["each_way_fraction_denominator"],
            result=None,
            win_factor=None,
            place_factor=None,
        )
        for leg in decision.legs
    ]
    outcomes = {
        row.outcome_id: Outcome(
            id=row.outcome_id,
            market_id=row.market_id,
            key=row.outcome_key,
            name=row.outcome_name,
            odds=row.odds,
            status=row.outcome_status,
            position=row.outcome_position,
        )
        for row in (rows[leg.outcome_id] for leg in legs)
    }
    return BetWithLegs(bet, legs, outcomes)


def _odds_column(odds: Decimal) -> Decimal:
    """Odds as the ODDS column (numeric(10, 4)) stores and returns them."""
    return odds.quantize(odds_math.ODDS_PLACES)


async def _replay(
    uow: UnitOfWork, bet_id: int, stored_hash: bytes | None, fingerprint: bytes
) -> PlacedBet:
    if stored_hash != fingerprint:
        raise IdempotencyConflict(field="idempotencyKey")
    return await queries.placed_bet(uow, bet_id, replayed=True)


async def _replay_by_key(
    uow: UnitOfWork, brand: str, player_id: uuid.UUID, slip: BetSlip, fingerprint: bytes
) -> PlacedBet:
    found = await queries.bet_by_key(uow, brand, player_id, slip.idempotency_key)
    assert found is not None, "a taken key has a committed bet"
    return await _replay(uow, found[0], found[1], fingerprint)
