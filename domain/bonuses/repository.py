"""The bonuses context's reads: offers and grants, every statement scoped by brand."""

from __future__ import annotations

import uuid

from sqlalchemy import select

from domain.bonuses.errors import OfferNotFound
from domain.bonuses.models import BonusGrant, BonusOffer, GrantState
from domain.kernel.db import UnitOfWork


async def offer_by_id(uow: UnitOfWork, brand: str, offer_id: uuid.UUID) -> BonusOffer:
    """Errors: OfferNotFound."""
    offer = await uow.session.scalar(
        select(BonusOffer).where(BonusOffer.id == offer_id, BonusOffer.brand == brand)
    )
    if offer is None:
        raise OfferNotFound(field="offerId")
    return offer


async def offer_by_code(uow: UnitOfWork, brand: str, code: str) -> BonusOffer:
    """An active offer by its code (any case). Errors: OfferNotFound."""
    offer = await uow.session.scalar(
        select(BonusOffer).where(
            BonusOffer.brand == brand,
            BonusOffer.code == code.strip().upper(),
            BonusOffer.active,
        )
    )
    if offer is None:
        raise OfferNotFound(field="code")
    return offer


async def offers_of(uow: UnitOfWork, brand: str, *, active_only: bool) -> list[BonusOffer]:
    statement = select(BonusOffer).where(BonusOffer.brand == brand)
    if active_only:
        statement = statement.where(BonusOffer.active)
    return list(await uow.session.scalars(statement.order_by(BonusOffer.created_at)))


async def grants_of_player(uow: UnitOfWork, brand: str, player_id: uuid.UUID) -> list[BonusGrant]:
    return list(
        await uow.session.scalars(
            select(BonusGrant)
            .where(BonusGrant.brand == brand, BonusGrant.player_id == player_id)
            .order_by(BonusGrant.granted_at.desc())
        )
    )


async def grants_by_state(
    uow: UnitOfWork, brand: str, state: GrantState, *, limit: int
) -> list[BonusGrant]:
    return list(
        await uow.session.scalars(
            select(BonusGrant)
            .where(BonusGrant.brand == brand, BonusGrant.state == state.value)
            .order_by(BonusGrant.granted_at.desc())
            .limit(limit)
        )
    )
