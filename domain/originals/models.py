"""The Originals studio's own tables (prefix `originals_`): what an outside studio keeps on
its side of the seamless wallet. Operator ids (brand, player) are opaque text here: the
studio links to nothing of the operator's schema.

    session  real (the operator's token, checked by `authenticate`) | demo (play money here)
    seed     active -> revealed   (one active pair per owner; rotation reveals the old seed)
    round    pending -> open -> settled        real money: bet accepted, then win/close
             pending -> refused | rolled_back  the bet was refused, or never confirmed
             settled                           demo rounds settle in one transaction
"""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    Text,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, UUID
from sqlalchemy.orm import Mapped, mapped_column

from domain.kernel.db import Base
from domain.kernel.ids import new_id


class PlayMode(StrEnum):
    REAL = "real"
    DEMO = "demo"


class RoundStatus(StrEnum):
    PENDING = "pending"
    OPEN = "open"
    SETTLED = "settled"
    REFUSED = "refused"
    ROLLED_BACK = "rolled_back"


class OriginalsSession(Base):
    __tablename__ = "originals_sessions"

    id: Mapped[uuid.UUID] = mapped_column(UUID, primary_key=True, default=new_id)
    # SHA-256 of the key the game page holds: a copy of the table plays for nobody.
    key_hash: Mapped[bytes] = mapped_column(LargeBinary, unique=True)
    brand: Mapped[str] = mapped_column(Text)
    mode: Mapped[str] = mapped_column(Text)
    game_code: Mapped[str] = mapped_column(Text)
    currency: Mapped[str] = mapped_column(Text)
    # Whose seeds and rounds these are: "<brand>:<user>" for real money, one per demo session.
    owner: Mapped[str] = mapped_column(Text)
    # Real money only: the operator's user and launch token, sent with every wallet call.
    user_ref: Mapped[str | None] = mapped_column(Text)
    operator_token: Mapped[str | None] = mapped_column(Text)
    # Demo only: play money.
    demo_balance_minor: Mapped[int | None] = mapped_column(BigInteger)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

    __table_args__ = (
        CheckConstraint("mode IN ('real', 'demo')", name="mode"),
        CheckConstraint(
            "(mode = 'real' AND user_ref IS NOT NULL AND operator_token IS NOT NULL"
            " AND demo_balance_minor IS NULL)"
            " OR (mode = 'demo' AND operator_token IS NULL AND demo_balance_minor >= 0)",
            name="mode_fields",
        ),
    )


class OriginalsSeed(Base):
    __tablename__ = "originals_seeds"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    owner: Mapped[str] = mapped_column(Text)
    server_seed: Mapped[str] = mapped_column(Text)
    server_seed_hash: Mapped[str] = mapped_column(Text)
    client_seed: Mapped[str] = mapped_column(Text)
    next_nonce: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    # Null while the pair is in use; the server seed is shown only once this is set.
    revealed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    __table_args__ = (
        CheckConstraint("next_nonce >= 0", name="nonce"),
        Index(
            "uq_originals_seeds_active_owner",
            "owner",
            unique=True,
            postgresql_where=text("revealed_at IS NULL"),
        ),
    )


class OriginalsRound(Base):
    __tablename__ = "originals_rounds"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    # The operator's `round`; the wallet transaction ids derive from it.
    round_ref: Mapped[str] = mapped_column(Text, unique=True)
    session_id: Mapped[uuid.UUID] = mapped_column(UUID, ForeignKey("originals_sessions.id"))
    owner: Mapped[str] = mapped_column(Text)
    game_code: Mapped[str] = mapped_column(Text)
    mode: Mapped[str] = mapped_column(Text)
    currency: Mapped[str] = mapped_column(Text)
    stake_minor: Mapped[int] = mapped_column(BigInteger)
    payout_minor: Mapped[int] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(Text)
    # Dice: roll, target. Slot: stops, window, line wins.
    outcome: Mapped[dict[str, Any]] = mapped_column(JSONB)
    seed_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("originals_seeds.id"))
    nonce: Mapped[int | None] = mapped_column(Integer)
    balance_after_minor: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    settled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    __table_args__ = (
        CheckConstraint("stake_minor > 0 AND payout_minor >= 0", name="amounts"),
        CheckConstraint(
            "status IN ('pending', 'open', 'settled', 'refused', 'rolled_back')", name="status"
        ),
        Index("ix_originals_rounds_owner_id", "owner", "id"),
        Index("ix_originals_rounds_session_id_status", "session_id", "status"),
    )


class OriginalsFreeRounds(Base):
    """Free rounds the operator granted (the studio's side of the free-rounds API): the
    reward id is the operator's; each free round played takes one (under the row lock)."""

    __tablename__ = "originals_free_rounds"

    reward_id: Mapped[str] = mapped_column(Text, primary_key=True)
    provider: Mapped[str] = mapped_column(Text)
    brand: Mapped[str] = mapped_column(Text)
    user_ref: Mapped[str] = mapped_column(Text)
    currency: Mapped[str] = mapped_column(Text)
    games: Mapped[list[str]] = mapped_column(ARRAY(Text))
    rounds: Mapped[int] = mapped_column(Integer)
    stake_minor: Mapped[int] = mapped_column(BigInteger)
    rounds_played: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    # active | completed | cancelled (expiry is read from expires_at)
    status: Mapped[str] = mapped_column(Text)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

    __table_args__ = (
        CheckConstraint("status IN ('active', 'completed', 'cancelled')", name="status"),
        CheckConstraint("rounds_played BETWEEN 0 AND rounds", name="rounds"),
        Index("ix_originals_free_rounds_user", "brand", "user_ref"),
    )
