"""The risk queue: staff (aml.review) list a brand's alerts, take one, record what they did
(interactions) and the outcome. Every write is audited with the staff member and a reason.

An outcome of CLEARED releases the player's deposits once no other alert holds them;
REFERRED (to the money-laundering reporting officer) keeps them held, and that officer may
later clear the referred alert.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from typing import Final

from sqlalchemy import exists, select, update

from domain.accounts.models import Player
from domain.accounts.permissions import Permission
from domain.accounts.principal import Principal, require_permission
from domain.compliance import identity
from domain.compliance.aml.errors import (
    AlertClosed,
    AlertNotFound,
    AlertTakenByOther,
    EnhancedDueDiligenceRequired,
    InvalidNote,
)
from domain.compliance.aml.models import (
    AlertOutcome,
    AlertStatus,
    AmlAlert,
    AmlInteraction,
    InteractionKind,
)
from domain.compliance.kyc.models import KycTier
from domain.kernel import audit, clock
from domain.kernel.db import UnitOfWork

ALERTS_PAGE_MAX: Final = 100
NOTE_LENGTH_MAX: Final = 2000
SUBJECT: Final = "aml_alert"


async def alerts(
    uow: UnitOfWork,
    staff: Principal | None,
    brand: str,
    *,
    status: AlertStatus | None = None,
    player_id: uuid.UUID | None = None,
    first: int = 50,
) -> list[AmlAlert]:
    """The brand's alerts, oldest first: those not closed (or in `status`), of one player
    when given; at most ALERTS_PAGE_MAX. Errors: NotAuthenticated, PermissionDenied."""
    require_permission(staff, Permission.AML_REVIEW, brand)
    query = select(AmlAlert).where(AmlAlert.brand == brand)
    if status is None:
        query = query.where(AmlAlert.status != AlertStatus.CLOSED.value)
    else:
        query = query.where(AmlAlert.status == status.value)
    if player_id is not None:
        query = query.where(AmlAlert.player_id == player_id)
    limit = max(1, min(first, ALERTS_PAGE_MAX))
    found = await uow.session.scalars(query.order_by(AmlAlert.raised_at, AmlAlert.id).limit(limit))
    return list(found)


async def alert(
    uow: UnitOfWork, staff: Principal | None, brand: str, alert_id: uuid.UUID
) -> AmlAlert | None:
    """One alert of the brand (None: none such). Errors: NotAuthenticated,
    PermissionDenied."""
    require_permission(staff, Permission.AML_REVIEW, brand)
    found: AmlAlert | None = await uow.session.scalar(
        select(AmlAlert).where(AmlAlert.id == alert_id, AmlAlert.brand == brand)
    )
    return found


async def interactions_of(
    uow: UnitOfWork, brand: str, alert_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[AmlInteraction]]:
    """The interactions of several alerts of the brand, oldest first (one statement, for a
    loader: the caller has checked the staff member's permission on the alerts)."""
    found: dict[uuid.UUID, list[AmlInteraction]] = defaultdict(list)
    if not alert_ids:
        return found
    rows = await uow.session.scalars(
        select(AmlInteraction)
        .where(AmlInteraction.brand == brand, AmlInteraction.alert_id.in_(alert_ids))
        .order_by(AmlInteraction.id)
    )
    for row in rows:
        found[row.alert_id].append(row)
    return found


async def _locked(uow: UnitOfWork, brand: str, alert_id: uuid.UUID | None) -> AmlAlert:
    if alert_id is None:
        raise AlertNotFound(field="alertId")
    found: AmlAlert | None = await uow.session.scalar(
        select(AmlAlert).where(AmlAlert.id == alert_id, AmlAlert.brand == brand).with_for_update()
    )
    if found is None:
        raise AlertNotFound(field="alertId")
    return found


def _state(found: AmlAlert) -> dict[str, object]:
    return {
        "status": found.status,
        "taken_by": found.taken_by,
        "outcome": found.outcome,
        "holds_deposits": found.holds_deposits,
    }


async def _audit(
    uow: UnitOfWork,
    actor: Principal,
    found: AmlAlert,
    action: str,
    *,
    reason: str,
    before: dict[str, object],
) -> None:
    await audit.record(
        uow,
        actor_kind=actor.actor_kind,
        actor_id=actor.id,
        action=action,
        subject_type=SUBJECT,
        subject_id=found.id,
        brand=found.brand,
        reason=reason,
        before=before,
        after={**_state(found), "player_id": found.player_id, "rule": found.rule},
    )


async def take(
    uow: UnitOfWork, staff: Principal | None, brand: str, alert_id: uuid.UUID | None
) -> AmlAlert:
    """Take an open alert (taking one's own again changes nothing). Errors:
    NotAuthenticated, PermissionDenied, AlertNotFound, AlertTakenByOther, AlertClosed."""
    actor = require_permission(staff, Permission.AML_REVIEW, brand)
    found = await _locked(uow, brand, alert_id)
    if found.status == AlertStatus.CLOSED.value:
        raise AlertClosed(field="alertId")
    if found.status == AlertStatus.TAKEN.value:
        if found.taken_by != actor.id:
            raise AlertTakenByOther(field="alertId")
        return found
    before = _state(found)
    found.status, found.taken_by, found.taken_at = AlertStatus.TAKEN.value, actor.id, clock.now()
    await uow.flush()
    await _audit(uow, actor, found, "aml.alert.take", reason="taken for review", before=before)
    return found


def _clean_note(note: str) -> str:
    clean = note.strip()
    if not clean or len(clean) > NOTE_LENGTH_MAX or not clean.replace("\n", " ").isprintable():
        raise InvalidNote(field="note")
    return clean


async def record_interaction(
    uow: UnitOfWork,
    staff: Principal | None,
    brand: str,
    alert_id: uuid.UUID | None,
    *,
    kind: InteractionKind,
    note: str,
) -> AmlInteraction:
    """Record what was done about an alert not cleared yet. Errors: NotAuthenticated,
    PermissionDenied, InvalidNote, AlertNotFound, AlertClosed, AlertTakenByOther."""
    actor = require_permission(staff, Permission.AML_REVIEW, brand)
    clean = _clean_note(note)
    found = await _locked(uow, brand, alert_id)
    if found.outcome == AlertOutcome.CLEARED.value:
        raise AlertClosed(field="alertId")
    if found.status == AlertStatus.TAKEN.value and found.taken_by != actor.id:
        raise AlertTakenByOther(field="alertId")
    row = AmlInteraction(
        alert_id=found.id, brand=brand, staff_id=actor.id, kind=kind.value, note=clean
    )
    uow.session.add(row)
    await uow.flush()
    await _audit(
        uow, actor, found, f"aml.alert.{kind.value}", reason=clean[:500], before=_state(found)
    )
    return row


async def close(
    uow: UnitOfWork,
    staff: Principal | None,
    brand: str,
    alert_id: uuid.UUID | None,
    *,
    outcome: AlertOutcome,
    reason: str,
) -> AmlAlert:
    """Record the outcome: the alert closes; CLEARED releases the person's deposits unless
    another alert of the person holds them, and clears an alert that holds deposits only
    once the player has completed enhanced due diligence (the KYC enhanced tier). A
    referred alert may later be cleared; nothing else changes a closed one.
    Errors: NotAuthenticated, PermissionDenied, ReasonRequired, DomainError (reason too
    long), AlertNotFound, AlertTakenByOther, AlertClosed, EnhancedDueDiligenceRequired."""
    actor = require_permission(staff, Permission.AML_REVIEW, brand)
    clean = audit.audit_reason(reason)
    found = await _locked(uow, brand, alert_id)
    if found.status == AlertStatus.CLOSED.value and not (
        found.outcome == AlertOutcome.REFERRED.value and outcome is AlertOutcome.CLEARED
    ):
        raise AlertClosed(field="alertId")
    if found.status == AlertStatus.TAKEN.value and found.taken_by != actor.id:
        raise AlertTakenByOther(field="alertId")
    if found.holds_deposits and outcome is AlertOutcome.CLEARED:
        tier = await uow.session.scalar(select(Player.kyc_tier).where(Player.id == found.player_id))
        if tier != KycTier.ENHANCED.value:
            raise EnhancedDueDiligenceRequired(field="outcome")
    before = _state(found)
    found.status, found.outcome = AlertStatus.CLOSED.value, outcome.value
    found.closed_by, found.closed_at = actor.id, clock.now()
    await uow.flush()
    if found.holds_deposits and outcome is AlertOutcome.CLEARED:
        await _release(uow, found.player_id, found.id)
    await _audit(uow, actor, found, f"aml.alert.{outcome.value}", reason=clean, before=before)
    return found


async def _release(uow: UnitOfWork, player_id: uuid.UUID, alert_id: object) -> None:
    """Deposits stay held, on every player of the person, while any alert of any of them
    holds them (open, or referred). The person's rows are locked first, in id order, so
    the statement that decides sees every alert whose raise committed before it (a raise
    sets the hold under the same row locks). Each player released now gets an audit row
    naming the cleared alert (`player.deposits.release`), whatever its brand."""
    person = await identity.person_of(uow, player_id)
    players = [p.id for p in await identity.players_of_person(uow, person)] if person else []
    everyone = sorted({player_id, *players})
    await uow.session.execute(select(Player.id).where(Player.id == player_id).with_for_update())
    holding = exists().where(
        AmlAlert.player_id.in_(everyone),
        AmlAlert.holds_deposits,
        (AmlAlert.status != AlertStatus.CLOSED.value)
        | (AmlAlert.outcome == AlertOutcome.REFERRED.value),
    )
    rows = await uow.session.execute(
        select(Player.id, Player.deposits_held).where(Player.id.in_(everyone))
    )
    before = {row.id: row.deposits_held for row in rows}
    after = (
        await uow.session.execute(
            update(Player)
            .where(Player.id.in_(everyone))
            .values(deposits_held=holding)
            .returning(Player.id, Player.brand, Player.deposits_held)
            .execution_options(synchronize_session="fetch")
        )
    ).all()
    for released, brand, held in after:
        if before.get(released) and not held:
            await audit.record(
                uow, actor_kind="system", actor_id="compliance.aml",
                action="player.deposits.release", subject_type="player", subject_id=released,
                brand=brand, reason=f"AML alert {alert_id} cleared",
                before={"deposits_held": True}, after={"deposits_held": False},
            )  # fmt: skip
