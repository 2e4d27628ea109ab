"""The studio's own state: sessions, provably-fair seed pairs, rounds and demo balances.

Plain async functions over a unit of work; they flush, never commit (the game server's
endpoint owns each transaction and never holds one open across a wallet call).
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, text, update
from sqlalchemy.dialects.postgresql import insert

from domain.kernel import clock
from domain.kernel.db import UnitOfWork
from domain.originals import dice
from domain.originals.models import (
    OriginalsRound,
    OriginalsSeed,
    OriginalsSession,
    PlayMode,
    RoundStatus,
)

# As long as the operator takes bets on one launch.
SESSION_TTL = timedelta(hours=4)
HISTORY_ROUNDS_MAX = 50


def key_hash(key: str) -> bytes:
    return hashlib.sha256(key.encode()).digest()


def real_owner(brand: str, user_ref: str) -> str:
    return f"{brand}:{user_ref}"


@dataclass(frozen=True)
class OpenedSession:
    # Shown once, to the game page; only its hash is stored.
    key: str
    session: OriginalsSession


async def open_session(
    uow: UnitOfWork,
    *,
    brand: str,
    mode: PlayMode,
    game_code: str,
    currency: str,
    user_ref: str | None = None,
    operator_token: str | None = None,
    demo_balance_minor: int | None = None,
) -> OpenedSession:
    """A game page's session, with an active seed pair for its owner."""
    assert (mode is PlayMode.REAL) == (operator_token is not None and user_ref is not None)
    key = secrets.token_urlsafe(32)
    session_id = uuid.uuid4()
    owner = (
        real_owner(brand, user_ref)
        if mode is PlayMode.REAL and user_ref is not None
        else f"demo:{session_id}"
    )
    session = OriginalsSession(
        id=session_id,
        key_hash=key_hash(key),
        brand=brand,
        mode=mode.value,
        game_code=game_code,
        currency=currency,
        owner=owner,
        user_ref=user_ref,
        operator_token=operator_token,
        demo_balance_minor=demo_balance_minor if mode is PlayMode.DEMO else None,
        expires_at=clock.now() + SESSION_TTL,
    )
    uow.session.add(session)
    await uow.flush()
    await ensure_seed(uow, owner)
    return OpenedSession(key, session)


async def session_by_key(uow: UnitOfWork, key: str) -> OriginalsSession | None:
    """The live session of a page key (None: unknown or expired)."""
    if not key or len(key) > 128:
        return None
    return await uow.session.scalar(
        select(OriginalsSession).where(
            OriginalsSession.key_hash == key_hash(key),
            OriginalsSession.expires_at > clock.now(),
        )
    )


async def ensure_seed(uow: UnitOfWork, owner: str) -> None:
    """Give `owner` an active seed pair unless it has one (concurrent callers: one wins)."""
    server_seed = dice.new_server_seed()
    await uow.session.execute(
        insert(OriginalsSeed)
        .values(
            owner=owner,
            server_seed=server_seed,
            server_seed_hash=dice.seed_hash(server_seed),
            client_seed=dice.new_client_seed(),
            next_nonce=0,
        )
        .on_conflict_do_nothing(index_elements=["owner"], index_where=text("revealed_at IS NULL"))
    )


async def active_seed(uow: UnitOfWork, owner: str) -> OriginalsSeed:
    seed = await uow.session.scalar(
        select(OriginalsSeed).where(
            OriginalsSeed.owner == owner, OriginalsSeed.revealed_at.is_(None)
        )
    )
    assert seed is not None, "every session's owner has an active seed pair"
    return seed


@dataclass(frozen=True)
class Draw:
    seed_id: int
    server_seed: str
    server_seed_hash: str
    client_seed: str
    nonce: int


async def take_nonce(uow: UnitOfWork, owner: str) -> Draw:
    """The next nonce of the owner's active pair, in one statement (its row lock orders
    concurrent bets: no two share a nonce)."""
    row = (
        await uow.session.execute(
            update(OriginalsSeed)
            .where(OriginalsSeed.owner == owner, OriginalsSeed.revealed_at.is_(None))
            .values(next_nonce=OriginalsSeed.next_nonce + 1)
            .returning(
                OriginalsSeed.id,
                OriginalsSeed.server_seed,
                OriginalsSeed.server_seed_hash,
                OriginalsSeed.client_seed,
                OriginalsSeed.next_nonce,
            )
        )
    ).one()
    return Draw(row[0], row[1], row[2], row[3], row[4] - 1)


@dataclass(frozen=True)
class Rotation:
    revealed: OriginalsSeed
    active: OriginalsSeed


async def rotate_seed(uow: UnitOfWork, owner: str, client_seed: str | None) -> Rotation:
    """Reveal the active server seed and start a new pair (nonce 0) with `client_seed`
    (or a random one)."""
    revealed = await uow.session.scalar(
        update(OriginalsSeed)
        .where(OriginalsSeed.owner == owner, OriginalsSeed.revealed_at.is_(None))
        .values(revealed_at=clock.now())
        .returning(OriginalsSeed)
    )
    assert revealed is not None, "every session's owner has an active seed pair"
    server_seed = dice.new_server_seed()
    active = OriginalsSeed(
        owner=owner,
        server_seed=server_seed,
        server_seed_hash=dice.seed_hash(server_seed),
        client_seed=client_seed or dice.new_client_seed(),
        next_nonce=0,
    )
    uow.session.add(active)
    await uow.flush()
    return Rotation(revealed, active)


async def add_round(
    uow: UnitOfWork,
    session: OriginalsSession,
    *,
    stake_minor: int,
    payout_minor: int,
    outcome: dict[str, Any],
    status: RoundStatus,
    draw: Draw | None = None,
    balance_after_minor: int | None = None,
) -> OriginalsRound:
    settled = status is RoundStatus.SETTLED
    round_row = OriginalsRound(
        round_ref=f"orig-{uuid.uuid4().hex}",
        session_id=session.id,
        owner=session.owner,
        game_code=session.game_code,
        mode=session.mode,
        currency=session.currency,
        stake_minor=stake_minor,
        payout_minor=payout_minor,
        status=status.value,
        outcome=outcome,
        seed_id=draw.seed_id if draw else None,
        nonce=draw.nonce if draw else None,
        balance_after_minor=balance_after_minor,
        settled_at=clock.now() if settled else None,
    )
    uow.session.add(round_row)
    await uow.flush()
    return round_row


async def move_round(
    uow: UnitOfWork,
    round_id: int,
    *,
    to: RoundStatus,
    allowed_from: tuple[RoundStatus, ...],
    balance_after_minor: int | None = None,
) -> bool:
    """Guarded status change: False when the round was no longer in `allowed_from`."""
    values: dict[str, Any] = {"status": to.value}
    if balance_after_minor is not None:
        values["balance_after_minor"] = balance_after_minor
    if to in (RoundStatus.SETTLED, RoundStatus.REFUSED, RoundStatus.ROLLED_BACK):
        values["settled_at"] = clock.now()
    result = await uow.session.execute(
        update(OriginalsRound)
        .where(
            OriginalsRound.id == round_id,
            OriginalsRound.status.in_([status.value for status in allowed_from]),
        )
        .values(**values)
        .returning(OriginalsRound.id)
    )
    return result.first() is not None


async def rounds_in(
    uow: UnitOfWork, session_id: uuid.UUID, statuses: tuple[RoundStatus, ...]
) -> list[OriginalsRound]:
    return list(
        await uow.session.scalars(
            select(OriginalsRound)
            .where(
                OriginalsRound.session_id == session_id,
                OriginalsRound.status.in_([status.value for status in statuses]),
            )
            .order_by(OriginalsRound.id)
        )
    )


async def play_demo_money(
    uow: UnitOfWork, session_id: uuid.UUID, stake_minor: int, payout_minor: int
) -> int | None:
    """Take the stake and pay the payout of a demo round in one conditional statement;
    the new play-money balance, or None when the stake is more than the balance."""
    return await uow.session.scalar(
        update(OriginalsSession)
        .where(
            OriginalsSession.id == session_id,
            OriginalsSession.mode == PlayMode.DEMO.value,
            OriginalsSession.demo_balance_minor >= stake_minor,
        )
        .values(demo_balance_minor=OriginalsSession.demo_balance_minor - stake_minor + payout_minor)
        .returning(OriginalsSession.demo_balance_minor)
    )


@dataclass(frozen=True)
class PastRound:
    round: OriginalsRound
    server_seed_hash: str | None
    client_seed: str | None
    # Only once the pair was rotated out.
    server_seed: str | None
    created_at: datetime


async def history(uow: UnitOfWork, owner: str) -> list[PastRound]:
    """The owner's latest rounds, newest first, with their seed pair; the server seed
    only where it was revealed."""
    rows = await uow.session.execute(
        select(OriginalsRound, OriginalsSeed)
        .outerjoin(OriginalsSeed, OriginalsSeed.id == OriginalsRound.seed_id)
        .where(OriginalsRound.owner == owner)
        .order_by(OriginalsRound.id.desc())
        .limit(HISTORY_ROUNDS_MAX)
    )
    past: list[PastRound] = []
    for round_row, seed in rows:
        revealed = seed is not None and seed.revealed_at is not None
        past.append(
            PastRound(
                round_row,
                seed.server_seed_hash if seed else None,
                seed.client_seed if seed else None,
                seed.server_seed if seed is not None and revealed else None,
                round_row.created_at,
            )
        )
    return past
