"""Registration, the viewer's data and staff operations on players and staff users."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date

from sqlalchemy import select

from domain.accounts import players, sessions, staff
from domain.accounts.errors import PlayerNotFound
from domain.accounts.models import (
    AuthSession,
    OddsFormat,
    Player,
    PlayerStatus,
    PrincipalKind,
    StaffUser,
)
from domain.accounts.permissions import Permission
from domain.accounts.principal import Principal, holds_permission, require_permission
from domain.accounts.staff import CreatedStaff
from domain.affiliates import attribution
from domain.compliance import exclusion, onboarding, registers
from domain.kernel.errors import DomainError, NotFound
from domain.messaging import recovery as recovery_mail
from domain.messaging import service as messaging
from domain.messaging.models import InboxMessage
from resolvers.compliance.protection import RegistrationLimit, apply_registration_limit
from resolvers.context import Context
from resolvers.results import Outcome, attempt


async def register(
    ctx: Context,
    *,
    email: str | None,
    phone: str | None,
    username: str | None,
    password: str,
    date_of_birth: date,
    country: str,
    currency: str,
    locale: str | None,
    deposit_limit: RegistrationLimit | None = None,
    tracking_code: str | None = None,
) -> Outcome[Player]:
    form = players.Registration(
        email=email,
        phone=phone,
        username=username,
        password=password,
        date_of_birth=date_of_birth,
        country=country,
        currency=currency,
        locale=locale,
    )

    async def run() -> Player:
        # The national self-exclusion register, asked outside the transaction.
        screening = await registers.screen(ctx.brand.jurisdiction, email, phone, date_of_birth)
        async with ctx.db.uow() as uow:
            try:
                player = await onboarding.register(uow, ctx.brand, form, address=ctx.client_address)
            except DomainError:
                # register wrote only the attempt's count (its docstring): keep it.
                await uow.commit()
                raise
            if screening is not None and screening.answer is not None:
                await registers.apply_hit(uow, player, screening.answer)
            if deposit_limit is not None:
                await apply_registration_limit(uow, player, deposit_limit)
            # With the registration: a referral exists exactly when the player does.
            await attribution.refer(uow, ctx.brand.slug, player.id, tracking_code)
            await recovery_mail.queue_verification(uow, player, origin=ctx.link_origin)
            await uow.commit()
        return player

    return await attempt(run)


async def viewer_player(ctx: Context, principal: Principal) -> Player | None:
    async with ctx.db.uow() as uow:
        return await uow.session.get(Player, principal.id)


async def viewer_staff(ctx: Context, principal: Principal) -> StaffUser | None:
    async with ctx.db.uow() as uow:
        return await uow.session.get(StaffUser, principal.id)


async def players_by_id(ctx: Context, ids: list[uuid.UUID]) -> dict[uuid.UUID, Player]:
    """Players of this brand the caller may see: itself, or any with player.read."""
    principal = await ctx.principal()
    if principal is None or not principal.fully_authenticated:
        return {}
    if principal.is_player:
        ids = [player_id for player_id in ids if player_id == principal.id]
    elif not holds_permission(principal, Permission.PLAYER_READ, ctx.brand.slug):
        return {}
    if not ids:
        return {}
    async with ctx.db.uow() as uow:
        rows = await uow.session.scalars(
            select(Player).where(Player.id.in_(ids), Player.brand == ctx.brand.slug)
        )
        return {player.id: player for player in rows}


async def inbox(ctx: Context, player_id: uuid.UUID, limit: int) -> list[InboxMessage]:
    """A player's newest messages: the player, or staff with player.read. Sibling players
    of one page load together (one statement per distinct `limit`)."""
    principal = await ctx.principal()
    if principal is None or not principal.fully_authenticated:
        return []
    if principal.is_player and principal.id != player_id:
        return []
    if principal.is_staff and not holds_permission(
        principal, Permission.PLAYER_READ, ctx.brand.slug
    ):
        return []

    async def load(keys: Sequence[tuple[uuid.UUID, int]]) -> list[list[InboxMessage]]:
        found: dict[tuple[uuid.UUID, int], list[InboxMessage]] = {}
        async with ctx.db.uow() as uow:
            for page in {page for _, page in keys}:
                ids = [player for player, wanted in keys if wanted == page]
                for player, messages in (
                    await messaging.inboxes(uow, ctx.brand.slug, ids, page)
                ).items():
                    found[player, page] = messages
        return [found[key] for key in keys]

    return await ctx.loader("accounts.inbox", load).load((player_id, limit))


async def player_sessions(ctx: Context, player_id: uuid.UUID) -> list[AuthSession]:
    """A player's live sessions for staff with player.read (nothing for anyone else); the
    players of one page load together in one statement."""
    principal = await ctx.principal()
    if not holds_permission(principal, Permission.PLAYER_READ, ctx.brand.slug):
        return []

    async def load(keys: Sequence[uuid.UUID]) -> list[list[AuthSession]]:
        async with ctx.db.uow() as uow:
            found = await sessions.live_of_players(uow, ctx.brand.slug, list(keys))
        return [found[key] for key in keys]

    return await ctx.loader("accounts.player_sessions", load).load(player_id)


async def search_players(ctx: Context, text: str, limit: int) -> list[Player]:
    principal = await ctx.principal()
    async with ctx.db.uow() as uow:
        return await players.search(uow, principal, ctx.brand.slug, text, limit)  # type: ignore[arg-type]


async def _staff_actor(ctx: Context, permission: Permission) -> Principal:
    return require_permission(await ctx.principal(), permission, ctx.brand.slug)


async def set_player_status(
    ctx: Context, player_id: uuid.UUID | None, status: PlayerStatus, reason: str
) -> Outcome[Player]:
    async def run() -> Player:
        actor = await _staff_actor(ctx, Permission.PLAYER_STATUS_WRITE)
        if player_id is None:
            raise PlayerNotFound(field="playerId")
        async with ctx.db.uow() as uow:
            player = await players.set_status(
                uow, actor, ctx.brand.slug, player_id, status=status, reason=reason
            )
            await uow.commit()
        return player

    return await attempt(run)


async def revoke_player_sessions(ctx: Context, player_id: uuid.UUID | None) -> Outcome[int]:
    async def run() -> int:
        actor = await _staff_actor(ctx, Permission.PLAYER_SESSIONS_REVOKE)
        async with ctx.db.uow() as uow:
            if player_id is None:
                raise PlayerNotFound(field="playerId")
            player = await players.get(uow, ctx.brand.slug, player_id)
            count = await sessions.revoke_all(
                uow, kind=PrincipalKind.PLAYER, principal_id=player.id, reason=f"staff:{actor.id}"
            )
            await uow.commit()
        return count

    return await attempt(run)


async def create_staff_member(
    ctx: Context, email: str, roles: list[str], brands: list[str] | None
) -> Outcome[CreatedStaff]:
    async def run() -> CreatedStaff:
        actor = await _staff_actor(ctx, Permission.STAFF_MANAGE)
        for slug in brands or []:
            ctx.registry.get(slug)
        async with ctx.db.uow() as uow:
            created = await staff.create(uow, actor, email=email, roles=roles, brands=brands)
            await uow.commit()
        return created

    return await attempt(run)


async def set_staff_roles(
    ctx: Context, staff_id: uuid.UUID | None, roles: list[str]
) -> Outcome[StaffUser]:
    async def run() -> StaffUser:
        actor = await _staff_actor(ctx, Permission.STAFF_MANAGE)
        if staff_id is None:
            raise NotFound(field="staffId")
        async with ctx.db.uow() as uow:
            member = await staff.set_roles(uow, actor, staff_id, roles)
            await uow.commit()
        return member

    return await attempt(run)


async def self_exclude(
    ctx: Context, period: players.SelfExclusionPeriod, confirmed: bool
) -> Outcome[exclusion.SelfExclusion]:
    async def run() -> exclusion.SelfExclusion:
        async with ctx.db.uow() as uow:
            excluded = await exclusion.self_exclude(
                uow, await ctx.principal(), ctx.brand.slug, period=period, confirmed=confirmed
            )
            await uow.commit()
        ctx.signed_out()
        return excluded

    return await attempt(run)


async def set_odds_format(ctx: Context, odds_format: OddsFormat) -> Outcome[Player]:
    async def run() -> Player:
        async with ctx.db.uow() as uow:
            player = await players.set_odds_format(
                uow, await ctx.principal(), ctx.brand.slug, odds_format
            )
            await uow.commit()
        ctx.remember_odds_format(OddsFormat(player.odds_format))
        return player

    return await attempt(run)
