from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    LargeBinary,
    SmallInteger,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, INET, UUID
from sqlalchemy.orm import Mapped, mapped_column

from domain.kernel.db import Base
from domain.kernel.ids import new_id


class PlayerStatus(StrEnum):
    ACTIVE = "active"
    SUSPENDED = "suspended"
    SELF_EXCLUDED = "self_excluded"
    CLOSED = "closed"


class OddsFormat(StrEnum):
    """How a player reads odds: 2.50 (decimal), 3/2 (fractional) or +150 (American)."""

    DECIMAL = "decimal"
    FRACTIONAL = "fractional"
    AMERICAN = "american"


class PrincipalKind(StrEnum):
    PLAYER = "player"
    STAFF = "staff"


class SessionTransport(StrEnum):
    COOKIE = "cookie"
    BEARER = "bearer"


class SessionState(StrEnum):
    # Password accepted, second factor (or, for staff, enrolment) still owed.
    PENDING_TWO_FACTOR = "pending_two_factor"
    ACTIVE = "active"


class Player(Base):
    __tablename__ = "players"

    id: Mapped[uuid.UUID] = mapped_column(UUID, primary_key=True, default=new_id)
    brand: Mapped[str] = mapped_column(Text, ForeignKey("brands.slug"))
    # Identifiers are stored normalised (lower-case email and username, E.164 phone).
    email: Mapped[str | None] = mapped_column(Text)
    phone: Mapped[str | None] = mapped_column(Text)
    username: Mapped[str | None] = mapped_column(Text)
    password_hash: Mapped[str] = mapped_column(Text)
    date_of_birth: Mapped[date] = mapped_column(Date)
    country: Mapped[str] = mapped_column(Text)
    currency: Mapped[str] = mapped_column(Text)
    locale: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(Text, default=PlayerStatus.ACTIVE)
    two_factor_secret: Mapped[str | None] = mapped_column(Text)
    two_factor_enabled: Mapped[bool] = mapped_column(Boolean, default=False)
    two_factor_last_step: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    # Player protection (domain.compliance): true while the player has a limit or a
    # time-out, so the deposit and wager paths read it with the player and pay for the
    # compliance checks only then.
    protection_active: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=text("false")
    )
    # An AML alert holds the player's deposits until risk staff record its outcome (the
    # pack's answer to its 30-day threshold): read with the status by the deposit guard.
    deposits_held: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=text("false")
    )
    # Last answer of the national self-exclusion register (domain.compliance.registers).
    register_checked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # A time-out (short break) ends by itself at this moment: compared with now, no job.
    time_out_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Reality-check interval chosen by the player; None: off.
    reality_check_minutes: Mapped[int | None] = mapped_column(SmallInteger)
    # How the sportsbook writes odds for this player (API default and site).
    odds_format: Mapped[str] = mapped_column(
        Text, default=OddsFormat.DECIMAL, server_default=text("'decimal'")
    )
    # Set when the player followed the link of a verification e-mail (accounts.recovery).
    email_verified_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # The KYC tier the player's approved checks give (domain.compliance.kyc): none, basic,
    # full, enhanced. Read with the status by the deposit, play and withdrawal gates.
    kyc_tier: Mapped[str] = mapped_column(Text, default="none", server_default=text("'none'"))

    __table_args__ = (
        UniqueConstraint("brand", "email"),
        UniqueConstraint("brand", "phone"),
        UniqueConstraint("brand", "username"),
        CheckConstraint(
            "email IS NOT NULL OR phone IS NOT NULL OR username IS NOT NULL", name="identifier"
        ),
        CheckConstraint(
            "status IN ('active', 'suspended', 'self_excluded', 'closed')", name="status"
        ),
        CheckConstraint("reality_check_minutes IN (15, 30, 60)", name="reality_check_minutes"),
        CheckConstraint("odds_format IN ('decimal', 'fractional', 'american')", name="odds_format"),
        CheckConstraint("kyc_tier IN ('none', 'basic', 'full', 'enhanced')", name="kyc_tier"),
    )


class StaffUser(Base):
    """Operator staff. Not players; `brands` limits them to some brands (NULL: all)."""

    __tablename__ = "staff_users"

    id: Mapped[uuid.UUID] = mapped_column(UUID, primary_key=True, default=new_id)
    email: Mapped[str] = mapped_column(Text, unique=True)
    password_hash: Mapped[str] = mapped_column(Text)
    # Set for a one-time password: the first sign-in must choose a new one.
    password_change_required: Mapped[bool] = mapped_column(Boolean, default=False)
    roles: Mapped[list[str]] = mapped_column(ARRAY(Text), default=list)
    brands: Mapped[list[str] | None] = mapped_column(ARRAY(Text))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    two_factor_secret: Mapped[str | None] = mapped_column(Text)
    two_factor_enabled: Mapped[bool] = mapped_column(Boolean, default=False)
    two_factor_last_step: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class AuthSession(Base):
    """A server-side session. Only the SHA-256 of its token is stored."""

    __tablename__ = "auth_sessions"

    id: Mapped[uuid.UUID] = mapped_column(UUID, primary_key=True, default=new_id)
    token_hash: Mapped[bytes] = mapped_column(LargeBinary, unique=True)
    principal_kind: Mapped[str] = mapped_column(Text)
    player_id: Mapped[uuid.UUID | None] = mapped_column(UUID, ForeignKey("players.id"))
    staff_id: Mapped[uuid.UUID | None] = mapped_column(UUID, ForeignKey("staff_users.id"))
    # The brand a player session belongs to; NULL for staff (their scope is on StaffUser).
    brand: Mapped[str | None] = mapped_column(Text, ForeignKey("brands.slug"))
    transport: Mapped[str] = mapped_column(Text)
    state: Mapped[str] = mapped_column(Text)
    two_factor_failures: Mapped[int] = mapped_column(default=0)
    ip_address: Mapped[str | None] = mapped_column(INET)
    user_agent: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    last_seen_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_reason: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (
        CheckConstraint("(player_id IS NULL) <> (staff_id IS NULL)", name="one_principal"),
        Index("ix_auth_sessions_player_live", "player_id", postgresql_where="revoked_at IS NULL"),
        Index("ix_auth_sessions_staff_live", "staff_id", postgresql_where="revoked_at IS NULL"),
        # Bonus abuse checks: the addresses a player signed in from, and who else used them.
        Index("ix_auth_sessions_player_id_ip_address", "player_id", "ip_address"),
        Index(
            "ix_auth_sessions_ip_address", "ip_address", postgresql_where="ip_address IS NOT NULL"
        ),
    )


class LoginFailure(Base):
    """A failed sign-in, counted per account identifier and per client address."""

    __tablename__ = "login_failures"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    scope: Mapped[str] = mapped_column(Text)  # account | address
    key: Mapped[str] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

    __table_args__ = (Index("ix_login_failures_scope_key_at", "scope", "key", "at"),)


class TokenPurpose(StrEnum):
    VERIFY_EMAIL = "verify_email"
    RESET_PASSWORD = "reset_password"  # noqa: S105 (a purpose, not a secret)
    # A short code sent by text message (domain.accounts.phone): proves the phone is theirs.
    VERIFY_PHONE = "verify_phone"


class AccountToken(Base):
    """A single-use token sent by e-mail (verification, password reset) or a code sent by
    text message (phone verification). Only its SHA-256 is stored; the token itself exists
    only in the message."""

    __tablename__ = "account_tokens"

    id: Mapped[uuid.UUID] = mapped_column(UUID, primary_key=True, default=new_id)
    token_hash: Mapped[bytes] = mapped_column(LargeBinary, unique=True)
    player_id: Mapped[uuid.UUID] = mapped_column(UUID, ForeignKey("players.id"))
    purpose: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    __table_args__ = (
        CheckConstraint(
            "purpose IN ('verify_email', 'reset_password', 'verify_phone')", name="purpose"
        ),
        Index("ix_account_tokens_player_purpose", "player_id", "purpose"),
    )


class ConnectedLoginAttempt(Base):
    """One sign-in through an OpenID Connect provider, from the redirect to its answer.
    The state is stored hashed and claimed once (a replayed answer finds it used); the
    nonce and the PKCE verifier never leave the server. Once the provider's ID token is
    verified and no account is linked to it yet, the verified identity waits here behind a
    single-use ticket for the registration or linking form."""

    __tablename__ = "connected_login_attempts"

    id: Mapped[uuid.UUID] = mapped_column(UUID, primary_key=True, default=new_id)
    brand: Mapped[str] = mapped_column(Text, ForeignKey("brands.slug"))
    state_hash: Mapped[bytes] = mapped_column(LargeBinary, unique=True)
    nonce: Mapped[str] = mapped_column(Text)
    code_verifier: Mapped[str] = mapped_column(Text)
    redirect_uri: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    answered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    issuer: Mapped[str | None] = mapped_column(Text)
    subject: Mapped[str | None] = mapped_column(Text)
    email: Mapped[str | None] = mapped_column(Text)
    ticket_hash: Mapped[bytes | None] = mapped_column(LargeBinary, unique=True)
    ticket_used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class PlayerIdentity(Base):
    """A player's account at an OpenID Connect provider (issuer and subject), linked after
    the player registered through it or proved control of the account with its password."""

    __tablename__ = "player_identities"

    id: Mapped[uuid.UUID] = mapped_column(UUID, primary_key=True, default=new_id)
    brand: Mapped[str] = mapped_column(Text, ForeignKey("brands.slug"))
    player_id: Mapped[uuid.UUID] = mapped_column(UUID, ForeignKey("players.id"))
    issuer: Mapped[str] = mapped_column(Text)
    subject: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

    __table_args__ = (
        UniqueConstraint("brand", "issuer", "subject"),
        UniqueConstraint("player_id", "issuer"),
    )


class PlayerNote(Base):
    """A staff note on a player's profile (append-only: a correction is a new note)."""

    __tablename__ = "player_notes"
    __table_args__ = (Index("ix_player_notes_player", "brand", "player_id", "id"),)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    brand: Mapped[str] = mapped_column(Text)
    player_id: Mapped[uuid.UUID] = mapped_column(UUID, ForeignKey("players.id"))
    author_id: Mapped[uuid.UUID] = mapped_column(UUID)
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
