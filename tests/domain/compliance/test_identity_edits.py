"""Editing the legal identity after a verification withdraws it: the tier drops until the
player is verified again; a phone change or an edit of an unverified player keeps what
the player had; a late approval of the old identity does not bring the tier back."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from sqlalchemy import select

from domain.accounts.principal import Principal
from domain.brands.service import BrandRegistry
from domain.compliance.kyc import profile
from domain.compliance.kyc.checks import IDENTITY_CHANGED
from domain.compliance.kyc.models import KycCheck, KycTier
from domain.integrations.kyc import KycOutcome
from domain.integrations.kyc_sandbox import SandboxKyc
from domain.kernel import clock
from domain.kernel.audit import AuditEntry
from domain.kernel.db import Database
from tests.domain.compliance.kyc_support import deliver, register, start, tier_of

PROVIDER = SandboxKyc()
IDENTITY = profile.ProfileFields(
    given_name="Mara", family_name="Lindqvist", address_line1="4 Quay Street", city="Leeds",
    postal_code="LS1 4AP", address_country="GB", nationality="GB", phone="+447700900123",
)  # fmt: skip


async def _verified(db: Database, registry: BrandRegistry) -> tuple[Principal, KycCheck]:
    player = await register(db, registry.get("aurora"), "EUR")
    await _save(db, player, IDENTITY)
    check = await start(db, PROVIDER, player, KycTier.FULL)
    for delivery in PROVIDER.complete_flow(check.flow_url, KycOutcome.APPROVED):
        await deliver(db, PROVIDER, "aurora", delivery)
    assert await tier_of(db, player.id) == "full"
    return player, check


async def _save(db: Database, player: Principal, values: profile.ProfileFields) -> None:
    async with db.transaction() as uow:
        await profile.update_profile(uow, player, "aurora", values)


async def _status(db: Database, check: KycCheck) -> tuple[str, str | None]:
    async with db.uow() as uow:
        row = await uow.session.get(KycCheck, check.id)
        assert row is not None
        return row.status, row.reason


async def test_a_new_family_name_after_verification_drops_the_tier(
    db: Database, registry: BrandRegistry
) -> None:
    player, check = await _verified(db, registry)

    await _save(db, player, replace(IDENTITY, family_name="Berg"))

    assert await tier_of(db, player.id) == "none"
    assert await _status(db, check) == ("resubmission_requested", IDENTITY_CHANGED)
    async with db.uow() as uow:
        actions = list(
            await uow.session.scalars(
                select(AuditEntry.action)
                .where(AuditEntry.subject_id == str(player.id))
                .order_by(AuditEntry.id)
            )
        )
    assert actions[-2:] == ["player.profile.update", "player.kyc_tier.change"]


async def test_a_moved_address_drops_the_tier_and_a_late_approval_does_not_restore_it(
    db: Database, registry: BrandRegistry
) -> None:
    player, check = await _verified(db, registry)
    late = PROVIDER.decision_webhook(
        reference=check.reference, outcome=KycOutcome.APPROVED, sequence=2**62,
        decided_at=clock.now() - timedelta(seconds=30), signed_at=clock.now(),
    )  # fmt: skip

    await _save(db, player, replace(IDENTITY, city="York"))
    result = await deliver(db, PROVIDER, "aurora", late)

    assert result.applied is False
    assert await tier_of(db, player.id) == "none"


async def test_a_new_phone_number_keeps_the_identity_verification(
    db: Database, registry: BrandRegistry
) -> None:
    player, check = await _verified(db, registry)

    await _save(db, player, replace(IDENTITY, phone="+447700900999"))

    assert await tier_of(db, player.id) == "full"
    assert await _status(db, check) == ("approved", None)
