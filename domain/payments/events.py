"""Payments events, written to the outbox in the transaction of the change."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from domain.kernel.outbox import Event


@dataclass(frozen=True)
class PaymentStatusChanged(Event):
    """A deposit or withdrawal moved from `before` (None: just created) to `after`."""

    topic: ClassVar[str] = "payments.status_changed"
    payment_id: str
    player_id: str
    kind: str
    before: str | None
    after: str
    amount_minor: int
    currency: str


@dataclass(frozen=True)
class PayoutRequested(Event):
    """Finance approved a withdrawal: a worker pays it out through the PSP
    (`payments.submit_payout`), retrying until the PSP answers."""

    topic: ClassVar[str] = "payments.payout_requested"
    payment_id: str
