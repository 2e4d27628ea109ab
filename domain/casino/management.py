"""Staff switches of the catalogue on a brand: a game, or a whole provider, on or off.
casino.manage only; every change is audited with its reason. Switching to the state it is
already in changes nothing and writes no audit row.

Off hides the game from the lobby and refuses launches (GAME_DISABLED); sessions already
launched keep settling (the provider must be able to pay what was staked).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Final

from sqlalchemy import exists, func, select, update
from sqlalchemy.dialects.postgresql import insert

from domain.accounts.permissions import Permission
from domain.accounts.principal import Principal, require_permission
from domain.brands.service import Brand
from domain.casino.errors import GameNotFound
from domain.casino.lobby import Game, offered_game
from domain.casino.models import BrandGame, BrandProvider, CasinoGame, CasinoProvider
from domain.kernel import audit
from domain.kernel.db import UnitOfWork
from domain.kernel.errors import NotFound

REASON_LENGTH_MAX: Final = audit.REASON_LENGTH_MAX


class ProviderNotFound(NotFound):
    code = "PROVIDER_NOT_FOUND"
    message = "No such provider on this brand."


@dataclass(frozen=True)
class ProviderSwitch:
    code: str
    name: str
    enabled: bool


async def set_game_enabled(
    uow: UnitOfWork,
    actor: Principal | None,
    brand: Brand,
    game_id: uuid.UUID | None,
    *,
    enabled: bool,
    reason: str,
) -> Game:
    """Switch a game the brand offers on or off. Errors: NotAuthenticated,
    PermissionDenied, TwoFactorRequired, PasswordChangeRequired, ReasonRequired,
    DomainError (reason), GameNotFound."""
    staff = require_permission(actor, Permission.CASINO_MANAGE, brand.slug)
    cleaned = audit.audit_reason(reason)
    before = None
    if game_id is not None:
        before = await uow.session.scalar(
            select(BrandGame.enabled)
            .where(BrandGame.brand == brand.slug, BrandGame.game_id == game_id)
            .with_for_update()
        )
    if before is None:
        raise GameNotFound(field="game")
    if before != enabled:
        await uow.session.execute(
            update(BrandGame)
            .where(BrandGame.brand == brand.slug, BrandGame.game_id == game_id)
            .values(enabled=enabled)
        )
        await audit.record(
            uow,
            actor_kind=staff.actor_kind,
            actor_id=staff.id,
            action="casino.game.enable" if enabled else "casino.game.disable",
            subject_type="casino_game",
            subject_id=str(game_id),
            brand=brand.slug,
            reason=cleaned,
            before={"enabled": before},
            after={"enabled": enabled},
        )
    game = await offered_game(uow, brand, game_id, include_disabled=True)
    if game is None:
        # Offered, but restricted in the brand's jurisdiction: nothing to show or switch.
        raise GameNotFound(field="game")
    return game


async def set_provider_enabled(
    uow: UnitOfWork,
    actor: Principal | None,
    brand: Brand,
    provider: str,
    *,
    enabled: bool,
    reason: str,
) -> ProviderSwitch:
    """Switch all of a provider's games on the brand on or off (each game keeps its own
    switch). Errors: those of set_game_enabled, ProviderNotFound instead of GameNotFound."""
    staff = require_permission(actor, Permission.CASINO_MANAGE, brand.slug)
    cleaned = audit.audit_reason(reason)
    name = await uow.session.scalar(
        select(CasinoProvider.name).where(
            CasinoProvider.code == provider,
            exists().where(
                CasinoGame.provider == CasinoProvider.code,
                BrandGame.game_id == CasinoGame.id,
                BrandGame.brand == brand.slug,
            ),
        )
    )
    if name is None:
        raise ProviderNotFound(field="provider")
    # Claim the switch's row (absent means on), then lock it: concurrent switches queue.
    await uow.session.execute(
        insert(BrandProvider)
        .values(brand=brand.slug, provider=provider, enabled=True)
        .on_conflict_do_nothing()
    )
    before = await uow.session.scalar(
        select(BrandProvider.enabled)
        .where(BrandProvider.brand == brand.slug, BrandProvider.provider == provider)
        .with_for_update()
    )
    if before != enabled:
        await uow.session.execute(
            update(BrandProvider)
            .where(BrandProvider.brand == brand.slug, BrandProvider.provider == provider)
            .values(enabled=enabled, updated_at=func.now())
        )
        await audit.record(
            uow,
            actor_kind=staff.actor_kind,
            actor_id=staff.id,
            action="casino.provider.enable" if enabled else "casino.provider.disable",
            subject_type="casino_provider",
            subject_id=provider,
            brand=brand.slug,
            reason=cleaned,
            before={"enabled": before},
            after={"enabled": enabled},
        )
    return ProviderSwitch(provider, name, enabled)
