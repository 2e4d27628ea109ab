"""The casino's statements for the wallet callbacks: few round trips, no ORM flushes.

Every statement is scoped by brand and provider. Rows a callback changes are claimed with
INSERT ... ON CONFLICT (a provider transaction id) or locked (the round), never checked
then inserted.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import bindparam, select, text, update
from sqlalchemy.dialects.postgresql import ARRAY, BIGINT, BYTEA, JSONB, TEXT, insert
from sqlalchemy.exc import DBAPIError

from domain.casino.errors import (
    BonusMaxBetRefused,
    DuplicateTransaction,
    NotEnoughMoney,
    RoundClosed,
)
from domain.casino.models import (
    CasinoGame,
    GameMode,
    GameRound,
    GameSession,
    RoundStatus,
    RoundTransaction,
    TransactionKind,
    TransactionStatus,
)
from domain.kernel.db import DriverStatement, UnitOfWork


@dataclass(frozen=True)
class SessionRow:
    player_id: uuid.UUID
    currency: str
    expires_at: datetime
    game_code: str


@dataclass(frozen=True)
class TransactionRow:
    id: int
    transaction_uuid: str
    kind: str
    status: str
    brand: str
    player_id: str
    round_id: int | None
    round_ref: str | None
    game_code: str | None
    reference_transaction_uuid: str | None
    amount_minor: int
    currency: str
    stake_split: Mapping[str, int] | None
    response_status: str | None
    balance_after_minor: int | None
    # A free round's bet: the reward it was played from (no money staked).
    reward_uuid: str | None = None

    @classmethod
    def from_json(cls, row: Mapping[str, Any]) -> TransactionRow:
        values: dict[str, Any] = {name: row.get(name) for name in cls.__dataclass_fields__}
        return cls(**values)


@dataclass(frozen=True)
class BetContext:
    session: SessionRow
    player_status: str
    # The session's game is still offered and switched on, and not restricted, on the brand.
    game_playable: bool
    # The player's wallets in the consumption order (shorter when one is not open yet).
    wallet_ids: list[int]
    counter_id: int | None
    # The row already holding this transaction id (a replay or a duplicate), if committed.
    existing: TransactionRow | None
    # The player has limits or a time-out (domain.compliance): only then are they read.
    protection_active: bool = False
    # For the jurisdiction's slot stake limit by age, read with the player (no extra trip).
    date_of_birth: date | None = None
    # A slot (category "slots" or tagged "slot"): the pack's slot rules apply.
    is_slot: bool = False
    # The game's lobby category (bonus wagering contributions may name it).
    category: str | None = None
    # For the jurisdiction's KYC play gate, read with the player (no extra trip).
    kyc_tier: str = "none"
    registered_at: datetime | None = None


# Session, player status (FOR SHARE, as the compliance guard reads it, so a suspension
# commits before or after the bet, never in between), whether the session's game may still
# be played on the brand (the lobby's rule: offered, its own and its provider's switches on,
# not restricted in the brand's jurisdiction; a switch may go off after the launch), wallet
# and counter account ids and any row already holding the transaction id: everything the
# bet needs, in one round trip.
_BET_CONTEXT = text("""
SELECT s.player_id, s.currency, s.expires_at, g.code AS game_code, g.category, p.status,
       p.protection_active, p.date_of_birth, p.kyc_tier, p.created_at AS registered_at,
       (g.category = 'slots' OR 'slot' = ANY(g.tags)) AS is_slot,
       (coalesce(bg.enabled, false) AND coalesce(bp.enabled, true)
        AND NOT (:jurisdiction = ANY(g.restricted_jurisdictions))) AS game_playable,
       ARRAY(
           SELECT a.id FROM unnest(:order) WITH ORDINALITY AS o(kind, position)
           JOIN ledger_accounts a ON a.brand = s.brand AND a.player_id = s.player_id
                AND a.kind = o.kind AND a.currency = s.currency
           ORDER BY o.position
       ) AS wallet_ids,
       (SELECT h.id FROM ledger_accounts h
         WHERE h.brand = s.brand AND h.player_id IS NULL AND h.kind = :counter
           AND h.currency = s.currency) AS counter_id,
       (SELECT to_jsonb(t) FROM casino_transactions t
         WHERE t.provider = s.provider AND t.transaction_uuid = :transaction) AS existing
FROM casino_game_sessions s
JOIN players p ON p.id = s.player_id AND p.brand = s.brand
JOIN casino_games g ON g.id = s.game_id
LEFT JOIN casino_brand_games bg ON bg.brand = s.brand AND bg.game_id = s.game_id
LEFT JOIN casino_brand_providers bp ON bp.brand = s.brand AND bp.provider = g.provider
WHERE s.token_hash = :token_hash AND s.brand = :brand AND s.provider = :provider
  AND s.mode = 'real'
FOR SHARE OF p
""").bindparams(bindparam("order", type_=ARRAY(TEXT)), bindparam("token_hash", type_=BYTEA))

_BET = text(
    "SELECT stakehouse_casino_bet(:provider, :transaction, :brand, :player, :game, :round, "
    ":round_closed, :currency, :amount, :wallets, :counter, :scope, :request_hash, :metadata)"
).bindparams(
    bindparam("wallets", type_=ARRAY(BIGINT)),
    bindparam("request_hash", type_=BYTEA),
    bindparam("metadata", type_=JSONB),
)
# The bet's two statements run precompiled on the driver (DriverStatement): on the callback's
# hot path the ORM session's execute cost more CPU than the statements themselves.
BET_CONTEXT = DriverStatement.of(_BET_CONTEXT)
BET = DriverStatement.of(_BET)


async def find_session(
    uow: UnitOfWork, brand: str, provider: str, token_hash: bytes
) -> SessionRow | None:
    row = (
        await uow.session.execute(
            select(
                GameSession.player_id,
                GameSession.currency,
                GameSession.expires_at,
                CasinoGame.code,
            )
            .join(CasinoGame, CasinoGame.id == GameSession.game_id)
            .where(
                GameSession.token_hash == token_hash,
                GameSession.brand == brand,
                GameSession.provider == provider,
                GameSession.mode == GameMode.REAL.value,
            )
        )
    ).first()
    return None if row is None else SessionRow(*row)


async def bet_context(
    uow: UnitOfWork,
    *,
    brand: str,
    jurisdiction: str,
    provider: str,
    token_hash: bytes,
    transaction_uuid: str,
    order: Sequence[str],
    counter: str,
) -> BetContext | None:
    row = (
        await uow.execute_driver(
            BET_CONTEXT,
            {
                "order": list(order),
                "counter": counter,
                "transaction": transaction_uuid,
                "token_hash": token_hash,
                "brand": brand,
                "jurisdiction": jurisdiction,
                "provider": provider,
            },
        )
    ).first()
    if row is None:
        return None
    existing = _json(row.existing)
    return BetContext(
        session=SessionRow(row.player_id, row.currency, row.expires_at, row.game_code),
        player_status=row.status,
        game_playable=bool(row.game_playable),
        wallet_ids=list(row.wallet_ids),
        counter_id=row.counter_id,
        existing=None if existing is None else TransactionRow.from_json(existing),
        protection_active=bool(row.protection_active),
        date_of_birth=row.date_of_birth,
        is_slot=bool(row.is_slot),
        category=row.category,
        kyc_tier=row.kyc_tier,
        registered_at=row.registered_at,
    )


async def place_bet(uow: UnitOfWork, params: Mapping[str, Any]) -> Mapping[str, Any]:
    """Call `stakehouse_casino_bet` (migration 0004). Its result is {"outcome": "accepted",
    "balance"} or {"outcome": "existing"} (the id is taken: read the row and compare).
    Errors: NotEnoughMoney, RoundClosed, DuplicateTransaction."""
    # The driver runs no bind processors: the JSONB argument goes as its JSON text.
    arguments = {**params, "metadata": json.dumps(params["metadata"])}
    try:
        raw = (await uow.execute_driver(BET, arguments)).scalar()
    except DBAPIError as error:
        raise _domain_error(error) from None
    result = _json(raw)
    assert result is not None, "the bet function always answers"
    return result


def _json(raw: object) -> dict[str, Any] | None:
    if raw is None:
        return None
    return raw if isinstance(raw, dict) else json.loads(str(raw))


def _domain_error(error: DBAPIError) -> Exception:
    original = error.orig
    state = getattr(original, "sqlstate", None) or getattr(original, "pgcode", None)
    if state == "SH402":
        # The ledger reports what the wallets hold together, in the error's detail.
        detail = getattr(getattr(original, "__cause__", None), "detail", None)
        return NotEnoughMoney(json.loads(detail)["balance"] if detail else None)
    if state == "SHC10":
        return RoundClosed(field="round")
    if state == "SHB01":
        # Above the max bet of the player's active bonus: refused inside the stake's own
        # transaction (domain/bonuses/sql/stakehouse_bonus_wager.sql).
        return BonusMaxBetRefused("The stake is above your bonus's maximum bet.", field="amount")
    if state == "SH409":
        # The ledger key (the transaction id) was used for another stake: never pay twice.
        return DuplicateTransaction(field="transaction_uuid")
    return error


async def find_transaction(
    uow: UnitOfWork, provider: str, transaction_uuid: str
) -> TransactionRow | None:
    raw = await uow.session.scalar(
        text(
            "SELECT to_jsonb(t) FROM casino_transactions t "
            "WHERE t.provider = :provider AND t.transaction_uuid = :transaction"
        ),
        {"provider": provider, "transaction": transaction_uuid},
    )
    found = _json(raw)
    return None if found is None else TransactionRow.from_json(found)


async def claim(
    uow: UnitOfWork,
    *,
    provider: str,
    transaction_uuid: str,
    brand: str,
    player_id: uuid.UUID,
    kind: TransactionKind,
    status: TransactionStatus,
    currency: str,
    amount_minor: int,
    round_ref: str | None,
    game_code: str | None,
    reference: str | None,
    reward_uuid: str | None = None,
) -> int | None:
    """Insert the row of a provider transaction id; None when the id is already taken (a
    concurrent claimer waits on the unique index until the first commits or aborts)."""
    claimed: int | None = await uow.session.scalar(
        insert(RoundTransaction)
        .values(
            provider=provider,
            transaction_uuid=transaction_uuid,
            brand=brand,
            player_id=player_id,
            kind=kind.value,
            status=status.value,
            currency=currency,
            amount_minor=amount_minor,
            round_ref=round_ref,
            game_code=game_code,
            reference_transaction_uuid=reference,
            reward_uuid=reward_uuid,
        )
        .on_conflict_do_nothing(index_elements=["provider", "transaction_uuid"])
        .returning(RoundTransaction.id)
    )
    return claimed


_FREE_ROUND = text("""
INSERT INTO casino_rounds AS r (
    brand, provider, player_id, round_ref, game_code, currency, status, bet_minor,
    win_minor, refund_minor, win_count, closed_at
) VALUES (
    :brand, :provider, :player, :round, :game, :currency,
    CASE WHEN :closed THEN 'closed' ELSE 'open' END, 0, 0, 0, 0,
    CASE WHEN :closed THEN now() END
)
ON CONFLICT (brand, provider, player_id, round_ref) DO UPDATE
   SET status = excluded.status, closed_at = excluded.closed_at
 WHERE r.status = 'open'
RETURNING id
""")


async def open_free_round(
    uow: UnitOfWork,
    *,
    brand: str,
    provider: str,
    player_id: uuid.UUID,
    round_ref: str | None,
    game_code: str | None,
    currency: str,
    closed: bool,
) -> int:
    """Open (or extend, under its row lock) the round of a free round's bet: it adds no
    stake (the house staked nothing of the player's). Errors: RoundClosed."""
    round_id: int | None = await uow.session.scalar(
        _FREE_ROUND,
        {
            "brand": brand,
            "provider": provider,
            "player": player_id,
            "round": round_ref,
            "game": game_code,
            "currency": currency,
            "closed": closed,
        },
    )
    if round_id is None:
        raise RoundClosed(field="round")
    return round_id


async def lock_round(uow: UnitOfWork, round_id: int) -> int:
    """Lock the round (every change of its bets and totals happens under this lock) and
    return how many wins it has."""
    wins = await uow.session.scalar(
        select(GameRound.win_count).where(GameRound.id == round_id).with_for_update()
    )
    assert wins is not None, "a bet's round exists"
    return wins


async def transaction_status(uow: UnitOfWork, transaction_id: int) -> str:
    status = await uow.session.scalar(
        select(RoundTransaction.status).where(RoundTransaction.id == transaction_id)
    )
    assert status is not None, "transactions are never deleted"
    return status


async def add_to_round(
    uow: UnitOfWork,
    round_id: int,
    *,
    wins: int = 0,
    win_minor: int = 0,
    refund_minor: int = 0,
    closed: bool,
) -> None:
    """Add wins or a refund to the (locked) round's totals; close it if asked."""
    values: dict[str, Any] = {
        "win_count": GameRound.win_count + wins,
        "win_minor": GameRound.win_minor + win_minor,
        "refund_minor": GameRound.refund_minor + refund_minor,
    }
    if closed:
        values |= {"status": RoundStatus.CLOSED.value, "closed_at": text("now()")}
    await uow.session.execute(update(GameRound).where(GameRound.id == round_id).values(values))


async def finish(
    uow: UnitOfWork,
    transaction_id: int,
    *,
    response_status: str,
    balance_minor: int | None,
    status: TransactionStatus = TransactionStatus.ACCEPTED,
    round_id: int | None = None,
    ledger_transaction_id: int | None = None,
) -> None:
    """Record what a transaction did and what was answered, for replays."""
    await uow.session.execute(
        update(RoundTransaction)
        .where(RoundTransaction.id == transaction_id)
        .values(
            status=status.value,
            response_status=response_status,
            balance_after_minor=balance_minor,
            round_id=round_id,
            ledger_transaction_id=ledger_transaction_id,
        )
    )


async def mark_rolled_back(uow: UnitOfWork, bet_id: int) -> None:
    await uow.session.execute(
        update(RoundTransaction)
        .where(RoundTransaction.id == bet_id)
        .values(status=TransactionStatus.ROLLED_BACK.value)
    )


async def stake_bonus(uow: UnitOfWork, bet_id: int) -> dict[str, Any] | None:
    """What the bet counted toward a bonus (the "bonus" of its ledger metadata), if any."""
    return _json(
        await uow.session.scalar(
            text(
                "SELECT t.metadata -> 'bonus' FROM casino_transactions c "
                "JOIN ledger_transactions t ON t.id = c.ledger_transaction_id WHERE c.id = :bet"
            ),
            {"bet": bet_id},
        )
    )
