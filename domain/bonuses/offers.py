"""Offers: made, edited and withdrawn by CRM staff (bonus.manage) within their brands,
audited, versioned (every save appends its terms to bonus_offer_versions)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Final

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from domain.accounts.permissions import Permission
from domain.accounts.principal import Principal, require_permission
from domain.bonuses import terms as terms_module
from domain.bonuses.errors import CodeTaken, InvalidTerms, OfferNotFound
from domain.bonuses.models import BonusOffer, BonusOfferVersion, OfferKind
from domain.bonuses.repository import offer_by_code, offer_by_id, offers_of
from domain.bonuses.rules import bonus_rules
from domain.bonuses.terms import Eligibility, Terms
from domain.brands.service import Brand
from domain.kernel import audit, clock
from domain.kernel.db import UnitOfWork
from domain.kernel.money import is_supported_currency

NAME_LENGTH_MAX: Final = 120
CODE_LENGTH_MAX: Final = 40


@dataclass(frozen=True)
class OfferDraft:
    kind: OfferKind
    name: str
    code: str | None
    currency: str
    terms: Terms
    eligibility: Eligibility


def _clean(draft: OfferDraft, brand: Brand) -> OfferDraft:
    name = draft.name.strip()
    if not name or len(name) > NAME_LENGTH_MAX or not name.isprintable():
        raise InvalidTerms("Give the offer a name of one line.", field="name")
    code = draft.code.strip().upper() if draft.code else None
    if code is not None and (
        len(code) > CODE_LENGTH_MAX or not code.isascii() or not code.replace("-", "").isalnum()
    ):
        raise InvalidTerms("A code is letters, digits and dashes.", field="code")
    if not is_supported_currency(draft.currency) or draft.currency not in brand.currencies:
        raise InvalidTerms("The brand does not use this currency.", field="currency")
    terms_module.validate(
        draft.kind, draft.terms, draft.eligibility, bonus_rules(brand.jurisdiction)
    )
    return OfferDraft(draft.kind, name, code, draft.currency, draft.terms, draft.eligibility)


async def create_offer(
    uow: UnitOfWork, actor: Principal | None, brand: Brand, draft: OfferDraft
) -> BonusOffer:
    """Errors: NotAuthenticated, PermissionDenied, InvalidTerms, WageringCapExceeded,
    MixedProductOffer, CodeTaken."""
    staff = require_permission(actor, Permission.BONUS_MANAGE, brand.slug)
    return await _insert(uow, brand, _clean(draft, brand), staff)


async def create_demo_offer(uow: UnitOfWork, brand: Brand, draft: OfferDraft) -> BonusOffer:
    """An offer `stakehouse seed --demo` makes (by the system, within the brand's
    jurisdiction rules). Errors: as create_offer, but for the permission."""
    return await _insert(uow, brand, _clean(draft, brand), None)


async def _insert(
    uow: UnitOfWork, brand: Brand, clean: OfferDraft, staff: Principal | None
) -> BonusOffer:
    offer = BonusOffer(
        id=uuid.uuid4(),
        brand=brand.slug,
        kind=clean.kind.value,
        name=clean.name,
        code=clean.code,
        currency=clean.currency,
        active=True,
        version=1,
        terms=clean.terms.to_json(),
        eligibility=clean.eligibility.to_json(),
        updated_at=clock.now(),
    )
    uow.session.add(offer)
    await _save_version(uow, offer, staff)
    await _audit(uow, staff, offer, "bonus.offer.create", None)
    return offer


async def update_offer(
    uow: UnitOfWork,
    actor: Principal | None,
    brand: Brand,
    offer_id: uuid.UUID,
    draft: OfferDraft,
    *,
    active: bool = True,
) -> BonusOffer:
    """A new version of the offer; grants already made keep their terms.
    Errors: as create_offer, and OfferNotFound."""
    staff = require_permission(actor, Permission.BONUS_MANAGE, brand.slug)
    offer = await _locked(uow, brand.slug, offer_id)
    if OfferKind(offer.kind) is not draft.kind:
        raise InvalidTerms("An offer keeps its kind.", field="kind")
    clean = _clean(draft, brand)
    before = _state(offer)
    offer.name = clean.name
    offer.code = clean.code
    offer.currency = clean.currency
    offer.terms = clean.terms.to_json()
    offer.eligibility = clean.eligibility.to_json()
    offer.active = active
    offer.version += 1
    offer.updated_at = clock.now()
    await _save_version(uow, offer, staff)
    await _audit(uow, staff, offer, "bonus.offer.update", before)
    return offer


async def _locked(uow: UnitOfWork, brand: str, offer_id: uuid.UUID) -> BonusOffer:
    offer = await uow.session.scalar(
        select(BonusOffer)
        .where(BonusOffer.id == offer_id, BonusOffer.brand == brand)
        .with_for_update()
    )
    if offer is None:
        raise OfferNotFound(field="id")
    return offer


async def _save_version(uow: UnitOfWork, offer: BonusOffer, staff: Principal | None) -> None:
    uow.session.add(
        BonusOfferVersion(
            offer_id=offer.id,
            version=offer.version,
            name=offer.name,
            code=offer.code,
            terms=offer.terms,
            eligibility=offer.eligibility,
            staff_id=staff.id if staff else None,
        )
    )
    try:
        # A savepoint: a code another active offer holds is a typed error, not an abort.
        async with uow.session.begin_nested():
            await uow.session.flush()
    except IntegrityError:
        raise CodeTaken(field="code") from None


def _state(offer: BonusOffer) -> dict[str, object]:
    return {
        "version": offer.version,
        "name": offer.name,
        "code": offer.code,
        "active": offer.active,
        "terms": offer.terms,
        "eligibility": offer.eligibility,
    }


async def _audit(
    uow: UnitOfWork,
    staff: Principal | None,
    offer: BonusOffer,
    action: str,
    before: dict[str, object] | None,
) -> None:
    await audit.record(
        uow,
        actor_kind=staff.actor_kind if staff else "system",
        actor_id=staff.id if staff else None,
        action=action,
        subject_type="bonus_offer",
        subject_id=offer.id,
        brand=offer.brand,
        before=before,
        after=_state(offer),
    )


__all__ = [
    "OfferDraft",
    "create_demo_offer",
    "create_offer",
    "offer_by_code",
    "offer_by_id",
    "offers_of",
    "update_offer",
]
