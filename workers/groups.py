"""Queue groups: which queues one worker Deployment consumes.

In production each group runs as its own Deployment (`k8s/base/workers/<group>/`), scaled
by KEDA on its own queues, so a backlog of settlements never waits behind a burst of feed
messages or e-mails, and each can be sized and disrupted on its own. In dev one worker
consumes every queue. A test checks that every queue an actor declares belongs to exactly
one group and that the manifests match this table.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Final

QUEUE_GROUPS: Final[Mapping[str, tuple[str, ...]]] = MappingProxyType(
    {
        # Paying bets: latency players notice, bursts when a big market results.
        "settlement": ("sportsbook",),
        # The odds feed: a steady high volume, ordered per event.
        "feed": ("feed",),
        # PSP calls: slow third parties, must never starve the others.
        "payments": ("payments",),
        # Inbox, e-mail and other messages to players.
        "messaging": ("messaging",),
        # The reporting read model: bulk upkeep that must never delay money.
        "reporting": ("reporting",),
        # Bonus upkeep (cashback runs, forfeits on exclusion): batches, apart from bets.
        "bonuses": ("bonuses",),
        # AML and harm monitoring over committed payments: alerts to the risk queue.
        "compliance": ("compliance",),
        # Segment membership kept from events and CRM campaigns: a campaign's burst of
        # e-mails and inbox messages never delays the transactional messages.
        "segments": ("segments",),
        # Player events to an outside CRM: a CRM that is slow or down backs off here and
        # never holds up segments, campaigns or receipts.
        "crm": ("crm",),
    }
)


class UnknownQueueGroup(ValueError):
    def __init__(self, group: str) -> None:
        super().__init__(f"unknown queue group {group!r}: one of {', '.join(QUEUE_GROUPS)}")


def queues_of(group: str) -> tuple[str, ...]:
    try:
        return QUEUE_GROUPS[group]
    except KeyError:
        raise UnknownQueueGroup(group) from None
