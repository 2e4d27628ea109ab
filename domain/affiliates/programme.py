"""The affiliate programme of a brand: affiliates with their plan, and their tracking codes.
Staff actions, audited."""

from __future__ import annotations

import hashlib
import re
import secrets
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Final

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert

from domain.accounts.principal import Principal
from domain.affiliates.errors import (
    AffiliateNotFound,
    InvalidPlan,
    InvalidPostbackUrl,
    InvalidTrackingCode,
    TrackingCodeTaken,
)
from domain.affiliates.models import Affiliate, PlanKind, TrackingCode
from domain.integrations.postbacks import HttpPostbacks, PostbackSender
from domain.kernel import audit
from domain.kernel.db import UnitOfWork
from domain.wallets.service import AMOUNT_MAX_MINOR

CODE_PATTERN: Final = re.compile(r"[A-Za-z0-9_-]{1,64}")
NAME_LENGTH_MAX: Final = 120
URL_LENGTH_MAX: Final = 500
CURRENCIES_MAX: Final = 20
CPA_TERMS: Final = ("amount_minor", "min_deposit_minor", "min_stakes_minor")


@dataclass(frozen=True)
class CpaTerms:
    """What a referred player must have done (lifetime, by the statement month's end) to
    earn the affiliate `amount_minor` once, in the player's currency."""

    amount_minor: int
    min_deposit_minor: int = 0
    min_stakes_minor: int = 0


@dataclass(frozen=True)
class Plan:
    kind: PlanKind
    cpa: Mapping[str, CpaTerms] = field(default_factory=dict)
    revshare_percent: Decimal = Decimal(0)
    negative_carry_over: bool = False

    def checked(self) -> Plan:
        """Errors: InvalidPlan."""
        wants_cpa = self.kind in (PlanKind.CPA, PlanKind.HYBRID)
        wants_share = self.kind in (PlanKind.REVSHARE, PlanKind.HYBRID)
        if wants_cpa != bool(self.cpa) or len(self.cpa) > CURRENCIES_MAX:
            raise InvalidPlan("CPA and hybrid plans (only) name a CPA per currency.", field="cpa")
        for currency, terms in self.cpa.items():
            if not re.fullmatch(r"[A-Z]{3}", currency):
                raise InvalidPlan("A currency is an ISO 4217 code.", field="cpa")
            if not 0 < terms.amount_minor <= AMOUNT_MAX_MINOR or not (
                0 <= terms.min_deposit_minor <= AMOUNT_MAX_MINOR
                and 0 <= terms.min_stakes_minor <= AMOUNT_MAX_MINOR
            ):
                raise InvalidPlan("CPA amounts are positive, conditions not negative.", field="cpa")
        share = self.revshare_percent
        if wants_share != (share > 0) or not 0 <= share <= 100 or share != round(share, 2):
            raise InvalidPlan(
                "RevShare and hybrid plans (only) take a share of 0.01 to 100 percent.",
                field="revsharePercent",
            )
        return self


@dataclass(frozen=True)
class CreatedAffiliate:
    affiliate: Affiliate
    # Shown once: the affiliate's key to its own view, and the secret its postbacks carry.
    access_key: str
    postback_secret: str


def key_digest(access_key: str) -> str:
    return hashlib.sha256(access_key.encode()).hexdigest()


async def _checked_url(url: str | None, postbacks: PostbackSender | None) -> str | None:
    """An https:// URL on a public host (resolved by the postback port, the real one by
    default), or None."""
    if url is None:
        return None
    if not url.startswith("https://") or len(url) > URL_LENGTH_MAX:
        raise InvalidPostbackUrl(field="postbackUrl")
    if not await (postbacks or HttpPostbacks()).allows(url):
        raise InvalidPostbackUrl(field="postbackUrl")
    return url


def plan_of(affiliate: Affiliate) -> Plan:
    return Plan(
        kind=PlanKind(affiliate.plan),
        cpa={c: CpaTerms(**terms) for c, terms in affiliate.cpa_terms.items()},
        revshare_percent=affiliate.revshare_percent,
        negative_carry_over=affiliate.negative_carry_over,
    )


async def create_affiliate(
    uow: UnitOfWork, staff: Principal | None, *, brand: str, name: str, plan: Plan,
    postback_url: str | None = None, postbacks: PostbackSender | None = None,
) -> CreatedAffiliate:  # fmt: skip
    """Errors: InvalidPlan, InvalidPostbackUrl (also a host that is not public, as judged
    by `postbacks`, the real sender unless given), InvalidInput-like (a blank or long name)."""
    name = name.strip()
    if not 0 < len(name) <= NAME_LENGTH_MAX:
        raise InvalidPlan(f"A name is 1 to {NAME_LENGTH_MAX} characters.", field="name")
    plan = plan.checked()
    access_key, secret = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    affiliate = Affiliate(
        id=uuid.uuid4(),
        brand=brand,
        name=name,
        plan=plan.kind.value,
        cpa_terms={c: {k: getattr(t, k) for k in CPA_TERMS} for c, t in sorted(plan.cpa.items())},
        revshare_percent=plan.revshare_percent,
        negative_carry_over=plan.negative_carry_over,
        postback_url=await _checked_url(postback_url, postbacks),
        postback_secret=secret,
        access_key_sha256=key_digest(access_key),
    )
    uow.session.add(affiliate)
    await uow.session.flush()
    await audit.record(
        uow,
        actor_kind=staff.actor_kind if staff else "system",
        actor_id=staff.id if staff else None,
        action="affiliate.create",
        subject_type="affiliate",
        subject_id=affiliate.id,
        brand=brand,
        after={"name": name, "plan": plan.kind.value, "cpa": affiliate.cpa_terms,
               "revshare_percent": str(plan.revshare_percent),
               "negative_carry_over": plan.negative_carry_over},
    )  # fmt: skip
    return CreatedAffiliate(affiliate, access_key, secret)


async def affiliate_of(uow: UnitOfWork, brand: str, affiliate_id: uuid.UUID) -> Affiliate:
    """Errors: AffiliateNotFound (none, or another brand's)."""
    found = await uow.session.get(Affiliate, affiliate_id)
    if found is None or found.brand != brand:
        raise AffiliateNotFound(field="affiliateId")
    return found


async def affiliates_of(uow: UnitOfWork, brand: str, limit: int = 100) -> list[Affiliate]:
    rows = await uow.session.scalars(
        select(Affiliate).where(Affiliate.brand == brand).order_by(Affiliate.name).limit(limit)
    )
    return list(rows)


async def affiliate_by_key(uow: UnitOfWork, brand: str, access_key: str) -> Affiliate | None:
    found = await uow.session.scalar(
        select(Affiliate).where(Affiliate.access_key_sha256 == key_digest(access_key))
    )
    return found if found is not None and found.brand == brand else None


async def add_tracking_code(
    uow: UnitOfWork, staff: Principal | None, *, brand: str, affiliate_id: uuid.UUID,
    code: str, campaign: str = "",
) -> TrackingCode:  # fmt: skip
    """Errors: AffiliateNotFound, InvalidTrackingCode, TrackingCodeTaken."""
    await affiliate_of(uow, brand, affiliate_id)
    if not CODE_PATTERN.fullmatch(code) or len(campaign) > NAME_LENGTH_MAX:
        raise InvalidTrackingCode(field="code")
    inserted = await uow.session.scalar(
        insert(TrackingCode)
        .values(brand=brand, code=code, affiliate_id=affiliate_id, campaign=campaign.strip())
        .on_conflict_do_nothing()
        .returning(TrackingCode.code)
    )
    if inserted is None:
        raise TrackingCodeTaken(field="code")
    await audit.record(
        uow,
        actor_kind=staff.actor_kind if staff else "system",
        actor_id=staff.id if staff else None,
        action="affiliate.tracking_code.add",
        subject_type="affiliate",
        subject_id=affiliate_id,
        brand=brand,
        after={"code": code, "campaign": campaign},
    )
    found = await uow.session.get(TrackingCode, (brand, code))
    assert found is not None
    return found


async def tracking_codes_of(
    uow: UnitOfWork, brand: str, affiliate_ids: list[uuid.UUID]
) -> dict[uuid.UUID, list[TrackingCode]]:
    rows = await uow.session.scalars(
        select(TrackingCode)
        .where(TrackingCode.brand == brand, TrackingCode.affiliate_id.in_(affiliate_ids))
        .order_by(TrackingCode.code)
    )
    found: dict[uuid.UUID, list[TrackingCode]] = {a: [] for a in affiliate_ids}
    for row in rows:
        found[row.affiliate_id].append(row)
    return found
