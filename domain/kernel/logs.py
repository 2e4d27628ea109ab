"""The log context and the log line formats, shared by every process (API, workers,
relay, scheduler): one JSON object per line carrying the request id, brand and player of
the request that wrote it.

The context lives in a contextvar, so every log line written while a request (or an
actor's message) is handled carries it without passing it around. An outbox event keeps
the context of the request that emitted it (domain/kernel/telemetry.py) and the worker
binds it again around the actor, so the actor's lines carry the same request id.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from contextvars import ContextVar, Token
from datetime import UTC, datetime
from types import MappingProxyType
from typing import Any

# Fields a log line may carry from the request context, in the order they are printed.
CONTEXT_FIELDS = ("request_id", "brand", "player")

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


def current_log_context() -> Mapping[str, str]:
    """The fields bound in the current context (empty outside a request or message)."""
    return _log_context.get()


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
