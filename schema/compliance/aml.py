"""The AML risk queue over GraphQL: staff (aml.review) list the brand's alerts with their
evidence and interactions, take one, record interactions and the outcome."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Self

import strawberry
from strawberry import relay

from domain.accounts import errors as account_errors
from domain.accounts.permissions import Permission
from domain.compliance.aml import alerts as alert_service
from domain.compliance.aml import errors as aml_errors
from domain.compliance.aml import models as aml_models
from domain.kernel.errors import DomainError, PermissionDenied, ReasonRequired
from resolvers.compliance import aml as resolvers
from resolvers.permissions import HasPermission
from schema.context import Info
from schema.errors import MutationError, as_query_error, mutation_error, to_errors
from schema.ids import global_id, uuid_of
from schema.money import Money

AmlAlertRule = strawberry.enum(
    aml_models.AlertRule,
    name="AmlAlertRule",
    description="The rule that raised an alert. Money movement: CUMULATIVE_DEPOSITS (30-day "
    "deposits over the pack's threshold: enhanced checks), LARGE_DEPOSIT, RAPID_DEPOSITS, "
    "PAYMENT_METHODS, LITTLE_PLAY (a withdrawal soon after deposits with little staked). "
    "Markers of harm: RISING_DEPOSIT_FREQUENCY, NIGHT_PLAY, LIMIT_INCREASES.",
)
AmlAlertStatus = strawberry.enum(aml_models.AlertStatus, name="AmlAlertStatus")
AmlAlertOutcome = strawberry.enum(
    aml_models.AlertOutcome,
    name="AmlAlertOutcome",
    description="CLEARED: the checks are done; held deposits are released (unless another "
    "alert holds them). REFERRED: passed to the money-laundering reporting officer; "
    "deposits stay held until the alert is cleared.",
)
AmlInteractionKind = strawberry.enum(aml_models.InteractionKind, name="AmlInteractionKind")


@strawberry.type(description="A payment named in an alert's evidence.")
class AmlEvidencePayment:
    payment_id: strawberry.ID = strawberry.field(description="The Payment's global id.")
    amount: Money
    at: datetime


@strawberry.type(description="What crossed the rule (fields the rule has; others null).")
class AmlEvidence:
    threshold: Money | None = strawberry.field(description="The pack's threshold crossed.")
    total: Money | None = strawberry.field(description="What the rule summed.")
    staked: Money | None = strawberry.field(description="LITTLE_PLAY: staked since.")
    count: int | None = None
    payment_methods: list[str] | None = None
    window_from: datetime | None = None
    window_to: datetime | None = None
    withdrawal: AmlEvidencePayment | None = None
    limit_requests_at: list[datetime] | None = strawberry.field(
        default=None, description="LIMIT_INCREASES: when each increase or removal was asked."
    )
    payments: list[AmlEvidencePayment]

    @classmethod
    def of(cls, evidence: dict[str, Any]) -> Self:
        currency = str(evidence["currency"])

        def money(key: str) -> Money | None:
            value = evidence.get(key)
            return None if value is None else Money.of(int(value), currency)

        def payment(item: dict[str, Any]) -> AmlEvidencePayment:
            return AmlEvidencePayment(
                payment_id=global_id("Payment", item["id"]),
                amount=Money.of(int(item["amount_minor"]), currency),
                at=datetime.fromisoformat(item["at"]),
            )

        window = evidence.get("window") or {}
        withdrawal = evidence.get("withdrawal")
        return cls(
            threshold=money("threshold_minor"),
            total=money("total_minor"),
            staked=money("staked_minor"),
            count=evidence.get("count"),
            payment_methods=evidence.get("methods"),
            window_from=datetime.fromisoformat(window["from"]) if window else None,
            window_to=datetime.fromisoformat(window["to"]) if window else None,
            withdrawal=payment(withdrawal) if withdrawal else None,
            limit_requests_at=[datetime.fromisoformat(item["at"]) for item in evidence["requests"]]
            if "requests" in evidence
            else None,
            payments=[payment(item) for item in evidence.get("payments", [])],
        )


@strawberry.type(description="What a risk analyst did about an alert.")
class AmlInteraction:
    kind: aml_models.InteractionKind
    note: str
    staff_id: strawberry.ID
    recorded_at: datetime

    @classmethod
    def of(cls, row: aml_models.AmlInteraction) -> Self:
        return cls(
            kind=aml_models.InteractionKind(row.kind),
            note=row.note,
            staff_id=global_id("StaffMember", row.staff_id),
            recorded_at=row.recorded_at,
        )


@strawberry.type(description="An AML or harm-monitoring alert in the brand's risk queue.")
class AmlAlert:
    id: strawberry.ID
    player_id: strawberry.ID
    rule: aml_models.AlertRule
    status: aml_models.AlertStatus
    outcome: aml_models.AlertOutcome | None
    holds_deposits: bool = strawberry.field(
        description="The pack's answer: the player's deposits are refused "
        "(ENHANCED_CHECKS_REQUIRED) until the alert is cleared."
    )
    evidence: AmlEvidence
    raised_at: datetime
    taken_by: strawberry.ID | None
    taken_at: datetime | None
    closed_at: datetime | None
    interactions: list[AmlInteraction]

    @classmethod
    def of(cls, view: resolvers.AlertView) -> Self:
        row = view.alert
        return cls(
            id=global_id("AmlAlert", row.id),
            player_id=global_id("Player", row.player_id),
            rule=aml_models.AlertRule(row.rule),
            status=aml_models.AlertStatus(row.status),
            outcome=aml_models.AlertOutcome(row.outcome) if row.outcome else None,
            holds_deposits=row.holds_deposits,
            evidence=AmlEvidence.of(row.evidence),
            raised_at=row.raised_at,
            taken_by=global_id("StaffMember", row.taken_by) if row.taken_by else None,
            taken_at=row.taken_at,
            closed_at=row.closed_at,
            interactions=[AmlInteraction.of(item) for item in view.interactions],
        )


@strawberry.type
class AmlQuery:
    @strawberry.field(
        description=f"Staff (aml.review): the brand's risk queue, oldest first: alerts not "
        f"closed, or those in `status`; of one player when `playerId` is given (at most "
        f"{alert_service.ALERTS_PAGE_MAX}).",
        extensions=[HasPermission.extension(Permission.AML_REVIEW)],
    )
    async def aml_alerts(
        self,
        info: Info,
        status: aml_models.AlertStatus | None = None,
        player_id: relay.GlobalID | None = None,
        first: int = 50,
    ) -> list[AmlAlert]:
        player = uuid_of(player_id, "Player") if player_id is not None else None
        if player_id is not None and player is None:
            return []
        with as_query_error():
            found = await resolvers.alert_views(
                info.context,
                status=aml_models.AlertStatus(status) if status is not None else None,
                player_id=player,
                first=first,
            )
        return [AmlAlert.of(view) for view in found]


_STAFF_ERRORS: tuple[type[DomainError], ...] = (
    PermissionDenied,
    account_errors.TwoFactorRequired,
    account_errors.PasswordChangeRequired,
    aml_errors.AlertNotFound,
    aml_errors.AlertTakenByOther,
    aml_errors.AlertClosed,
)


@mutation_error(*_STAFF_ERRORS)
class TakeAmlAlertError(MutationError): ...


@mutation_error(*_STAFF_ERRORS, aml_errors.InvalidNote)
class RecordAmlInteractionError(MutationError): ...


@mutation_error(*_STAFF_ERRORS, ReasonRequired, aml_errors.EnhancedDueDiligenceRequired)
class CloseAmlAlertError(MutationError): ...


@strawberry.input
class TakeAmlAlertInput:
    alert_id: relay.GlobalID


@strawberry.type
class TakeAmlAlertPayload:
    alert: AmlAlert | None = None
    errors: list[TakeAmlAlertError]


@strawberry.input
class RecordAmlInteractionInput:
    alert_id: relay.GlobalID
    kind: aml_models.InteractionKind
    note: str = strawberry.field(
        description=f"What was done or said (1-{alert_service.NOTE_LENGTH_MAX} characters)."
    )


@strawberry.type
class RecordAmlInteractionPayload:
    alert: AmlAlert | None = None
    errors: list[RecordAmlInteractionError]


@strawberry.input
class CloseAmlAlertInput:
    alert_id: relay.GlobalID
    outcome: aml_models.AlertOutcome
    reason: str = strawberry.field(description="Why (mandatory); kept in the audit log.")


@strawberry.type
class CloseAmlAlertPayload:
    alert: AmlAlert | None = None
    errors: list[CloseAmlAlertError]


def _alert_id(global_id_: relay.GlobalID) -> Any:
    return uuid_of(global_id_, "AmlAlert")


@strawberry.type
class AmlMutation:
    @strawberry.mutation(
        description="Staff (aml.review): take an open alert of the brand's risk queue (yours "
        "until you record its outcome)."
    )
    async def take_aml_alert(self, info: Info, input: TakeAmlAlertInput) -> TakeAmlAlertPayload:
        result = await resolvers.take(info.context, _alert_id(input.alert_id))
        if result.value is None:
            return TakeAmlAlertPayload(errors=to_errors(TakeAmlAlertError, result.errors))
        return TakeAmlAlertPayload(alert=AmlAlert.of(result.value), errors=[])

    @strawberry.mutation(
        description="Staff (aml.review): record an interaction (a note, a contact with the "
        "player, a request for documents) on an alert not cleared; audited."
    )
    async def record_aml_interaction(
        self, info: Info, input: RecordAmlInteractionInput
    ) -> RecordAmlInteractionPayload:
        result = await resolvers.record_interaction(
            info.context,
            _alert_id(input.alert_id),
            aml_models.InteractionKind(input.kind),
            input.note,
        )
        if result.value is None:
            return RecordAmlInteractionPayload(
                errors=to_errors(RecordAmlInteractionError, result.errors)
            )
        return RecordAmlInteractionPayload(alert=AmlAlert.of(result.value), errors=[])

    @strawberry.mutation(
        description="Staff (aml.review): record an alert's outcome with a reason (audited). "
        "CLEARED releases the player's held deposits; a REFERRED alert may be cleared later."
    )
    async def close_aml_alert(self, info: Info, input: CloseAmlAlertInput) -> CloseAmlAlertPayload:
        result = await resolvers.close(
            info.context,
            _alert_id(input.alert_id),
            aml_models.AlertOutcome(input.outcome),
            input.reason,
        )
        if result.value is None:
            return CloseAmlAlertPayload(errors=to_errors(CloseAmlAlertError, result.errors))
        return CloseAmlAlertPayload(alert=AmlAlert.of(result.value), errors=[])
