from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, UUID
from sqlalchemy.orm import Mapped, mapped_column

from domain.kernel.db import Base
from domain.kernel.ids import new_id


class OfferKind(StrEnum):
    DEPOSIT_MATCH = "deposit_match"
    SIGN_UP = "sign_up"
    CASHBACK = "cashback"
    FREE_SPINS = "free_spins"
    FREE_BET = "free_bet"
    # A deposit match for existing players, repeatable once per period.
    RELOAD = "reload"


class GrantState(StrEnum):
    ACTIVE = "active"
    # Terminal states: each reached by one code path (domain/bonuses/lifecycle.py).
    CONVERTED = "converted"
    FORFEITED = "forfeited"
    EXPIRED = "expired"
    CANCELLED = "cancelled"


TERMINAL_STATES = frozenset(GrantState) - {GrantState.ACTIVE}


class BonusOffer(Base):
    """An offer as it is now. Every edit raises `version` and appends the new terms to
    `bonus_offer_versions`; grants copy the terms, so an edit never reaches them."""

    __tablename__ = "bonus_offers"

    id: Mapped[uuid.UUID] = mapped_column(UUID, primary_key=True, default=new_id)
    brand: Mapped[str] = mapped_column(Text, ForeignKey("brands.slug"))
    kind: Mapped[str] = mapped_column(Text)
    name: Mapped[str] = mapped_column(Text)
    # Upper case; unique among a brand's active offers.
    code: Mapped[str | None] = mapped_column(Text)
    currency: Mapped[str] = mapped_column(Text)
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=text("true"))
    version: Mapped[int] = mapped_column(Integer, default=1, server_default=text("1"))
    terms: Mapped[dict[str, Any]] = mapped_column(JSONB)
    eligibility: Mapped[dict[str, Any]] = mapped_column(JSONB)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

    __table_args__ = (
        CheckConstraint(
            "kind IN ('deposit_match', 'sign_up', 'cashback', 'free_spins', 'free_bet', 'reload')",
            name="kind",
        ),
        Index(
            "uq_bonus_offers_code",
            "brand",
            "code",
            unique=True,
            postgresql_where=text("code IS NOT NULL AND active"),
        ),
    )


class BonusOfferVersion(Base):
    """Every version of an offer's terms, as it was saved (append-only)."""

    __tablename__ = "bonus_offer_versions"

    offer_id: Mapped[uuid.UUID] = mapped_column(
        UUID, ForeignKey("bonus_offers.id"), primary_key=True
    )
    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(Text)
    code: Mapped[str | None] = mapped_column(Text)
    terms: Mapped[dict[str, Any]] = mapped_column(JSONB)
    eligibility: Mapped[dict[str, Any]] = mapped_column(JSONB)
    staff_id: Mapped[uuid.UUID | None] = mapped_column(UUID)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class BonusGrant(Base):
    """A bonus a player holds, with the offer's terms as they were at grant time.

    `wagered_minor` is the weighted progress (stake x contribution), moved only by
    `stakehouse_bonus_wager` inside the stake's own transaction; `staked_by_contribution`
    is the raw stake by contribution percent ("100", "10", "0"), for the progress view."""

    __tablename__ = "bonus_grants"

    id: Mapped[uuid.UUID] = mapped_column(UUID, primary_key=True, default=new_id)
    brand: Mapped[str] = mapped_column(Text, ForeignKey("brands.slug"))
    player_id: Mapped[uuid.UUID] = mapped_column(UUID, ForeignKey("players.id"))
    offer_id: Mapped[uuid.UUID] = mapped_column(UUID, ForeignKey("bonus_offers.id"))
    offer_version: Mapped[int] = mapped_column(Integer)
    # What makes a second claim the same claim (the offer for one-per-person offers, the
    # offer and the deposit otherwise): unique per player, so a double claim grants once.
    claim_key: Mapped[str] = mapped_column(Text)
    currency: Mapped[str] = mapped_column(Text)
    state: Mapped[str] = mapped_column(Text)
    terms: Mapped[dict[str, Any]] = mapped_column(JSONB)
    bonus_minor: Mapped[int] = mapped_column(BigInteger)
    deposit_minor: Mapped[int] = mapped_column(BigInteger, default=0, server_default=text("0"))
    required_minor: Mapped[int] = mapped_column(BigInteger)
    wagered_minor: Mapped[int] = mapped_column(BigInteger, default=0, server_default=text("0"))
    staked_by_contribution: Mapped[dict[str, int]] = mapped_column(
        JSONB, default=dict, server_default=text("'{}'::jsonb")
    )
    max_bet_minor: Mapped[int | None] = mapped_column(BigInteger)
    max_conversion_minor: Mapped[int | None] = mapped_column(BigInteger)
    payment_id: Mapped[uuid.UUID | None] = mapped_column(UUID)
    granted_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    ended_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    end_reason: Mapped[str | None] = mapped_column(Text)
    converted_minor: Mapped[int] = mapped_column(BigInteger, default=0, server_default=text("0"))
    forfeited_minor: Mapped[int] = mapped_column(BigInteger, default=0, server_default=text("0"))

    __table_args__ = (
        UniqueConstraint("player_id", "claim_key"),
        CheckConstraint(
            "state IN ('active', 'converted', 'forfeited', 'expired', 'cancelled')", name="state"
        ),
        CheckConstraint("bonus_minor > 0 AND required_minor >= 0", name="amounts"),
        # The grant a stake feeds: the player's active ones in its currency, earliest expiry.
        Index(
            "ix_bonus_grants_active",
            "player_id",
            "currency",
            "expires_at",
            postgresql_where=text("state = 'active'"),
        ),
        # The expiry sweep and staff lists by state.
        Index("ix_bonus_grants_brand_state", "brand", "state", "expires_at"),
    )


class CashbackPayout(Base):
    """One cashback paid: the claim that makes a period's payout happen once per player
    (append-only)."""

    __tablename__ = "bonus_cashback_payouts"

    offer_id: Mapped[uuid.UUID] = mapped_column(
        UUID, ForeignKey("bonus_offers.id"), primary_key=True
    )
    player_id: Mapped[uuid.UUID] = mapped_column(UUID, ForeignKey("players.id"), primary_key=True)
    # An ISO week, "2026-W49".
    period: Mapped[str] = mapped_column(Text, primary_key=True)
    net_loss_minor: Mapped[int] = mapped_column(BigInteger)
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class FreeRoundsState(StrEnum):
    # Recorded here; the provider's grant call is made after the commit (or by the sync).
    PENDING = "pending"
    ACTIVE = "active"
    # Terminal: every round played, or ended by staff, the provider or the clock.
    COMPLETED = "completed"
    CANCELLED = "cancelled"
    EXPIRED = "expired"


FREE_ROUNDS_OPEN = frozenset({FreeRoundsState.PENDING, FreeRoundsState.ACTIVE})


class FreeRounds(Base):
    """Free rounds (free spins) a player holds at a game provider, with the offer's terms
    as they were at grant time. The id is the reward id the provider's callbacks carry;
    each free round's bet claims one of `rounds` (under this row's lock) and its win is
    paid from the house bonus account to the wallet the terms name."""

    __tablename__ = "bonus_free_rounds"

    id: Mapped[uuid.UUID] = mapped_column(UUID, primary_key=True, default=new_id)
    brand: Mapped[str] = mapped_column(Text, ForeignKey("brands.slug"))
    player_id: Mapped[uuid.UUID] = mapped_column(UUID, ForeignKey("players.id"))
    offer_id: Mapped[uuid.UUID] = mapped_column(UUID, ForeignKey("bonus_offers.id"))
    offer_version: Mapped[int] = mapped_column(Integer)
    # As for grants: a second claim of the same offer grants nothing.
    claim_key: Mapped[str] = mapped_column(Text)
    provider: Mapped[str] = mapped_column(Text)
    games: Mapped[list[str]] = mapped_column(ARRAY(Text))
    currency: Mapped[str] = mapped_column(Text)
    state: Mapped[str] = mapped_column(Text)
    terms: Mapped[dict[str, Any]] = mapped_column(JSONB)
    rounds: Mapped[int] = mapped_column(Integer)
    stake_minor: Mapped[int] = mapped_column(BigInteger)
    rounds_used: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    won_minor: Mapped[int] = mapped_column(BigInteger, default=0, server_default=text("0"))
    # "cash" or "bonus" (then the winnings are a grant with the terms' wagering).
    winnings_wallet: Mapped[str] = mapped_column(Text)
    # The grant holding bonus winnings (made by the first win that is paid as bonus).
    grant_id: Mapped[uuid.UUID | None] = mapped_column(UUID, ForeignKey("bonus_grants.id"))
    # What the provider last said of the reward (its status call), and when.
    provider_status: Mapped[str | None] = mapped_column(Text)
    synced_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    granted_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    ended_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    end_reason: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (
        UniqueConstraint("player_id", "claim_key"),
        CheckConstraint(
            "state IN ('pending', 'active', 'completed', 'cancelled', 'expired')", name="state"
        ),
        CheckConstraint(
            "rounds > 0 AND stake_minor > 0 AND rounds_used BETWEEN 0 AND rounds "
            "AND won_minor >= 0",
            name="rounds",
        ),
        CheckConstraint("winnings_wallet IN ('cash', 'bonus')", name="winnings_wallet"),
        # The sync and the expiry sweep read the open ones.
        Index(
            "ix_bonus_free_rounds_open",
            "expires_at",
            postgresql_where=text("state IN ('pending', 'active')"),
        ),
        Index("ix_bonus_free_rounds_player", "player_id", "granted_at"),
    )


class FreeBetState(StrEnum):
    ACTIVE = "active"
    # Staked by an open bet (back to ACTIVE when that bet is void).
    USED = "used"
    # Terminal: the bet settled (won or lost), or the free bet expired / was cancelled.
    SETTLED = "settled"
    EXPIRED = "expired"
    CANCELLED = "cancelled"


class FreeBet(Base):
    """A free bet a player holds: `amount_minor` in the sportsbook free-bet wallet (granted
    from the house bonus account), staked whole by one bet that meets the terms as granted
    (minimum odds, sports, market types); its stake is not returned with a win."""

    __tablename__ = "bonus_free_bets"

    id: Mapped[uuid.UUID] = mapped_column(UUID, primary_key=True, default=new_id)
    brand: Mapped[str] = mapped_column(Text, ForeignKey("brands.slug"))
    player_id: Mapped[uuid.UUID] = mapped_column(UUID, ForeignKey("players.id"))
    offer_id: Mapped[uuid.UUID] = mapped_column(UUID, ForeignKey("bonus_offers.id"))
    offer_version: Mapped[int] = mapped_column(Integer)
    claim_key: Mapped[str] = mapped_column(Text)
    currency: Mapped[str] = mapped_column(Text)
    state: Mapped[str] = mapped_column(Text)
    terms: Mapped[dict[str, Any]] = mapped_column(JSONB)
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    # The sportsbook bet that staked it (a link by id: sportsbook is another context).
    bet_id: Mapped[int | None] = mapped_column(BigInteger)
    granted_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    ended_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    end_reason: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (
        UniqueConstraint("player_id", "claim_key"),
        CheckConstraint(
            "state IN ('active', 'used', 'settled', 'expired', 'cancelled')", name="state"
        ),
        CheckConstraint("amount_minor > 0", name="amount"),
        Index(
            "ix_bonus_free_bets_active",
            "player_id",
            "currency",
            "expires_at",
            postgresql_where=text("state = 'active'"),
        ),
        Index("ix_bonus_free_bets_bet", "bet_id", postgresql_where=text("bet_id IS NOT NULL")),
    )


class LoyaltyProgramme(Base):
    """A brand's loyalty programme (bonuses.loyalty.Programme as JSON): points per stake by
    product, tiers over a rolling window, the redemption rate. Every save raises `version`."""

    __tablename__ = "loyalty_programmes"

    brand: Mapped[str] = mapped_column(Text, ForeignKey("brands.slug"), primary_key=True)
    config: Mapped[dict[str, Any]] = mapped_column(JSONB)
    version: Mapped[int] = mapped_column(Integer, default=1, server_default=text("1"))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class LoyaltyEarning(Base):
    """One stake's points, or a refund's points taken back (negative), append-only: the
    claim that makes each count once."""

    __tablename__ = "loyalty_earnings"

    # The stake's (or refund's) ledger transaction.
    ledger_transaction_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    brand: Mapped[str] = mapped_column(Text, ForeignKey("brands.slug"))
    player_id: Mapped[uuid.UUID] = mapped_column(UUID, ForeignKey("players.id"))
    product: Mapped[str] = mapped_column(Text)
    staked_minor: Mapped[int] = mapped_column(BigInteger)
    points: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

    __table_args__ = (
        # The rolling window of a player's points (tiers).
        Index("ix_loyalty_earnings_player", "player_id", "created_at"),
    )


class LoyaltyStatus(Base):
    """A player's tier, as the last recalculation found it over the rolling window."""

    __tablename__ = "loyalty_statuses"

    player_id: Mapped[uuid.UUID] = mapped_column(UUID, ForeignKey("players.id"), primary_key=True)
    brand: Mapped[str] = mapped_column(Text, ForeignKey("brands.slug"))
    tier: Mapped[str] = mapped_column(Text)
    window_points: Mapped[int] = mapped_column(BigInteger)
    recalculated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class LoyaltyTierRun(Base):
    """How far a brand's tier recalculation has got (domain.bonuses.loyalty): a run in
    progress has recalculated the players up to `cursor` (player id order), each batch in
    its own transaction, so a run that stops resumes there; NULL: no run in progress. One
    row per brand, locked by the batch that holds it."""

    __tablename__ = "loyalty_tier_runs"

    brand: Mapped[str] = mapped_column(Text, ForeignKey("brands.slug"), primary_key=True)
    cursor: Mapped[uuid.UUID | None] = mapped_column(UUID)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class AbuseFlagKind(StrEnum):
    # Claims of one offer by accounts that signed in from one network address.
    SHARED_ADDRESS = "shared_address"
    # Low-risk wagering of bonus money.
    OPPOSITE_BETS = "opposite_bets"
    LOW_ODDS = "low_odds"
    MAX_BET_REFUSED = "max_bet_refused"


class AbuseFlag(Base):
    """A pattern the bonus engine flags to risk staff, once per subject (`dedup_key`),
    append-only: staff act on it elsewhere (a note, a cancelled grant, a closed account)."""

    __tablename__ = "bonus_abuse_flags"

    id: Mapped[uuid.UUID] = mapped_column(UUID, primary_key=True, default=new_id)
    brand: Mapped[str] = mapped_column(Text, ForeignKey("brands.slug"))
    player_id: Mapped[uuid.UUID] = mapped_column(UUID, ForeignKey("players.id"))
    kind: Mapped[str] = mapped_column(Text)
    dedup_key: Mapped[str] = mapped_column(Text)
    offer_id: Mapped[uuid.UUID | None] = mapped_column(UUID)
    grant_id: Mapped[uuid.UUID | None] = mapped_column(UUID)
    related_player_ids: Mapped[list[uuid.UUID]] = mapped_column(
        ARRAY(UUID), server_default=text("'{}'")
    )
    details: Mapped[dict[str, Any]] = mapped_column(JSONB)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

    __table_args__ = (
        CheckConstraint(
            "kind IN ('shared_address', 'opposite_bets', 'low_odds', 'max_bet_refused')",
            name="kind",
        ),
        UniqueConstraint("brand", "kind", "dedup_key"),
        Index("ix_bonus_abuse_flags_brand_created", "brand", "created_at"),
    )
