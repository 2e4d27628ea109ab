"""One WARNING line, without a traceback, for a message that failed and will be retried.

Dramatiq logs every failure of a message at ERROR with its traceback, then "Retrying
message ..." at INFO, although a retry is the normal path for a transient error (a
correction waiting for another, a PSP that is away): the console fills with tracebacks
that need nobody. A failure that will not be retried (the last attempt) keeps Dramatiq's
ERROR and traceback, since that one needs a person."""

from __future__ import annotations

import logging
from typing import Any

import dramatiq

_UNHANDLED = "Failed to process message %s with unhandled exception."
_RETRYING = "Retrying message %r in %d milliseconds."
WORKER_LOGGER = "dramatiq.worker.WorkerThread"
RETRIES_LOGGER = "dramatiq.middleware.retries.Retries"


class RetriedFailures(logging.Filter):
    def __init__(self, broker: dramatiq.Broker, default_retries_max: int) -> None:
        super().__init__()
        self.broker = broker
        self.default_retries_max = default_retries_max

    def filter(self, record: logging.LogRecord) -> bool:
        if record.msg == _RETRYING:
            # Said once already, by the WARNING line below.
            return logging.getLogger(record.name).isEnabledFor(logging.DEBUG)
        if record.msg != _UNHANDLED or not record.exc_info or not record.args:
            return True
        message: Any = record.args[0] if isinstance(record.args, tuple) else None
        error = record.exc_info[1]
        if message is None or error is None or not self._will_retry(message):
            return True
        record.levelno, record.levelname = logging.WARNING, "WARNING"
        record.msg = "Message %s failed with %s: %s; it will be retried."
        record.args = (message, type(error).__name__, error)
        record.exc_info, record.exc_text = None, None
        return True

    def _will_retry(self, message: Any) -> bool:
        """Dramatiq's Retries rule: retried while the attempts so far are under the cap."""
        try:
            actor = self.broker.get_actor(message.actor_name)
        except dramatiq.errors.ActorNotFound:
            return False
        retries_max = message.options.get(
            "max_retries", actor.options.get("max_retries", self.default_retries_max)
        )
        return int(message.options.get("retries", 0)) < int(retries_max)


def quieten_retries(broker: dramatiq.Broker, default_retries_max: int) -> None:
    retried = RetriedFailures(broker, default_retries_max)
    for name in (WORKER_LOGGER, RETRIES_LOGGER):
        logger = logging.getLogger(name)
        for existing in [f for f in logger.filters if isinstance(f, RetriedFailures)]:
            logger.removeFilter(existing)
        logger.addFilter(retried)
