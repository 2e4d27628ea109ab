"""The risk staff's KYC review queue: checks the provider sent to manual review, decided by
staff with kyc.review on the check's brand, with a reason, audited."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from enum import StrEnum

from sqlalchemy import select

from domain.accounts.models import Player
from domain.accounts.permissions import Permission
from domain.accounts.principal import Principal, require_permission
from domain.compliance import linking
from domain.compliance.kyc.checks import CheckView, refresh_tier, view_of
from domain.compliance.kyc.errors import CheckAlreadyDecided, CheckNotFound
from domain.compliance.kyc.models import CheckStatus, KycCheck, KycDecision, KycTier
from domain.kernel import audit, clock
from domain.kernel.db import UnitOfWork

QUEUE_PAGE_MAX = 100


class ReviewDecision(StrEnum):
    APPROVE = "approve"
    REJECT = "reject"


@dataclass(frozen=True)
class QueuedCheck:
    check: CheckView
    player_id: uuid.UUID
    player_email: str | None


async def review_queue(
    uow: UnitOfWork, actor: Principal | None, brand: str, first: int
) -> list[QueuedCheck]:
    """Checks of the brand waiting for a manual review, oldest decision first, with the
    player (one statement). Errors: NotAuthenticated, PermissionDenied, TwoFactorRequired."""
    require_permission(actor, Permission.KYC_REVIEW, brand)
    rows = (
        await uow.session.execute(
            select(KycCheck, Player.email)
            .join(Player, Player.id == KycCheck.player_id)
            .where(KycCheck.brand == brand, KycCheck.status == CheckStatus.MANUAL_REVIEW)
            .order_by(KycCheck.decided_at, KycCheck.id)
            .limit(max(1, min(first, QUEUE_PAGE_MAX)))
        )
    ).all()
    # The hosted flow's link acts for the player at the provider: staff never get it.
    return [
        QueuedCheck(replace(view_of(check), flow_url=""), check.player_id, email)
        for check, email in rows
    ]


async def decide_review(
    uow: UnitOfWork,
    actor: Principal | None,
    brand: str,
    check_id: uuid.UUID,
    *,
    decision: ReviewDecision,
    reason: str,
) -> tuple[CheckView, KycTier]:
    """Approve or reject a check in manual review; the player's tier follows. Audited
    (`kyc.check.review`). The check keeps the provider's sequence (staff decisions are not
    numbered by the provider) and records who decided when, so a provider decision taken
    before it and delivered later, whatever its sequence, does not undo it (checks._newer).
    Errors: NotAuthenticated, PermissionDenied, TwoFactorRequired, ReasonRequired,
    CheckNotFound, CheckAlreadyDecided."""
    principal = require_permission(actor, Permission.KYC_REVIEW, brand)
    stated = audit.audit_reason(reason)
    if decision is ReviewDecision.APPROVE:
        await linking.serialise_approvals(uow)
    check = await uow.session.scalar(
        select(KycCheck).where(KycCheck.id == check_id, KycCheck.brand == brand).with_for_update()
    )
    if check is None:
        raise CheckNotFound(field="checkId")
    if check.status != CheckStatus.MANUAL_REVIEW:
        raise CheckAlreadyDecided(field="checkId")
    now = clock.now()
    # The provider decision this one follows (the decision row's sequence is informative).
    sequence = check.decision_sequence
    status = CheckStatus.APPROVED if decision is ReviewDecision.APPROVE else CheckStatus.REJECTED
    uow.session.add(
        KycDecision(
            check_id=check.id,
            event_id=f"staff:{uuid.uuid4()}",
            outcome=status.value,
            sequence=sequence,
            decided_at=now,
            reason=stated,
            applied=True,
        )
    )
    before = check.status
    check.status = status
    check.reason = None if status is CheckStatus.APPROVED else stated
    check.decided_at = now
    check.decided_by = f"staff:{principal.id}"
    await uow.flush()
    await audit.record(
        uow,
        actor_kind=principal.actor_kind,
        actor_id=principal.id,
        action="kyc.check.review",
        subject_type="kyc_check",
        subject_id=check.id,
        brand=brand,
        reason=stated,
        before={"status": before},
        after={"status": status.value},
    )
    tier = await refresh_tier(
        uow, check.player_id, actor_id=str(principal.id), actor_kind=principal.actor_kind
    )
    if status is CheckStatus.APPROVED:
        await linking.after_approval(uow, check.player_id, brand)
    return view_of(check), tier
