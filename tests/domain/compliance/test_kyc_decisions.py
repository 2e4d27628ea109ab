"""KYC decisions from the test provider's signed webhooks: delivered twice, late and out of
order they leave the tier the provider's last decision says; forged or stale ones change
nothing; an expired document gives no tier; every tier change is audited."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from domain.brands.service import BrandRegistry
from domain.compliance.kyc.errors import CheckNotFound
from domain.compliance.kyc.models import CheckStatus, KycCheck, KycDecision, KycTier
from domain.integrations.kyc import InvalidWebhook, KycOutcome
from domain.integrations.kyc_sandbox import Delivery, SandboxKyc
from domain.integrations.psp_sandbox import WebhookDelivery
from domain.kernel import clock
from domain.kernel.audit import AuditEntry
from domain.kernel.db import Database
from domain.kernel.outbox import OutboxEvent
from tests.domain.compliance.kyc_support import deliver, register, start, tier_of
from tests.domain.compliance.support import advance
from workers.scheduler import JOBS

PROVIDER = SandboxKyc()


async def _check(db: Database, check_id: uuid.UUID) -> KycCheck:
    async with db.uow() as uow:
        found = await uow.session.get(KycCheck, check_id)
        assert found is not None
        return found


async def _decisions(db: Database, check_id: uuid.UUID) -> list[tuple[str, bool]]:
    async with db.uow() as uow:
        rows = await uow.session.execute(
            select(KycDecision.outcome, KycDecision.applied)
            .where(KycDecision.check_id == check_id)
            .order_by(KycDecision.id)
        )
        return [(str(outcome), bool(applied)) for outcome, applied in rows.all()]


async def test_the_hosted_flow_approval_gives_the_tier_once_though_delivered_twice(
    db: Database, registry: BrandRegistry
) -> None:
    player = await register(db, registry.get("aurora"), "EUR")
    check = await start(db, PROVIDER, player, KycTier.FULL)

    deliveries = PROVIDER.complete_flow(
        check.flow_url, KycOutcome.APPROVED, delivery=Delivery.DUPLICATE
    )
    results = [await deliver(db, PROVIDER, "aurora", each) for each in deliveries]

    stored = await _check(db, check.id)
    assert [result.applied for result in results] == [True, False]
    assert await tier_of(db, player.id) == "full"
    assert (stored.status, stored.document_type) == ("approved", "passport")
    assert stored.document_expires_on is not None
    assert stored.document_expires_on > clock.now().date() + timedelta(days=4 * 365)
    assert await _decisions(db, check.id) == [("approved", True)]


async def test_decisions_out_of_order_and_late_leave_what_the_provider_decided_last(
    db: Database, registry: BrandRegistry
) -> None:
    player = await register(db, registry.get("aurora"), "EUR")
    check = await start(db, PROVIDER, player, KycTier.BASIC)
    now = clock.now()
    review = PROVIDER.decision_webhook(
        reference=check.reference, outcome=KycOutcome.MANUAL_REVIEW, sequence=1, decided_at=now
    )
    approved = PROVIDER.decision_webhook(
        reference=check.reference, outcome=KycOutcome.APPROVED, sequence=2, decided_at=now
    )
    rejected = PROVIDER.decision_webhook(
        reference=check.reference, outcome=KycOutcome.REJECTED, sequence=3, decided_at=now,
        reason="document_forged",
    )  # fmt: skip

    # The newest first, then the older two (one of them twice), then the newest again.
    for delivery in (rejected, approved, review, approved, rejected):
        await deliver(db, PROVIDER, "aurora", delivery)

    stored = await _check(db, check.id)
    assert (stored.status, stored.reason, stored.decision_sequence) == (
        "rejected", "document_forged", 3,
    )  # fmt: skip
    assert await tier_of(db, player.id) == "none"
    assert await _decisions(db, check.id) == [
        ("rejected", True), ("approved", False), ("manual_review", False),
    ]  # fmt: skip


async def test_a_later_rejection_takes_the_tier_back_and_both_changes_are_audited(
    db: Database, registry: BrandRegistry
) -> None:
    player = await register(db, registry.get("aurora"), "EUR")
    check = await start(db, PROVIDER, player, KycTier.BASIC)
    now = clock.now()
    approve = PROVIDER.decision_webhook(
        reference=check.reference, outcome=KycOutcome.APPROVED, decided_at=now
    )
    reject = PROVIDER.decision_webhook(
        reference=check.reference,
        outcome=KycOutcome.REJECTED,
        decided_at=now + timedelta(seconds=1),
    )

    await deliver(db, PROVIDER, "aurora", approve)
    approved_tier = await tier_of(db, player.id)
    await deliver(db, PROVIDER, "aurora", reject)

    async with db.uow() as uow:
        changes = (
            await uow.session.execute(
                select(AuditEntry.actor_id, AuditEntry.before, AuditEntry.after)
                .where(
                    AuditEntry.subject_id == str(player.id),
                    AuditEntry.action == "player.kyc_tier.change",
                )
                .order_by(AuditEntry.id)
            )
        ).all()
    assert approved_tier == "basic"
    assert await tier_of(db, player.id) == "none"
    assert [(row.actor_id, row.before, row.after) for row in changes] == [
        ("kyc:test", {"kyc_tier": "none"}, {"kyc_tier": "basic"}),
        ("kyc:test", {"kyc_tier": "basic"}, {"kyc_tier": "none"}),
    ]
    async with db.uow() as uow:
        events = (
            await uow.session.execute(
                select(OutboxEvent.brand, OutboxEvent.payload)
                .where(OutboxEvent.topic == "compliance.kyc_tier_changed")
                .order_by(OutboxEvent.id)
            )
        ).all()
    assert [
        (brand, payload) for brand, payload in events if payload["player_id"] == str(player.id)
    ] == [
        ("aurora", {"player_id": str(player.id), "before": "none", "after": "basic"}),
        ("aurora", {"player_id": str(player.id), "before": "basic", "after": "none"}),
    ]


async def test_forged_and_stale_webhooks_change_nothing(
    db: Database, registry: BrandRegistry
) -> None:
    player = await register(db, registry.get("aurora"), "EUR")
    check = await start(db, PROVIDER, player, KycTier.FULL)
    genuine = PROVIDER.decision_webhook(reference=check.reference, outcome=KycOutcome.APPROVED)
    forger = SandboxKyc("not-the-provider-secret-at-all")
    forged = forger.decision_webhook(reference=check.reference, outcome=KycOutcome.APPROVED)
    edited = WebhookDelivery(
        genuine.path, genuine.headers, genuine.body.replace(b"approved", b"rejected")
    )
    stale = PROVIDER.complete_flow(check.flow_url, KycOutcome.APPROVED, delivery=Delivery.LATE)[0]

    for delivery in (forged, edited, stale):
        with pytest.raises(InvalidWebhook):
            await deliver(db, PROVIDER, "aurora", delivery)

    assert (await _check(db, check.id)).status == CheckStatus.PENDING
    assert await tier_of(db, player.id) == "none"
    assert await _decisions(db, check.id) == []


async def test_the_late_delivery_s_retry_is_applied(db: Database, registry: BrandRegistry) -> None:
    player = await register(db, registry.get("aurora"), "EUR")
    check = await start(db, PROVIDER, player, KycTier.BASIC)
    stale, retry = PROVIDER.complete_flow(
        check.flow_url, KycOutcome.APPROVED, delivery=Delivery.LATE
    )

    with pytest.raises(InvalidWebhook):
        await deliver(db, PROVIDER, "aurora", stale)
    result = await deliver(db, PROVIDER, "aurora", retry)

    assert (result.applied, result.tier) == (True, KycTier.BASIC)


async def test_an_expired_document_gives_no_tier(db: Database, registry: BrandRegistry) -> None:
    player = await register(db, registry.get("aurora"), "EUR")
    check = await start(db, PROVIDER, player, KycTier.FULL)
    expired = PROVIDER.decision_webhook(
        reference=check.reference, outcome=KycOutcome.APPROVED,
        document_expires_on=date(2020, 1, 1),
    )  # fmt: skip

    result = await deliver(db, PROVIDER, "aurora", expired)

    assert (result.applied, result.tier) == (True, KycTier.NONE)
    assert (await _check(db, check.id)).status == CheckStatus.APPROVED


async def test_a_decision_for_another_brand_s_check_is_not_found(
    db: Database, registry: BrandRegistry
) -> None:
    player = await register(db, registry.get("aurora"), "EUR")
    check = await start(db, PROVIDER, player, KycTier.BASIC)
    approve = PROVIDER.decision_webhook(reference=check.reference, outcome=KycOutcome.APPROVED)

    with pytest.raises(CheckNotFound):
        await deliver(db, PROVIDER, "kumo", approve)

    assert await tier_of(db, player.id) == "none"


async def test_the_daily_job_lowers_the_tier_once_the_document_expires(
    db: Database, registry: BrandRegistry, monkeypatch: pytest.MonkeyPatch
) -> None:
    player = await register(db, registry.get("aurora"), "EUR")
    basic = await start(db, PROVIDER, player, KycTier.BASIC)
    full = await start(db, PROVIDER, player, KycTier.FULL)
    today = clock.now().date()
    for check, valid_days in ((basic, 400), (full, 10)):
        await deliver(
            db, PROVIDER, "aurora",
            PROVIDER.decision_webhook(
                reference=check.reference, outcome=KycOutcome.APPROVED,
                document_expires_on=today + timedelta(days=valid_days),
            ),
        )  # fmt: skip
    (job,) = [job for job in JOBS if job.name == "compliance.expire_kyc_documents"]

    before = await job.run(db)
    advance(monkeypatch, timedelta(days=11))
    lowered = await job.run(db)
    again = await job.run(db)
    advance(monkeypatch, timedelta(days=400))
    lapsed = await job.run(db)

    assert (before, lowered, again, lapsed) == (0, 1, 0, 1)
    assert await tier_of(db, player.id) == "none"
