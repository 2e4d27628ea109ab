"""Affiliates on real activity: players registered through a tracking code, as the
register resolver does (one transaction), and months moved into the past."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal

from domain.accounts.players import Registration
from domain.affiliates import attribution, programme
from domain.affiliates.models import PlanKind
from domain.affiliates.programme import CpaTerms, CreatedAffiliate, Plan
from domain.brands.service import BrandRegistry
from domain.compliance.onboarding import register
from domain.integrations.postbacks import SandboxPostbacks
from domain.kernel.db import Database
from tests.domain.reporting.support import COUNTRIES, execute
from tests.support import STRONG_PASSWORD

CPA_EUR = CpaTerms(amount_minor=50_00, min_deposit_minor=20_00, min_stakes_minor=10_00)


async def affiliate(
    db: Database, name: str, plan: Plan, code: str, *, brand: str = "aurora",
    postback_url: str | None = None,
) -> CreatedAffiliate:  # fmt: skip
    async with db.transaction() as uow:
        created = await programme.create_affiliate(
            uow, None, brand=brand, name=name, plan=plan, postback_url=postback_url,
            postbacks=SandboxPostbacks(),
        )  # fmt: skip
        await programme.add_tracking_code(
            uow, None, brand=brand, affiliate_id=created.affiliate.id, code=code
        )
    return created


def cpa_plan() -> Plan:
    return Plan(PlanKind.CPA, cpa={"EUR": CPA_EUR})


def revshare_plan(percent: str = "30", *, carry: bool = True) -> Plan:
    return Plan(PlanKind.REVSHARE, revshare_percent=Decimal(percent), negative_carry_over=carry)


async def referred_player(
    db: Database, registry: BrandRegistry, code: str | None, *, brand: str = "aurora",
    currency: str = "EUR",
) -> uuid.UUID:  # fmt: skip
    async with db.transaction() as uow:
        found = await register(
            uow,
            registry.get(brand),
            Registration(
                email=f"{uuid.uuid4().hex[:12]}@example.com", phone=None, username=None,
                password=STRONG_PASSWORD, date_of_birth=date(1990, 1, 1), country=COUNTRIES[brand],
                currency=currency,
            ),
        )  # fmt: skip
        await attribution.refer(uow, brand, found.id, code)
        return found.id


async def age_everything(owner_db: Database, months: int) -> None:
    """Move every ledger transaction and referral `months` into the past (the
    owner may; the app may not): what happened a month ago looks like it."""
    await execute(
        owner_db,
        "UPDATE ledger_transactions SET created_at = created_at - make_interval(months => :m)",
        m=months,
    )
    await execute(
        owner_db,
        "UPDATE affiliate_referrals SET registered_at = registered_at - make_interval(months => :m)",
        m=months,
    )
