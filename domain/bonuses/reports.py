"""Bonus cost by offer over a period, for CRM staff: what was granted, converted to cash,
forfeited back and paid as cashback. The cost to the house is what left as cash
(conversions and cashback); bonus money forfeited or expired came back."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import text

from domain.accounts.permissions import Permission
from domain.accounts.principal import Principal, require_permission
from domain.kernel.db import UnitOfWork

_COST = text("""
SELECT o.id, o.name, o.currency,
       coalesce((SELECT sum(g.bonus_minor) FROM bonus_grants g
                  WHERE g.offer_id = o.id AND g.granted_at >= :start AND g.granted_at < :end), 0)
         AS granted,
       coalesce((SELECT sum(g.converted_minor) FROM bonus_grants g
                  WHERE g.offer_id = o.id AND g.ended_at >= :start AND g.ended_at < :end), 0)
         AS converted,
       coalesce((SELECT sum(g.forfeited_minor) FROM bonus_grants g
                  WHERE g.offer_id = o.id AND g.ended_at >= :start AND g.ended_at < :end), 0)
         AS forfeited,
       coalesce((SELECT sum(c.amount_minor) FROM bonus_cashback_payouts c
                  WHERE c.offer_id = o.id AND c.created_at >= :start AND c.created_at < :end), 0)
         AS cashback
  FROM bonus_offers o
 WHERE o.brand = :brand
 ORDER BY o.created_at, o.id
""")


@dataclass(frozen=True)
class OfferCost:
    offer_id: uuid.UUID
    name: str
    currency: str
    granted_minor: int
    converted_minor: int
    forfeited_minor: int
    cashback_minor: int

    @property
    def cost_minor(self) -> int:
        return self.converted_minor + self.cashback_minor


async def cost_by_offer(
    uow: UnitOfWork, actor: Principal | None, brand: str, start: datetime, end: datetime
) -> list[OfferCost]:
    """Every offer of the brand with its figures over [start, end). Errors:
    NotAuthenticated, PermissionDenied."""
    require_permission(actor, Permission.BONUS_MANAGE, brand)
    rows = await uow.session.execute(_COST, {"brand": brand, "start": start, "end": end})
    return [
        OfferCost(
            row.id,
            row.name,
            row.currency,
            int(row.granted),
            int(row.converted),
            int(row.forfeited),
            int(row.cashback),
        )
        for row in rows
    ]
