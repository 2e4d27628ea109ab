"""The port through which the API reads how many messages the broker has dead-lettered.

Dead letters live in the broker, which the domain and the API do not import: the worker
side provides the adapter (workers/queues.py `BrokerDeadLetters`) and the app injects it
at creation. An app without a broker gets none, and the figure reads as unknown.
"""

from __future__ import annotations

from typing import Protocol


class DeadLetterCount(Protocol):
    async def count(self) -> int:
        """Messages dead-lettered across every declared queue, now."""
        ...
