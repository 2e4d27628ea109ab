"""Server-side, revocable sessions for cookies (site) and bearer tokens (API).

The token is 256 random bits shown once; only its SHA-256 is stored, so a database leak
yields no usable session. A player session is valid only on its own brand.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import bindparam, select, update

from domain.accounts.events import SessionRevoked
from domain.accounts.models import (
    AuthSession,
    OddsFormat,
    Player,
    PlayerStatus,
    PrincipalKind,
    SessionState,
    SessionTransport,
    StaffUser,
)
from domain.accounts.permissions import permissions_for
from domain.accounts.principal import Principal
from domain.kernel import clock
from domain.kernel.db import UnitOfWork
from domain.kernel.outbox import emit
from domain.kernel.settings import get_settings

TOKEN_BYTES = 32
# Longer tokens are refused unread (issued ones are 43 characters).
TOKEN_LENGTH_MAX = 128
# Writing last_seen_at on every request would make each read a write; a minute is precise enough.
LAST_SEEN_RESOLUTION = timedelta(minutes=1)


@dataclass(frozen=True)
class IssuedSession:
    token: str
    session: AuthSession


def hash_token(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


async def issue(
    uow: UnitOfWork,
    *,
    kind: PrincipalKind,
    principal_id: uuid.UUID,
    brand: str | None,
    transport: SessionTransport,
    state: SessionState,
    ip_address: str | None,
    user_agent: str | None,
) -> IssuedSession:
    settings = get_settings()
    token = secrets.token_urlsafe(TOKEN_BYTES)
    lifetime = (
        timedelta(minutes=settings.two_factor_pending_minutes)
        if state is SessionState.PENDING_TWO_FACTOR
        else timedelta(hours=settings.session_ttl_hours)
    )
    session = AuthSession(
        token_hash=hash_token(token),
        principal_kind=kind,
        player_id=principal_id if kind is PrincipalKind.PLAYER else None,
        staff_id=principal_id if kind is PrincipalKind.STAFF else None,
        brand=brand if kind is PrincipalKind.PLAYER else None,
        transport=transport,
        state=state,
        ip_address=ip_address,
        user_agent=(user_agent or "")[:512] or None,
        expires_at=clock.now() + lifetime,
    )
    uow.session.add(session)
    await uow.flush()
    return IssuedSession(token, session)


async def find_live(uow: UnitOfWork, token: str) -> AuthSession | None:
    """The unrevoked, unexpired, not idle session of `token`, or None."""
    if not token or len(token) > TOKEN_LENGTH_MAX:
        return None
    session = await uow.session.scalar(
        select(AuthSession).where(
            AuthSession.token_hash == hash_token(token), AuthSession.revoked_at.is_(None)
        )
    )
    return session if session is not None and _alive(session) else None


def _alive(session: Any) -> bool:  # an AuthSession or a row with its columns
    now = clock.now()
    idle_limit = timedelta(minutes=get_settings().session_idle_minutes)
    return bool(session.expires_at > now and now - session.last_seen_at <= idle_limit)


# Plain columns, not ORM entities: this runs on every request, and building three mapped
# objects costs more CPU than the rest of the lookup. Built once with a bound token hash:
# building the statement and its cache key per request cost as much as running it.
_SESSION_WITH_PRINCIPAL = (
    select(
        AuthSession.id,
        AuthSession.state,
        AuthSession.brand,
        AuthSession.player_id,
        AuthSession.staff_id,
        AuthSession.expires_at,
        AuthSession.last_seen_at,
        Player.status.label("player_status"),
        Player.odds_format,
        StaffUser.active.label("staff_active"),
        StaffUser.brands.label("staff_brands"),
        StaffUser.roles.label("staff_roles"),
        StaffUser.password_change_required,
    )
    .outerjoin(Player, Player.id == AuthSession.player_id)
    .outerjoin(StaffUser, StaffUser.id == AuthSession.staff_id)
    .where(AuthSession.token_hash == bindparam("token_hash"), AuthSession.revoked_at.is_(None))
)


async def authenticate_token(uow: UnitOfWork, token: str, brand: str) -> Principal | None:
    """The principal behind a token on `brand`, or None (unknown, revoked, expired, other
    brand). One statement reads the session with its player or staff user (this runs on
    every request; `Database.autocommit()` spares it the BEGIN and COMMIT too)."""
    if not token or len(token) > TOKEN_LENGTH_MAX:
        return None
    row = (
        await uow.session.execute(_SESSION_WITH_PRINCIPAL, {"token_hash": hash_token(token)})
    ).first()
    if row is None:
        return None
    return await accept_session_row(uow, row, brand)


async def accept_session_row(uow: UnitOfWork, row: Any, brand: str) -> Principal | None:
    """The principal of a session row read by a token's hash, unrevoked (the columns of
    `_SESSION_WITH_PRINCIPAL`, also when another context's statement read them with its
    own data), or None (expired, idle, other brand, unusable player). The same rules as
    `authenticate_token`, which calls this."""
    if not _alive(row):
        return None
    principal = _principal_for(row, brand)
    if principal is not None and clock.now() - row.last_seen_at > LAST_SEEN_RESOLUTION:
        await uow.session.execute(
            update(AuthSession).where(AuthSession.id == row.id).values(last_seen_at=clock.now())
        )
    return principal


def _principal_for(row: Any, brand: str) -> Principal | None:  # _SESSION_WITH_PRINCIPAL
    fully = row.state == SessionState.ACTIVE
    if row.player_id is not None:
        # A self-excluded player keeps a withdraw-only session (sign-in issues one only
        # when asked for); every other status ends the session's use.
        usable = (PlayerStatus.ACTIVE, PlayerStatus.SELF_EXCLUDED)
        if row.brand != brand or row.player_status not in usable:
            return None
        return Principal(
            PrincipalKind.PLAYER,
            row.player_id,
            row.id,
            row.brand,
            fully,
            odds_format=OddsFormat(row.odds_format),
            withdraw_only=row.player_status == PlayerStatus.SELF_EXCLUDED,
        )
    staff_brands: list[str] | None = row.staff_brands
    if not row.staff_active or (staff_brands is not None and brand not in staff_brands):
        return None
    return Principal(
        PrincipalKind.STAFF,
        row.staff_id,
        row.id,
        brand,
        fully,
        password_change_required=row.password_change_required,
        roles=tuple(row.staff_roles),
        permissions=permissions_for(row.staff_roles),
        staff_brands=tuple(staff_brands) if staff_brands is not None else None,
    )


async def revoke(uow: UnitOfWork, session: AuthSession, reason: str) -> None:
    await revoke_where(uow, AuthSession.id == session.id, reason=reason)


async def revoke_all(
    uow: UnitOfWork,
    *,
    kind: PrincipalKind,
    principal_id: uuid.UUID,
    reason: str,
    keep: uuid.UUID | None = None,
) -> int:
    """Revoke every live session of a principal (except `keep`); returns how many."""
    column = AuthSession.player_id if kind is PrincipalKind.PLAYER else AuthSession.staff_id
    condition = column == principal_id
    if keep is not None:
        condition = condition & (AuthSession.id != keep)
    return await revoke_where(uow, condition, reason=reason)


async def revoke_where(uow: UnitOfWork, condition: object, *, reason: str) -> int:
    rows = (
        await uow.session.execute(
            update(AuthSession)
            .where(condition, AuthSession.revoked_at.is_(None))  # type: ignore[arg-type]
            .values(revoked_at=clock.now(), revoked_reason=reason)
            .returning(
                AuthSession.id,
                AuthSession.principal_kind,
                AuthSession.player_id,
                AuthSession.staff_id,
                AuthSession.brand,
            )
            .execution_options(synchronize_session=False)
        )
    ).all()
    for session_id, kind, player_id, staff_id, brand in rows:
        event = SessionRevoked(
            session_id=str(session_id),
            principal_kind=kind,
            principal_id=str(player_id or staff_id),
            reason=reason,
        )
        await emit(uow, event, brand=brand)
    return len(rows)


async def list_live(
    uow: UnitOfWork, *, kind: PrincipalKind, principal_id: uuid.UUID
) -> list[AuthSession]:
    column = AuthSession.player_id if kind is PrincipalKind.PLAYER else AuthSession.staff_id
    result = await uow.session.scalars(
        select(AuthSession)
        .where(column == principal_id, AuthSession.revoked_at.is_(None))
        .where(AuthSession.expires_at > clock.now())
        .order_by(AuthSession.created_at.desc())
        .limit(100)
    )
    return list(result)


PLAYER_SESSIONS_MAX = 100


async def live_of_players(
    uow: UnitOfWork, brand: str, player_ids: list[uuid.UUID]
) -> dict[uuid.UUID, list[AuthSession]]:
    """The live sessions of this brand's players, newest first, at most
    PLAYER_SESSIONS_MAX each: one statement for every player of a page."""
    found: dict[uuid.UUID, list[AuthSession]] = {player_id: [] for player_id in player_ids}
    if not player_ids:
        return found
    rows = await uow.session.scalars(
        select(AuthSession)
        .where(
            AuthSession.player_id.in_(player_ids),
            AuthSession.brand == brand,
            AuthSession.revoked_at.is_(None),
            AuthSession.expires_at > clock.now(),
        )
        .order_by(AuthSession.player_id, AuthSession.created_at.desc())
    )
    for row in rows:
        assert row.player_id is not None
        if len(found[row.player_id]) < PLAYER_SESSIONS_MAX:
            found[row.player_id].append(row)
    return found
