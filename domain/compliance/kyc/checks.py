"""Verification checks: started by the player, decided by the provider's webhooks (or by
risk staff for a manual review), and the tier they give.

Decisions are applied in the provider's order, not the delivery order: each carries the
provider's `sequence`; one older than the decision the check already holds is recorded and
changes nothing (and once risk staff decided a check, only a provider decision taken after
theirs counts), and an event delivered twice (same `event_id`) is recorded once. So after
any mix of duplicates, late and reordered deliveries the check says what the provider
decided last. The player's tier (`players.kyc_tier`) is then the highest tier of their
approved checks whose document has not expired; each change of it is audited.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import ARRAY, TEXT, bindparam, select, text, update
from sqlalchemy.dialects.postgresql import insert

from domain.accounts.errors import PlayerNotFound
from domain.accounts.models import Player
from domain.accounts.principal import Principal, require_player
from domain.compliance import identity, linking
from domain.compliance.kyc.errors import CheckNotFound, CheckRunning, DevOnly, TierNotOffered
from domain.compliance.kyc.events import KycTierChanged
from domain.compliance.kyc.models import CheckStatus, KycCheck, KycDecision, KycTier
from domain.integrations.kyc import (
    CheckRequest,
    CheckSession,
    DecisionEvent,
    KycOutcome,
    KycProvider,
    call_provider,
)
from domain.kernel import audit, clock
from domain.kernel.db import Database, UnitOfWork
from domain.kernel.outbox import emit
from domain.kernel.settings import get_settings

# How many checks a player's verification status lists (newest first).
CHECKS_SHOWN_MAX = 10
_STARTABLE = (KycTier.BASIC, KycTier.FULL, KycTier.ENHANCED)


@dataclass(frozen=True)
class PreparedCheck:
    check_id: uuid.UUID
    player_id: uuid.UUID
    request: CheckRequest


async def prepare_check(
    uow: UnitOfWork, actor: Principal | None, brand: str, tier: KycTier, return_url: str
) -> PreparedCheck:
    """What to ask the provider for: a check of `tier` for the signed-in player (nothing
    written yet; `record_check` stores it once the provider answered).
    Errors: NotAuthenticated, TwoFactorRequired, WithdrawOnly, TierNotOffered, CheckRunning."""
    principal = require_player(actor)
    if tier not in _STARTABLE:
        raise TierNotOffered(field="tier")
    running = await uow.session.scalar(
        select(KycCheck.id).where(
            KycCheck.player_id == principal.id,
            KycCheck.brand == brand,
            KycCheck.tier == tier.value,
            KycCheck.status == CheckStatus.MANUAL_REVIEW,
        )
    )
    if running is not None:
        raise CheckRunning(field="tier")
    check_id = uuid.uuid4()
    request = CheckRequest(
        merchant_reference=str(check_id),
        brand=brand,
        player_reference=str(principal.id),
        tier=tier.value,
        return_url=return_url,
    )
    return PreparedCheck(check_id, principal.id, request)


async def record_check(
    uow: UnitOfWork, prepared: PreparedCheck, *, brand: str, provider: str, session: CheckSession
) -> KycCheck:
    """Store the check the provider opened (pending until its first decision)."""
    check = KycCheck(
        id=prepared.check_id,
        brand=brand,
        player_id=prepared.player_id,
        provider=provider,
        reference=session.reference,
        tier=prepared.request.tier,
        status=CheckStatus.PENDING,
        flow_url=session.flow_url,
        decision_sequence=0,
    )
    uow.session.add(check)
    await uow.flush()
    return check


@dataclass(frozen=True)
class DecisionResult:
    # False: a duplicate, or older than the decision the check holds (recorded, no effect).
    applied: bool
    tier: KycTier


async def apply_decision(
    uow: UnitOfWork, *, brand: str, provider: str, event: DecisionEvent
) -> DecisionResult:
    """Apply one verified provider decision. Errors: CheckNotFound (no such check of this
    brand at this provider)."""
    if event.outcome is KycOutcome.APPROVED:
        await linking.serialise_approvals(uow)
    check = await uow.session.scalar(
        select(KycCheck)
        .where(
            KycCheck.provider == provider,
            KycCheck.reference == event.reference,
            KycCheck.brand == brand,
        )
        .with_for_update()
    )
    if check is None:
        raise CheckNotFound(field="reference")
    if event.outcome is KycOutcome.APPROVED:
        # The person's registration locks before the player's row (refresh_tier), in the
        # order an exclusion or an AML hold takes them: the merge that may follow locks
        # the other person's too.
        await identity.serialise_with_registrations(uow, check.player_id)
    newer = _newer(check, event)
    claimed = await uow.session.scalar(
        insert(KycDecision)
        .values(
            check_id=check.id,
            event_id=f"{provider}:{event.event_id}",
            outcome=event.outcome.value,
            sequence=event.sequence,
            decided_at=event.decided_at,
            reason=event.reason,
            applied=newer,
        )
        .on_conflict_do_nothing(index_elements=["event_id"])
        .returning(KycDecision.id)
    )
    if claimed is None or not newer:
        return DecisionResult(False, await _tier_of(uow, check.player_id))
    check.status = CheckStatus(event.outcome.value)
    check.reason = event.reason
    check.decision_sequence = event.sequence
    check.decided_at = event.decided_at
    check.decided_by = "provider"
    if event.document_type is not None:
        check.document_type = event.document_type
        check.document_expires_on = event.document_expires_on
    if event.document_type is not None and event.document_number is not None:
        check.document_digest = linking.document_digest(event.document_type, event.document_number)
    if event.identity is not None:
        check.identity_digest = linking.verified_identity_digest(event.identity)
    await uow.flush()
    tier = await refresh_tier(uow, check.player_id, actor_id=f"kyc:{provider}")
    if check.status == CheckStatus.APPROVED:
        await linking.after_approval(uow, check.player_id, brand)
    return DecisionResult(True, tier)


def _newer(check: KycCheck, event: DecisionEvent) -> bool:
    """Whether a provider decision is newer than what the check holds. Provider decisions
    compare by the provider's sequence; a staff decision is not on that axis (a provider
    may number in counters or in nanoseconds), so once staff decided (or an identity edit
    withdrew the approval), a provider decision counts only if the provider took it after
    that: a late callback of a decision taken before it can never overwrite it, whatever
    its sequence.

    Providers tell the time in whole seconds and ours has microseconds, so a decision the
    provider took in the same second as (and after) ours would read as earlier: within
    PROVIDER_TIME_TOLERANCE (the provider's one-second resolution) the provider's counts as
    the later one."""
    if event.sequence <= check.decision_sequence:
        return False
    ours = check.decided_by not in (None, "provider")
    if not ours or check.decided_at is None:
        return True
    return event.decided_at + PROVIDER_TIME_TOLERANCE > check.decided_at


# The resolution of a provider's decision time (whole seconds): see _newer.
PROVIDER_TIME_TOLERANCE = timedelta(seconds=1)


async def _tier_of(uow: UnitOfWork, player_id: uuid.UUID) -> KycTier:
    value = await uow.session.scalar(select(Player.kyc_tier).where(Player.id == player_id))
    if value is None:
        raise PlayerNotFound(field="playerId")
    return KycTier(value)


def tier_from(checks: list[tuple[str, str, date | None]], today: date) -> KycTier:
    """The tier (tier, status, document expiry) rows give: the highest approved one whose
    document is still valid."""
    best = KycTier.NONE
    for tier, status, expires_on in checks:
        if status != CheckStatus.APPROVED or (expires_on is not None and expires_on <= today):
            continue
        if KycTier(tier).rank > best.rank:
            best = KycTier(tier)
    return best


async def refresh_tier(
    uow: UnitOfWork, player_id: uuid.UUID, *, actor_id: str, actor_kind: str = "system"
) -> KycTier:
    """Set the player's tier from their checks; audited when it changes."""
    rows = (
        await uow.session.execute(
            select(KycCheck.tier, KycCheck.status, KycCheck.document_expires_on).where(
                KycCheck.player_id == player_id
            )
        )
    ).all()
    tier = tier_from(
        [(row.tier, row.status, row.document_expires_on) for row in rows], clock.now().date()
    )
    player = (
        await uow.session.execute(
            select(Player.kyc_tier, Player.brand).where(Player.id == player_id).with_for_update()
        )
    ).one()
    if player.kyc_tier == tier.value:
        return tier
    await uow.session.execute(
        update(Player).where(Player.id == player_id).values(kyc_tier=tier.value)
    )
    await audit.record(
        uow,
        actor_kind=actor_kind,
        actor_id=actor_id,
        action="player.kyc_tier.change",
        subject_type="player",
        subject_id=player_id,
        brand=player.brand,
        reason="kyc decision",
        before={"kyc_tier": player.kyc_tier},
        after={"kyc_tier": tier.value},
    )
    await emit(
        uow,
        KycTierChanged(player_id=str(player_id), before=player.kyc_tier, after=tier.value),
        brand=player.brand,
    )
    return tier


# Set on the checks an identity edit withdrew (decided_by), and their decisions' reason.
IDENTITY_CHANGED = "identity_changed"


async def withdraw_approvals(
    uow: UnitOfWork, player_id: uuid.UUID, *, actor_id: str, actor_kind: str
) -> KycTier:
    """The player's identity changed after it was verified: every approved check asks for
    the documents again (resubmission requested, decided by the edit, one decision row
    each) and the tier follows (audited like any tier change). Returns the new tier."""
    approved = list(
        await uow.session.scalars(
            select(KycCheck)
            .where(KycCheck.player_id == player_id, KycCheck.status == CheckStatus.APPROVED)
            .order_by(KycCheck.id)
            .with_for_update()
        )
    )
    now = clock.now()
    for check in approved:
        uow.session.add(
            KycDecision(
                check_id=check.id, event_id=f"profile:{uuid.uuid4()}",
                outcome=CheckStatus.RESUBMISSION_REQUESTED.value,
                sequence=check.decision_sequence, decided_at=now, reason=IDENTITY_CHANGED,
                applied=True,
            )
        )  # fmt: skip
        check.status = CheckStatus.RESUBMISSION_REQUESTED
        check.reason = IDENTITY_CHANGED
        check.decided_at = now
        check.decided_by = f"profile:{actor_id}"
    await uow.flush()
    return await refresh_tier(uow, player_id, actor_id=actor_id, actor_kind=actor_kind)


# How long the demo players' documents are valid from the seed that verified them.
DEMO_DOCUMENT_VALIDITY = timedelta(days=5 * 365)


async def verify_demo_player(
    uow: UnitOfWork, player_id: uuid.UUID, brand: str, *, provider: str
) -> KycTier:
    """Dev only (`stakehouse dev`'s seed): the demo player fully verified at the built-in
    test provider, as if they had finished its hosted flow, so the gates the brand's pack
    asks for let the demo play and withdraw. Does nothing when an approved check exists.
    Errors: DevOnly (in production: nobody is verified without a provider)."""
    if get_settings().is_production:
        raise DevOnly()
    approved = await uow.session.scalar(
        select(KycCheck.id).where(
            KycCheck.player_id == player_id, KycCheck.status == CheckStatus.APPROVED
        )
    )
    if approved is None:
        now, check_id = clock.now(), uuid.uuid4()
        check = KycCheck(
            id=check_id, brand=brand, player_id=player_id, provider=provider,
            reference=f"demo-{check_id}", tier=KycTier.FULL.value,
            status=CheckStatus.APPROVED.value, flow_url="", document_type="passport",
            document_expires_on=(now + DEMO_DOCUMENT_VALIDITY).date(), decision_sequence=1,
            decided_at=now, decided_by="seed",
        )  # fmt: skip
        uow.session.add(check)
        await uow.flush()
        uow.session.add(
            KycDecision(
                check_id=check.id, event_id=f"seed:{check.id}", outcome=check.status,
                sequence=1, decided_at=now, reason=None, applied=True,
            )
        )  # fmt: skip
        await uow.flush()
    return await refresh_tier(uow, player_id, actor_id="seed")


@dataclass(frozen=True)
class CheckView:
    id: uuid.UUID
    tier: KycTier
    status: CheckStatus
    reason: str | None
    document_type: str | None
    document_expires_on: date | None
    created_at: datetime
    decided_at: datetime | None
    flow_url: str


def view_of(check: KycCheck) -> CheckView:
    return CheckView(
        check.id, KycTier(check.tier), CheckStatus(check.status), check.reason,
        check.document_type, check.document_expires_on, check.created_at, check.decided_at,
        check.flow_url,
    )  # fmt: skip


async def checks_of(uow: UnitOfWork, brand: str, player_id: uuid.UUID) -> list[CheckView]:
    rows = await uow.session.scalars(
        select(KycCheck)
        .where(KycCheck.player_id == player_id, KycCheck.brand == brand)
        .order_by(KycCheck.created_at.desc(), KycCheck.id)
        .limit(CHECKS_SHOWN_MAX)
    )
    return [view_of(row) for row in rows]


# Players whose tier no approved check with a valid document holds any more.
_LAPSED = text("""
SELECT p.id FROM players p
WHERE p.kyc_tier <> 'none'
  AND NOT EXISTS (
      SELECT 1 FROM kyc_checks c
      WHERE c.player_id = p.id AND c.status = 'approved'
        AND (c.document_expires_on IS NULL OR c.document_expires_on > :today)
        AND array_position(:order, c.tier) >= array_position(:order, p.kyc_tier))
ORDER BY p.id
LIMIT :batch
""").bindparams(bindparam("order", type_=ARRAY(TEXT)))
EXPIRY_BATCH_MAX = 500


async def expire_documents(uow: UnitOfWork) -> int:
    """Lower the tier of players whose identity document has expired since their check was
    approved (the scheduler's `compliance.expire_kyc_documents`, daily). Returns how many
    tiers changed; audited like any tier change."""
    lapsed = await uow.session.scalars(
        _LAPSED,
        {
            "today": clock.now().date(),
            "order": [tier.value for tier in KycTier],
            "batch": EXPIRY_BATCH_MAX,
        },
    )
    changed = 0
    for player_id in list(lapsed):
        await refresh_tier(uow, player_id, actor_id="kyc:document_expiry")
        changed += 1
    return changed


async def start_check(
    db: Database,
    principal: Principal | None,
    *,
    brand: str,
    tier: KycTier,
    return_path: str,
    provider: KycProvider,
) -> CheckView:
    """The flow of starting a check: prepare it, ask the provider for a session outside any
    transaction (a slow provider holds no connection), then store it. A timeout or a
    refused connection raises ProviderUnavailable, with nothing stored."""
    async with db.uow() as uow:
        prepared = await prepare_check(uow, principal, brand, tier, return_path)
    session = await call_provider(provider.start_check(prepared.request))
    async with db.transaction() as uow:
        check = await record_check(
            uow, prepared, brand=brand, provider=provider.name, session=session
        )
        return view_of(check)
