"""The broker's queues as an operator sees them: how deep each is, how long its oldest
message has waited, and its dead letters — listed, shown, replayed or dropped.

Dramatiq's Redis broker keeps queue `q` as the list `stakehouse:q` of message ids (oldest
first) with the messages in the hash `stakehouse:q.msgs`; a dead-lettered message moves to
the sorted set `stakehouse:q.XQ` (scored by when it died) and the hash `stakehouse:q.XQ.msgs`,
and the broker forgets it after a week. RabbitMQ reports counts only (`q`, `q.DQ`, `q.XQ`):
there, read and move dead letters with its management tools.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Final, cast

import dramatiq
from dramatiq.brokers.redis import DEFAULT_DEAD_MESSAGE_TTL, RedisBroker
from dramatiq.common import q_name
from prometheus_client import Gauge

from domain.kernel import audit
from domain.kernel.db import Database

QUEUE_DEPTH: Final = Gauge(
    "stakehouse_queue_depth", "Messages waiting in a broker queue (delayed ones apart)", ["queue"]
)
QUEUE_OLDEST_AGE: Final = Gauge(
    "stakehouse_queue_oldest_age_seconds",
    "Seconds the oldest waiting message of a queue has waited since it was enqueued",
    ["queue"],
)
DEAD_LETTERS: Final = Gauge(
    "stakehouse_dead_letters",
    "Dead-lettered messages kept by the broker per queue (alert when above 0)",
    ["queue"],
)


class DeadLettersUnsupported(RuntimeError):
    def __init__(self) -> None:
        super().__init__(
            "dead letters can be read and moved on the Redis broker only; on RabbitMQ use its "
            "management tools on the queue <queue>.XQ"
        )


class DeadLetterNotFound(LookupError):
    def __init__(self, queue: str, message_id: str) -> None:
        super().__init__(f"no dead letter {message_id} in queue {queue}")


@dataclass(frozen=True)
class QueueState:
    queue: str
    depth: int
    oldest_age_s: float | None
    dead: int


@dataclass(frozen=True)
class DeadLetter:
    queue: str
    # The broker's key for this delivery (each enqueue gets its own), which the commands
    # take; the message's own id stays the same across retries.
    key: str
    message: dramatiq.Message[Any]
    dead_at_ms: int

    reason: str


# Why each message died, kept beside it for as long as the broker keeps the dead letter.
REASON_TTL_S: Final = DEFAULT_DEAD_MESSAGE_TTL // 1000
REASON_LENGTH_MAX: Final = 500


def _key(broker: RedisBroker, *parts: str) -> str:
    return ":".join((broker.namespace, "".join(parts)))


def _reason_key(broker: RedisBroker, key: str) -> str:
    return _key(broker, "__dead_reasons__.", key)


def remember_reason(broker: dramatiq.Broker, message: Any, reason: str) -> None:
    """Keep why `message` was dead-lettered (the broker keeps only the message itself)."""
    key = message.options.get("redis_message_id")
    if isinstance(broker, RedisBroker) and key:
        broker.client.set(_reason_key(broker, key), reason[:REASON_LENGTH_MAX], ex=REASON_TTL_S)


def queue_states(broker: dramatiq.Broker, queues: Iterable[str]) -> list[QueueState]:
    """Each queue's depth, oldest wait and dead letters, and the gauges set from them."""
    states = [_state(broker, queue) for queue in sorted(queues)]
    for state in states:
        QUEUE_DEPTH.labels(queue=state.queue).set(state.depth)
        QUEUE_OLDEST_AGE.labels(queue=state.queue).set(state.oldest_age_s or 0.0)
        DEAD_LETTERS.labels(queue=state.queue).set(state.dead)
    return states


class BrokerDeadLetters:
    """The domain's DeadLetterCount port over the broker (injected into the app)."""

    def __init__(self, broker: dramatiq.Broker) -> None:
        self.broker = broker

    async def count(self) -> int:
        declared = self.broker.get_declared_queues()
        states = await asyncio.to_thread(queue_states, self.broker, declared)
        return sum(state.dead for state in states)


def _state(broker: dramatiq.Broker, queue: str) -> QueueState:
    if isinstance(broker, RedisBroker):
        client = broker.client
        with client.pipeline(transaction=False) as pipe:
            pipe.llen(_key(broker, queue))
            pipe.lindex(_key(broker, queue), 0)
            pipe.zcard(_key(broker, queue, ".XQ"))
            depth, oldest_id, dead = pipe.execute()
        age = None
        if oldest_id is not None:
            data = client.hget(_key(broker, queue, ".msgs"), oldest_id)
            if data is not None:
                enqueued_ms = _message(data).message_timestamp
                age = max(time.time() - enqueued_ms / 1000, 0.0)
        return QueueState(queue, int(depth), age, int(dead))
    counts = getattr(broker, "get_queue_message_counts", None)
    if counts is None:
        return QueueState(queue, 0, None, 0)
    depth, _delayed, dead = counts(queue)
    return QueueState(queue, int(depth), None, int(dead))


def _redis(broker: dramatiq.Broker) -> RedisBroker:
    if not isinstance(broker, RedisBroker):
        raise DeadLettersUnsupported
    return broker


def dead_letters(broker: dramatiq.Broker, queue: str, *, limit: int = 100) -> list[DeadLetter]:
    """The queue's dead letters, most recent first."""
    redis_broker = _redis(broker)
    client = redis_broker.client
    scored = cast(
        "list[tuple[bytes, float]]",
        client.zrevrange(_key(redis_broker, queue, ".XQ"), 0, limit - 1, withscores=True),
    )
    if not scored:
        return []
    keys = [_text(key) for key, _score in scored]
    datas = client.hmget(_key(redis_broker, queue, ".XQ.msgs"), keys)
    reasons = client.mget([_reason_key(redis_broker, key) for key in keys])
    return [
        DeadLetter(queue, key, _message(data), int(score), _text(reason or b"unknown"))
        for key, (_key_bytes, score), data, reason in zip(keys, scored, datas, reasons, strict=True)
        if data is not None
    ]


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


def _message(data: Any) -> dramatiq.Message[Any]:
    return dramatiq.Message.decode(bytes(data))


def dead_letter(broker: dramatiq.Broker, queue: str, key: str) -> DeadLetter:
    redis_broker = _redis(broker)
    client = redis_broker.client
    score = client.zscore(_key(redis_broker, queue, ".XQ"), key)
    data = client.hget(_key(redis_broker, queue, ".XQ.msgs"), key)
    if score is None or data is None:
        raise DeadLetterNotFound(queue, key)
    reason = client.get(_reason_key(redis_broker, key))
    return DeadLetter(queue, key, _message(data), int(score), _text(reason or b"unknown"))


def replay(broker: dramatiq.Broker, letter: DeadLetter) -> dramatiq.Message[Any]:
    """Enqueue the message again with a fresh retry budget, then forget the dead letter.
    Enqueued first: a crash in between delivers it twice, which idempotent actors absorb,
    rather than losing it."""
    options = {
        name: value
        for name, value in letter.message.options.items()
        if name not in ("retries", "traceback", "redis_message_id", "eta")
    }
    # Message.copy merges options, so the message is rebuilt without the spent ones.
    fresh: dramatiq.Message[Any] = dramatiq.Message(
        **{**letter.message._asdict(), "queue_name": q_name(letter.queue), "options": options}
    )
    again = broker.enqueue(fresh)
    drop(broker, letter)
    return again


def drop(broker: dramatiq.Broker, letter: DeadLetter) -> None:
    redis_broker = _redis(broker)
    with redis_broker.client.pipeline() as pipe:
        pipe.zrem(_key(redis_broker, letter.queue, ".XQ"), letter.key)
        pipe.hdel(_key(redis_broker, letter.queue, ".XQ.msgs"), letter.key)
        pipe.delete(_reason_key(redis_broker, letter.key))
        pipe.execute()


async def record_operator_action(
    db: Database, *, action: str, letter: DeadLetter, operator: str, reason: str
) -> None:
    """The audit row of a replay or drop: who, why, and which message of which actor."""
    async with db.transaction() as uow:
        await audit.record(
            uow,
            actor_kind="operator",
            actor_id=operator,
            action=action,
            subject_type="dead_letter",
            subject_id=letter.key,
            brand=None,
            reason=audit.audit_reason(reason),
            before={
                "queue": letter.queue,
                "actor": letter.message.actor_name,
                "message_id": letter.message.message_id,
                "reason": letter.reason,
            },
        )
