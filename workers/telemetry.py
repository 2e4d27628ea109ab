"""Trace and log context around every message an actor handles.

A message carries the context of the request that caused it (the outbox event's, put in
the message by the relay; or the sending actor's own, for a message an actor sends): the
W3C trace context and the request id, brand and player. The worker opens the actor's span
as a child of that trace and binds the ids to the log context, so the actor's log lines
and SQL spans belong to the request that caused them. At process boot the worker
installs the JSON log format and turns tracing on when an OTLP endpoint is configured.
"""

from __future__ import annotations

import logging
import threading
from typing import Any, Final

import dramatiq
from dramatiq.middleware import Middleware
from opentelemetry import context as otel_context
from opentelemetry import trace

from domain.kernel import telemetry
from domain.kernel.logs import JsonFormatter, TextFormatter, bind_log_context, reset_log_context
from domain.kernel.settings import get_settings

log = logging.getLogger(__name__)

# The message option that carries the context (a dict of strings, JSON in the broker).
CONTEXT_OPTION: Final = "stakehouse_context"


class MessageContext(Middleware):
    """Opens the actor's span and binds its log context for each message. Hooks of one
    message run on one worker thread, so the open scopes are kept per thread."""

    def __init__(self) -> None:
        self._local = threading.local()

    def after_process_boot(self, broker: dramatiq.Broker) -> None:
        # A `dramatiq` worker process: its own log lines as the API's are, and its spans.
        settings = get_settings()
        formatter = JsonFormatter() if settings.log_json else TextFormatter()
        for handler in logging.getLogger().handlers:
            handler.setFormatter(formatter)
        telemetry.configure_tracing(settings, service="worker")

    def before_enqueue(self, broker: dramatiq.Broker, message: Any, delay: int | None) -> None:
        # A message sent while handling another (a settlement's next lane, a retry) keeps
        # the context it has, else takes the sender's.
        if CONTEXT_OPTION not in message.options:
            carried = telemetry.carried_context()
            if carried:
                message.options[CONTEXT_OPTION] = carried

    def before_process_message(self, broker: dramatiq.Broker, message: Any) -> None:
        carried: dict[str, str] = message.options.get(CONTEXT_OPTION) or {}
        log_token = bind_log_context(
            request_id=carried.get("request_id"),
            brand=carried.get("brand"),
            player=carried.get("player"),
            message_id=message.message_id,
            actor=message.actor_name,
        )
        attach_token = None
        span = None
        if telemetry.tracing_enabled():
            parent = telemetry.context_from(carried)
            span = telemetry.tracer().start_span(
                f"{message.actor_name} process",
                context=parent,
                kind=trace.SpanKind.CONSUMER,
                attributes={
                    "messaging.system": "dramatiq",
                    "messaging.operation.type": "process",
                    "messaging.destination.name": message.queue_name,
                    "messaging.message.id": message.message_id,
                    "dramatiq.actor": message.actor_name,
                    "dramatiq.retries": int(message.options.get("retries") or 0),
                },
            )
            attach_token = otel_context.attach(trace.set_span_in_context(span, parent))
        self._scopes().append((log_token, attach_token, span))

    def after_process_message(
        self,
        broker: dramatiq.Broker,
        message: Any,
        *,
        result: Any = None,
        exception: BaseException | None = None,
    ) -> None:
        scopes = self._scopes()
        if not scopes:
            return
        log_token, attach_token, span = scopes.pop()
        # Still inside the message's log context: the line carries its request id.
        log.debug(
            "message %s of %s %s",
            message.message_id,
            message.actor_name,
            "failed" if exception is not None else "done",
        )
        if span is not None:
            if exception is not None:
                span.record_exception(exception)
                span.set_status(trace.Status(trace.StatusCode.ERROR, type(exception).__name__))
            span.end()
        if attach_token is not None:
            otel_context.detach(attach_token)
        reset_log_context(log_token)

    after_skip_message = after_process_message

    def _scopes(self) -> list[tuple[Any, Any, Any]]:
        scopes: list[tuple[Any, Any, Any]] | None = getattr(self._local, "scopes", None)
        if scopes is None:
            scopes = self._local.scopes = []
        return scopes
