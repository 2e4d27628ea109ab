"""The operations overview (report.read): what the dashboard's alerts and health read."""

from __future__ import annotations

import strawberry

from domain.accounts.permissions import Permission
from resolvers.permissions import HasPermission
from resolvers.reporting import operations
from schema.context import Info
from schema.errors import as_query_error
from schema.money import Money


@strawberry.type(description="The brand's open exposure, failures and event backlog, now.")
class OperationsOverview:
    open_liability: list[Money] = strawberry.field(
        description="Per currency: what open and pending sportsbook bets would pay if all won."
    )
    failed_payments: int = strawberry.field(
        description="Deposits and payouts that failed in the last 24 hours."
    )
    outbox_pending: int = strawberry.field(
        description="Events committed but not yet relayed to workers and subscribers."
    )
    outbox_oldest_age_seconds: int | None = strawberry.field(
        description="How long the oldest of them has waited; null when none waits."
    )
    dead_letters: int | None = strawberry.field(
        description="Messages the workers gave up on, kept by the broker for replay or drop "
        "(`stakehouse dlq`), across every queue and brand; null when the API has no broker "
        "or the reader holds only some brands (the figure spans every brand)."
    )


@strawberry.type
class OperationsQuery:
    @strawberry.field(
        description="Staff (report.read): the brand's open liability, failed payments of the "
        "last 24 hours, outbox backlog and dead letters, for the dashboard's alerts and queue "
        "health.",
        extensions=[HasPermission.extension(Permission.REPORT_READ)],
    )
    async def operations_overview(self, info: Info) -> OperationsOverview:
        with as_query_error():
            found = await operations.overview(info.context)
        oldest = found.outbox_oldest_at
        return OperationsOverview(
            open_liability=[Money.of(v, c) for c, v in found.open_liability_minor.items()],
            failed_payments=found.failed_payments,
            outbox_pending=found.outbox_pending,
            dead_letters=found.dead_letters,
            outbox_oldest_age_seconds=(
                max(0, int((found.measured_at - oldest).total_seconds())) if oldest else None
            ),
        )
