"""Per-actor Prometheus metrics, and the worker process's scrape endpoint.

Every broker carries `ActorMetrics`, so the figures exist wherever actors run (a worker
process, a test's in-process worker). A worker process serves them when
`STAKEHOUSE_WORKER_METRICS_PORT` is set (`stakehouse worker --metrics-port`, one process
per pod in Kubernetes); the same port answers the pod's liveness probe.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from typing import Any, Final

import dramatiq
from dramatiq.middleware import Middleware
from prometheus_client import Counter, Histogram, start_http_server

log = logging.getLogger(__name__)

METRICS_PORT_ENV: Final = "STAKEHOUSE_WORKER_METRICS_PORT"

ACTOR_DURATION: Final = Histogram(
    "stakehouse_actor_duration_seconds",
    "Time an actor took per message, failures included",
    ["queue", "actor"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60),
)
ACTOR_FAILURES: Final = Counter(
    "stakehouse_actor_failures",
    "Messages whose actor raised (each attempt counts; retried or dead-lettered after)",
    ["queue", "actor"],
)
ACTOR_RETRIES: Final = Counter(
    "stakehouse_actor_retries",
    "Messages enqueued again for a retry after a failure",
    ["queue", "actor"],
)


class ActorMetrics(Middleware):
    """Duration, failures and retries per actor. Start times live on the message's own
    options (a dict per delivery), so threads share no state."""

    _START: Final = "_stakehouse_started"

    def __init__(self) -> None:
        self._serving = False
        self._lock = threading.Lock()

    def after_worker_boot(self, broker: dramatiq.Broker, worker: Any) -> None:
        port = int(os.environ.get(METRICS_PORT_ENV) or 0)
        with self._lock:
            if port and not self._serving:
                start_http_server(port)
                self._serving = True
                log.info("worker metrics on :%d/metrics", port)

    def before_process_message(self, broker: dramatiq.Broker, message: Any) -> None:
        message.options[self._START] = time.perf_counter()

    def after_process_message(
        self,
        broker: dramatiq.Broker,
        message: Any,
        *,
        result: Any = None,
        exception: BaseException | None = None,
    ) -> None:
        labels = (message.queue_name, message.actor_name)
        started = message.options.pop(self._START, None)
        if started is not None:
            ACTOR_DURATION.labels(*labels).observe(time.perf_counter() - started)
        if exception is not None:
            ACTOR_FAILURES.labels(*labels).inc()

    after_skip_message = after_process_message

    def after_enqueue(self, broker: dramatiq.Broker, message: Any, delay: int | None) -> None:
        # The Retries middleware re-enqueues a failed message with its attempt count.
        if message.options.get("retries"):
            ACTOR_RETRIES.labels(message.queue_name, message.actor_name).inc()
