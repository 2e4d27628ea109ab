"""Payments types: Payment (a deposit or a withdrawal) and its enums."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Self

import strawberry
from strawberry import relay

from domain.integrations import psp
from domain.payments import models
from resolvers.payments import payments as payment_resolvers
from schema.context import Info
from schema.ids import uuid_key
from schema.money import Money

# The domain's enums are the GraphQL enums (registered in place), so values need no mapping.
PaymentKind = strawberry.enum(models.PaymentKind, name="PaymentKind")
PaymentStatus = strawberry.enum(
    models.PaymentStatus,
    name="PaymentStatus",
    description="Deposits: INITIATED -> PENDING -> SUCCEEDED | FAILED. Withdrawals: "
    "REQUESTED -> APPROVED -> SUCCEEDED | FAILED, or REQUESTED -> REJECTED.",
)
DepositFlow = strawberry.enum(
    psp.DepositFlow,
    name="DepositFlow",
    description="HOSTED: send the player to `redirectUrl`, the outcome arrives later. "
    "DIRECT: the PSP charges a stored method at once.",
)


@strawberry.type(description="A deposit or a withdrawal, with where it stands.")
class Payment(relay.Node):
    id: relay.NodeID[str]
    kind: models.PaymentKind
    status: models.PaymentStatus
    amount: Money
    player_id: relay.GlobalID = strawberry.field(description="The player's global ID.")
    redirect_url: str | None = strawberry.field(
        description="Hosted deposits: where to send the player to pay (null otherwise)."
    )
    failure_reason: str | None = strawberry.field(
        description="Why the deposit or payout failed, as the PSP said."
    )
    review_reason: str | None = strawberry.field(
        description="Withdrawals: finance's reason for a rejection."
    )
    created_at: datetime
    completed_at: datetime | None = strawberry.field(
        description="When it reached SUCCEEDED, FAILED or REJECTED."
    )

    @classmethod
    def from_model(cls, payment: models.Payment) -> Self:
        return cls(
            id=str(payment.id),
            kind=models.PaymentKind(payment.kind),
            status=models.PaymentStatus(payment.status),
            amount=Money.of(payment.amount_minor, payment.currency),
            player_id=relay.GlobalID("Player", str(payment.player_id)),
            redirect_url=payment.redirect_url,
            failure_reason=payment.failure_reason,
            review_reason=payment.review_reason,
            created_at=payment.created_at,
            completed_at=payment.completed_at,
        )

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Self | None]:
        wanted = [uuid_key(node_id) for node_id in node_ids]
        found = await payment_resolvers.payments_by_id(
            info.context, [payment_id for payment_id in wanted if payment_id]
        )
        return [
            cls.from_model(found[payment_id]) if payment_id in found else None
            for payment_id in wanted
        ]
