"""AML events, written to the outbox in the transaction that raises the alert."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from domain.kernel.outbox import Event


@dataclass(frozen=True)
class AmlAlertRaised(Event):
    """A monitoring rule raised an alert to the brand's risk queue."""

    topic: ClassVar[str] = "compliance.aml_alert_raised"
    alert_id: str
    player_id: str
    rule: str
    holds_deposits: bool
