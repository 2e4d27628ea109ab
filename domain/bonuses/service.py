"""The bonuses context's public services, one module per capability (STYLE.md): offers
(`offers`), claims and grants (`grants`), how a grant ends (`lifecycle`), wagering inside
the stake (`wagering`, `sql/stakehouse_bonus_wager.sql`), cashback (`cashback`), cost
reports (`reports`), demo offers (`demo`); reads in `repository`. Callers may import the
capability modules directly; this module names the entry points in one place."""

from __future__ import annotations

from domain.bonuses.cashback import Period, pay_all_cashback, pay_cashback
from domain.bonuses.demo import seed_demo_offers
from domain.bonuses.grants import cancel, claim, forfeit, grant_by_staff
from domain.bonuses.lifecycle import (
    complete_if_wagered,
    end_grant,
    expire_due,
    expire_due_batches,
    forfeit_on_status,
)
from domain.bonuses.offers import create_offer, update_offer
from domain.bonuses.reports import cost_by_offer
from domain.bonuses.wagering import unwind

__all__ = [
    "Period",
    "cancel",
    "claim",
    "complete_if_wagered",
    "cost_by_offer",
    "create_offer",
    "end_grant",
    "expire_due",
    "expire_due_batches",
    "forfeit",
    "forfeit_on_status",
    "grant_by_staff",
    "pay_all_cashback",
    "pay_cashback",
    "seed_demo_offers",
    "unwind",
    "update_offer",
]
