"""Risk staff's decision on a manual review and the provider's callbacks: a provider
decision taken before the staff decision and delivered after it never overwrites it,
whether the provider numbers its decisions in counters or in nanoseconds; one the
provider took after the staff decision does apply."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from sqlalchemy import select

from domain.accounts.models import PrincipalKind
from domain.accounts.permissions import permissions_for
from domain.accounts.principal import Principal
from domain.brands.service import BrandRegistry
from domain.compliance.kyc import review
from domain.compliance.kyc.models import KycCheck, KycTier
from domain.integrations.kyc import KycOutcome
from domain.integrations.kyc_sandbox import SandboxKyc
from domain.kernel import clock
from domain.kernel.db import Database
from tests.domain.compliance.kyc_support import deliver, register, start, tier_of

PROVIDER = SandboxKyc()


def risk_staff() -> Principal:
    return Principal(
        PrincipalKind.STAFF, uuid.uuid4(), uuid.uuid4(), "aurora", True, roles=("risk",),
        permissions=permissions_for(["risk"]), staff_brands=("aurora",),
    )  # fmt: skip


async def _in_review(db: Database, registry: BrandRegistry, first_sequence: int) -> tuple:
    player = await register(db, registry.get("aurora"), "EUR")
    check = await start(db, PROVIDER, player, KycTier.FULL)
    sent_to_review = PROVIDER.decision_webhook(
        reference=check.reference, outcome=KycOutcome.MANUAL_REVIEW,
        sequence=first_sequence, decided_at=clock.now() - timedelta(minutes=5),
        signed_at=clock.now(),
    )  # fmt: skip
    assert (await deliver(db, PROVIDER, "aurora", sent_to_review)).applied
    return player, check


async def _staff_decide(db: Database, check: KycCheck, decision: review.ReviewDecision) -> None:
    async with db.transaction() as uow:
        await review.decide_review(
            uow, risk_staff(), "aurora", check.id, decision=decision, reason="documents seen"
        )


@pytest.mark.parametrize("first_sequence", [1, 1_765_000_000_000_000_000])
async def test_a_late_provider_callback_does_not_overwrite_the_staff_approval(
    db: Database, registry: BrandRegistry, first_sequence: int
) -> None:
    player, check = await _in_review(db, registry, first_sequence)
    # The provider rejected a minute before staff approved; the callback arrives after.
    late = PROVIDER.decision_webhook(
        reference=check.reference, outcome=KycOutcome.REJECTED,
        sequence=first_sequence + 1_000_000, decided_at=clock.now() - timedelta(minutes=1),
        signed_at=clock.now(),
        reason="document_unreadable",
    )  # fmt: skip

    await _staff_decide(db, check, review.ReviewDecision.APPROVE)
    result = await deliver(db, PROVIDER, "aurora", late)

    assert result.applied is False
    assert (result.tier, await tier_of(db, player.id)) == (KycTier.FULL, "full")


async def test_a_provider_decision_taken_after_the_staff_decision_applies(
    db: Database, registry: BrandRegistry
) -> None:
    player, check = await _in_review(db, registry, 7)
    await _staff_decide(db, check, review.ReviewDecision.APPROVE)
    later = PROVIDER.decision_webhook(
        reference=check.reference, outcome=KycOutcome.REJECTED, sequence=8,
        decided_at=clock.now() + timedelta(seconds=5), signed_at=clock.now(),
        reason="document_forged",
    )  # fmt: skip

    result = await deliver(db, PROVIDER, "aurora", later)

    assert result.applied is True
    assert await tier_of(db, player.id) == "none"


async def test_a_provider_decision_in_the_same_second_after_the_staff_decision_applies(
    db: Database, registry: BrandRegistry
) -> None:
    """The provider's time has whole seconds only: its decision taken in the very second
    staff decided (after them) reads as up to a second earlier, and still applies; one a
    full second and more before does not."""
    player, check = await _in_review(db, registry, 7)
    await _staff_decide(db, check, review.ReviewDecision.APPROVE)
    async with db.uow() as uow:
        staff_at = await uow.session.scalar(
            select(KycCheck.decided_at).where(KycCheck.id == check.id)
        )
    assert staff_at is not None
    before = PROVIDER.decision_webhook(
        reference=check.reference, outcome=KycOutcome.REJECTED, sequence=8,
        decided_at=staff_at - timedelta(seconds=1, microseconds=1), signed_at=clock.now(),
        reason="document_forged",
    )  # fmt: skip
    same_second = PROVIDER.decision_webhook(
        reference=check.reference, outcome=KycOutcome.REJECTED, sequence=9,
        decided_at=staff_at, signed_at=clock.now(), reason="document_forged",
    )  # fmt: skip

    refused = await deliver(db, PROVIDER, "aurora", before)
    applied = await deliver(db, PROVIDER, "aurora", same_second)

    assert (refused.applied, applied.applied) == (False, True)
    assert await tier_of(db, player.id) == "none"
