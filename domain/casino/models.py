"""Casino: providers, their games (enabled per brand), game sessions, rounds and the
provider's wallet transactions.

    round        open -> closed   (a closed round takes no new bet; late wins still pay)
    transaction  bet:      accepted -> rolled_back
                 bet:      tombstone  (a rollback came first: the late bet is refused)
                 win:      accepted
                 rollback: accepted | refused (answered TRANSACTION_DOES_NOT_EXIST)

Money moves only through the ledger (domain/wallets); these rows say which provider
transaction moved what, so a replay answers the original result and nothing moves twice.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, UUID
from sqlalchemy.orm import Mapped, mapped_column

from domain.kernel.db import Base
from domain.kernel.ids import new_id


class GameMode(StrEnum):
    REAL = "real"
    DEMO = "demo"


class RoundStatus(StrEnum):
    OPEN = "open"
    CLOSED = "closed"


class TransactionKind(StrEnum):
    BET = "bet"
    WIN = "win"
    ROLLBACK = "rollback"


class TransactionStatus(StrEnum):
    ACCEPTED = "accepted"
    ROLLED_BACK = "rolled_back"
    TOMBSTONE = "tombstone"
    REFUSED = "refused"


class CasinoProvider(Base):
    __tablename__ = "casino_providers"

    code: Mapped[str] = mapped_column(Text, primary_key=True)
    name: Mapped[str] = mapped_column(Text)
    # Where a launch sends the player; the token, game and mode are added as a query.
    launch_url: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class CasinoGame(Base):
    __tablename__ = "casino_games"

    id: Mapped[uuid.UUID] = mapped_column(UUID, primary_key=True, default=new_id)
    provider: Mapped[str] = mapped_column(Text, ForeignKey("casino_providers.code"))
    code: Mapped[str] = mapped_column(Text)
    name: Mapped[str] = mapped_column(Text)
    category: Mapped[str] = mapped_column(Text)
    tags: Mapped[list[str]] = mapped_column(ARRAY(Text), default=list)
    # Return to player in basis points (9650 = 96.50 %): no floats, even for a statistic.
    rtp_basis_points: Mapped[int] = mapped_column(Integer)
    volatility: Mapped[str] = mapped_column(Text)
    thumbnail_url: Mapped[str | None] = mapped_column(Text)
    demo_available: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    # The day the studio released it, as its catalogue says (null: not said; the lobby then
    # counts the day the game reached it, `created_at`). The "new games" rail orders by it.
    released_on: Mapped[date | None] = mapped_column(Date)
    # Jurisdictions (a brand's `jurisdiction`, e.g. "GB") where the game is not certified:
    # no brand of those lists or launches it, whatever its own switch says.
    restricted_jurisdictions: Mapped[list[str]] = mapped_column(
        ARRAY(Text), default=list, server_default=text("'{}'")
    )

    __table_args__ = (
        UniqueConstraint("provider", "code"),
        CheckConstraint("rtp_basis_points BETWEEN 0 AND 10000", name="rtp_range"),
        CheckConstraint("volatility IN ('low', 'medium', 'high')", name="volatility"),
        # Lobby search: ILIKE and word similarity (pg_trgm) on the name use this index.
        Index(
            "ix_casino_games_name_trgm",
            "name",
            postgresql_using="gin",
            postgresql_ops={"name": "gin_trgm_ops"},
        ),
    )


class BrandGame(Base):
    """A game a brand offers (its lobby lists only these)."""

    __tablename__ = "casino_brand_games"

    brand: Mapped[str] = mapped_column(Text, ForeignKey("brands.slug"), primary_key=True)
    game_id: Mapped[uuid.UUID] = mapped_column(
        UUID, ForeignKey("casino_games.id"), primary_key=True
    )
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)


class BrandProvider(Base):
    """A brand's switch for a whole provider. Off: none of its games is listed or launched
    on the brand (each game keeps its own switch for when the provider comes back). No row
    means on."""

    __tablename__ = "casino_brand_providers"

    brand: Mapped[str] = mapped_column(Text, ForeignKey("brands.slug"), primary_key=True)
    provider: Mapped[str] = mapped_column(
        Text, ForeignKey("casino_providers.code"), primary_key=True
    )
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class FavouriteGame(Base):
    """A game a player marked as a favourite (a player belongs to one brand)."""

    __tablename__ = "casino_favourites"

    player_id: Mapped[uuid.UUID] = mapped_column(UUID, ForeignKey("players.id"), primary_key=True)
    game_id: Mapped[uuid.UUID] = mapped_column(
        UUID, ForeignKey("casino_games.id"), primary_key=True
    )
    brand: Mapped[str] = mapped_column(Text, ForeignKey("brands.slug"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class GameSession(Base):
    __tablename__ = "casino_game_sessions"

    id: Mapped[uuid.UUID] = mapped_column(UUID, primary_key=True, default=new_id)
    # SHA-256 of the token: a copy of the table does not let anyone bet as the player.
    token_hash: Mapped[bytes] = mapped_column(LargeBinary, unique=True)
    brand: Mapped[str] = mapped_column(Text, ForeignKey("brands.slug"))
    player_id: Mapped[uuid.UUID] = mapped_column(UUID, ForeignKey("players.id"))
    provider: Mapped[str] = mapped_column(Text, ForeignKey("casino_providers.code"))
    game_id: Mapped[uuid.UUID] = mapped_column(UUID, ForeignKey("casino_games.id"))
    currency: Mapped[str] = mapped_column(Text)
    mode: Mapped[str] = mapped_column(Text)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

    __table_args__ = (
        CheckConstraint("mode IN ('real', 'demo')", name="mode"),
        Index("ix_casino_game_sessions_player_id", "player_id"),
    )


class GameRound(Base):
    __tablename__ = "casino_rounds"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    brand: Mapped[str] = mapped_column(Text, ForeignKey("brands.slug"))
    provider: Mapped[str] = mapped_column(Text, ForeignKey("casino_providers.code"))
    player_id: Mapped[uuid.UUID] = mapped_column(UUID, ForeignKey("players.id"))
    # The provider's round id: live tables share one round among many players.
    round_ref: Mapped[str] = mapped_column(Text)
    game_code: Mapped[str] = mapped_column(Text)
    currency: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(Text, default=RoundStatus.OPEN)
    bet_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    win_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    refund_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    win_count: Mapped[int] = mapped_column(Integer, default=0)
    opened_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    __table_args__ = (
        UniqueConstraint("brand", "provider", "player_id", "round_ref"),
        CheckConstraint("status IN ('open', 'closed')", name="status"),
        Index("ix_casino_rounds_player_id_id", "player_id", "id"),
        # Reconciliation and big wins: a brand's rounds in a time range, newest first.
        Index("ix_casino_rounds_brand_opened_at_id", "brand", "opened_at", "id"),
    )


class RoundTransaction(Base):
    """One provider wallet transaction (bet, win, rollback) and what we answered."""

    __tablename__ = "casino_transactions"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    provider: Mapped[str] = mapped_column(Text, ForeignKey("casino_providers.code"))
    transaction_uuid: Mapped[str] = mapped_column(Text)
    brand: Mapped[str] = mapped_column(Text, ForeignKey("brands.slug"))
    player_id: Mapped[uuid.UUID] = mapped_column(UUID, ForeignKey("players.id"))
    round_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("casino_rounds.id"))
    kind: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(Text)
    round_ref: Mapped[str | None] = mapped_column(Text)
    game_code: Mapped[str | None] = mapped_column(Text)
    reference_transaction_uuid: Mapped[str | None] = mapped_column(Text)
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(Text)
    # How the stake was paid by wallet kind ({"cash": 300, "bonus": 200}); wins and the
    # refund go back in this proportion.
    stake_split: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    # The ledger transaction it posted (a link by id: the ledger is another context).
    ledger_transaction_id: Mapped[int | None] = mapped_column(BigInteger)
    # What we answered, so a replay answers the same.
    response_status: Mapped[str | None] = mapped_column(Text)
    balance_after_minor: Mapped[int | None] = mapped_column(BigInteger)
    # A free round's bet: the provider's reward id (bonuses' free rounds); no money staked.
    reward_uuid: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

    __table_args__ = (
        # One row per provider transaction id, claimed with INSERT ... ON CONFLICT: the
        # database, not a check-then-insert, decides which of concurrent duplicates wins.
        UniqueConstraint("provider", "transaction_uuid"),
        CheckConstraint("kind IN ('bet', 'win', 'rollback')", name="kind"),
        CheckConstraint(
            "status IN ('accepted', 'rolled_back', 'tombstone', 'refused')", name="status"
        ),
        CheckConstraint("amount_minor >= 0", name="amount_not_negative"),
        Index("ix_casino_transactions_round_id", "round_id"),
        Index(
            "ix_casino_transactions_player_id_id",
            "player_id",
            "id",
            postgresql_where=text("status <> 'tombstone'"),
        ),
    )
