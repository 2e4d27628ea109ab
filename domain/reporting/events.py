"""Reporting events (published to pub/sub after commit, never before)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from domain.kernel.outbox import Event


@dataclass(frozen=True)
class ReportUpdated(Event):
    """The brand's read model changed (at most one per SIGNAL_INTERVAL_S per brand): a
    dashboard re-runs its report. `day` is the business day of the change that signalled."""

    topic: ClassVar[str] = "reporting.updated"
    day: str
