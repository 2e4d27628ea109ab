"""The sportsbook's placement statements: few round trips, no ORM flushes on the hot path.

Placement reads its context in two statements (the player FOR SHARE with wallet and
counter ids and any bet already holding the key; the selections with their markets, events
and current liabilities), then calls `stakehouse_sportsbook_place` once (migration 0007).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import bindparam, select, text
from sqlalchemy.dialects.postgresql import ARRAY, BIGINT, BYTEA, JSONB, TEXT
from sqlalchemy.exc import DBAPIError

from domain.kernel.db import UnitOfWork
from domain.sportsbook.errors import BonusMaxBetExceeded, LiabilityLimitExceeded
from domain.sportsbook.models import (
    Competition,
    Event,
    Market,
    Outcome,
    OutcomeLiability,
    Sport,
)
from domain.wallets.errors import IdempotencyConflict, InsufficientFunds


@dataclass(frozen=True)
class PlacementContext:
    player_status: str
    currency: str
    # The player's wallets in the stake's order (shorter when one is not open yet).
    wallet_ids: list[int]
    counter_id: int | None
    existing_bet_id: int | None
    existing_request_hash: bytes | None
    # The player has limits or a time-out (domain.compliance): only then are they read.
    protection_active: bool = False
    # For the jurisdiction's KYC play gate (domain.compliance.kyc.gates), read with the
    # player (no extra trip).
    kyc_tier: str = "none"
    registered_at: datetime | None = None
    # The transaction's start (`now()`): the placed bet's `placed_at`, which defaults to it.
    transaction_at: datetime | None = None


@dataclass(frozen=True)
class SelectionRow:
    outcome_id: int
    odds: Decimal
    outcome_status: str
    # What the bet's legs show of their outcomes (the payload is built without a read-back).
    outcome_key: str
    outcome_name: str
    outcome_position: int | None
    market_id: int
    market_status: str
    event_id: int
    event_status: str
    allows_same_event_combination: bool
    each_way_places: int | None
    each_way_fraction_numerator: int | None
    each_way_fraction_denominator: int | None
    bet_delay_seconds: int
    min_stake_minor: int | None
    max_stake_minor: int | None
    max_payout_minor: int | None
    liability_limit_minor: int | None
    liability_minor: int


# The compliance guard's FOR SHARE read of the player (a suspension commits before or after
# the bet, never in between), with everything else placement needs of the player.
_CONTEXT_COLUMNS = """
       p.status, p.currency, p.protection_active, p.kyc_tier, p.created_at,
       now() AS transaction_at,
       ARRAY(
           SELECT a.id FROM unnest(:order) WITH ORDINALITY AS o(kind, position)
           JOIN ledger_accounts a ON a.brand = p.brand AND a.player_id = p.id
                AND a.kind = o.kind AND a.currency = p.currency
           ORDER BY o.position
       ) AS wallet_ids,
       (SELECT h.id FROM ledger_accounts h
         WHERE h.brand = p.brand AND h.player_id IS NULL AND h.kind = :counter
           AND h.currency = p.currency) AS counter_id,
       b.id AS existing_bet_id, b.request_hash AS existing_request_hash"""
_KEY_BET = """
LEFT JOIN sportsbook_bets b
       ON b.brand = p.brand AND b.player_id = p.id AND b.idempotency_key = :key"""
_CONTEXT = text(f"""
SELECT {_CONTEXT_COLUMNS}
FROM players p {_KEY_BET}
WHERE p.id = :player AND p.brand = :brand
FOR SHARE OF p
""").bindparams(bindparam("order", type_=ARRAY(TEXT)))  # noqa: S608 (constant fragments)
# The same read for the player of a session found by its token's hash, with the session's
# columns as domain.accounts.sessions reads them (`accept_session_row` judges them): a
# request's authentication and the placement's first read in one statement. Only a player
# session whose player is of `brand` yields a row (FOR SHARE locks the inner side of a
# join only); for any other, the caller authenticates the usual way, which tells why.
_SESSION_CONTEXT = text(f"""
SELECT {_CONTEXT_COLUMNS},
       s.id, s.state, s.brand, s.player_id, s.staff_id, s.expires_at, s.last_seen_at,
       p.status AS player_status, p.odds_format
FROM auth_sessions s
JOIN players p ON p.id = s.player_id AND p.brand = :brand {_KEY_BET}
WHERE s.token_hash = :token_hash AND s.revoked_at IS NULL
FOR SHARE OF p
""").bindparams(  # noqa: S608 (constant fragments)
    bindparam("order", type_=ARRAY(TEXT)), bindparam("token_hash", type_=BYTEA)
)

_PLACE = text(
    "SELECT stakehouse_sportsbook_place(:brand, :player, :currency, :key, :request_hash, "
    ":bet, :legs, :wallets, :counter, :scope, :stake_hash, :metadata)"
).bindparams(
    bindparam("request_hash", type_=BYTEA),
    bindparam("bet", type_=JSONB),
    bindparam("legs", type_=JSONB),
    bindparam("wallets", type_=ARRAY(BIGINT)),
    bindparam("stake_hash", type_=BYTEA),
    bindparam("metadata", type_=JSONB),
)


async def placement_context(
    uow: UnitOfWork,
    *,
    brand: str,
    player_id: uuid.UUID,
    key: str,
    order: Sequence[str],
    counter: str,
) -> PlacementContext | None:
    row = (
        await uow.session.execute(
            _CONTEXT,
            {
                "order": list(order),
                "counter": counter,
                "key": key,
                "player": player_id,
                "brand": brand,
            },
        )
    ).first()
    return None if row is None else _context_of(row)


async def session_placement_context(
    uow: UnitOfWork,
    *,
    brand: str,
    token_hash: bytes,
    key: str,
    order: Sequence[str],
    counter: str,
) -> tuple[Any, PlacementContext] | None:
    """The session row of `token_hash` (unjudged: see `_SESSION_CONTEXT`) and its player's
    placement context, in one statement; None unless it is a player session of `brand`."""
    row = (
        await uow.session.execute(
            _SESSION_CONTEXT,
            {
                "order": list(order),
                "counter": counter,
                "key": key,
                "token_hash": token_hash,
                "brand": brand,
            },
        )
    ).first()
    return None if row is None else (row, _context_of(row))


def _context_of(row: Any) -> PlacementContext:
    return PlacementContext(
        player_status=row.status,
        currency=row.currency,
        wallet_ids=list(row.wallet_ids),
        counter_id=row.counter_id,
        existing_bet_id=row.existing_bet_id,
        existing_request_hash=row.existing_request_hash,
        protection_active=bool(row.protection_active),
        kyc_tier=row.kyc_tier,
        registered_at=row.created_at,
        transaction_at=row.transaction_at,
    )


async def selection_kinds(
    uow: UnitOfWork, outcome_ids: Sequence[int]
) -> dict[int, tuple[str, str]]:
    """Each outcome's sport key and market type (read for free bets only, whose terms name
    them: one statement)."""
    rows = await uow.session.execute(
        select(Outcome.id, Sport.key, Market.type)
        .join(Market, Market.id == Outcome.market_id)
        .join(Event, Event.id == Market.event_id)
        .join(Competition, Competition.id == Event.competition_id)
        .join(Sport, Sport.id == Competition.sport_id)
        .where(Outcome.id.in_(list(outcome_ids)))
    )
    return {outcome_id: (sport, market_type) for outcome_id, sport, market_type in rows}


# Built once: building this select and its cache key per placement cost as much CPU as
# running it.
_SELECTIONS = (
    select(
        Outcome.id,
        Outcome.odds,
        Outcome.status,
        Outcome.key,
        Outcome.name,
        Outcome.position,
        Market.id,
        Market.status,
        Event.id,
        Event.status,
        Market.allows_same_event_combination,
        Market.each_way_places,
        Market.each_way_fraction_numerator,
        Market.each_way_fraction_denominator,
        Market.bet_delay_seconds,
        Market.min_stake_minor,
        Market.max_stake_minor,
        Market.max_payout_minor,
        Market.liability_limit_minor,
        OutcomeLiability.liability_minor,
    )
    .join(Market, Market.id == Outcome.market_id)
    .join(Event, Event.id == Market.event_id)
    .outerjoin(
        OutcomeLiability,
        (OutcomeLiability.outcome_id == Outcome.id)
        & (OutcomeLiability.currency == bindparam("currency")),
    )
    .where(Outcome.id.in_(bindparam("outcome_ids", expanding=True)))
)


async def selections(
    uow: UnitOfWork, outcome_ids: Sequence[int], currency: str
) -> dict[int, SelectionRow]:
    """The outcomes with their market and event, and the liability each carries in
    `currency`, in one read."""
    rows = await uow.session.execute(
        _SELECTIONS, {"outcome_ids": list(outcome_ids), "currency": currency}
    )
    found = {}
    for row in rows:
        values = list(row)
        values[-1] = values[-1] or 0
        found[row[0]] = SelectionRow(*values)
    return found


async def place(uow: UnitOfWork, params: Mapping[str, Any]) -> dict[str, Any]:
    """Call `stakehouse_sportsbook_place`. Its result is {"outcome": "accepted", "bet_id",
    "stake_split", "stake_transaction_id"}, {"outcome": "moved"} (a selection changed since
    it was read: nothing written) or {"outcome": "existing"} (the key is taken).
    Errors: InsufficientFunds, LiabilityLimitExceeded, BonusMaxBetExceeded,
    IdempotencyConflict."""
    try:
        raw = await uow.session.scalar(_PLACE, params)
    except DBAPIError as error:
        raise _domain_error(error) from None
    result: dict[str, Any] = raw if isinstance(raw, dict) else json.loads(str(raw))
    return result


def _domain_error(error: DBAPIError) -> Exception:
    original = error.orig
    state = getattr(original, "sqlstate", None) or getattr(original, "pgcode", None)
    detail = getattr(getattr(original, "__cause__", None), "detail", None)
    if state == "SH402":
        return InsufficientFunds(json.loads(detail)["balance"] if detail else None)
    if state == "SHB01":
        # Above the max bet of the player's active bonus, refused inside the placement.
        return BonusMaxBetExceeded(field="stake")
    if state == "SHS01":
        return LiabilityLimitExceeded(
            field="selections", outcome_id=int(detail) if detail else None
        )
    if state == "SH409":
        return IdempotencyConflict(field="idempotencyKey")
    return error
