"""Traces: the one switch, the context an outbox event carries, SQL statement spans, and
the connection pool's use.

Tracing is off unless an OTLP endpoint is configured (`configure_tracing`); off, every
helper here returns at its first check, so a request pays an attribute read and nothing
else. On, the request's trace context (and its request id, brand and player from the log
context) is stored with each outbox event it emits (`carried_context`), the relay puts it
in the Dramatiq message and the worker opens the actor's span as its child
(workers/telemetry.py); a placed bet keeps its `traceparent`, so the settlement that pays
it links back to the placing request.

Only the OpenTelemetry API is imported at module level (a no-op facade, made for
libraries); the SDK and the exporter load when tracing is turned on.
"""

from __future__ import annotations

import logging
import os
import weakref
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Final

from opentelemetry import propagate, trace
from opentelemetry.context import Context
from prometheus_client import Gauge
from sqlalchemy import event
from sqlalchemy.engine import Engine

from domain.kernel.logs import CONTEXT_FIELDS, current_log_context

if TYPE_CHECKING:
    from opentelemetry.sdk.trace import TracerProvider
    from sqlalchemy.ext.asyncio import AsyncEngine

    from domain.kernel.settings import Settings

log = logging.getLogger(__name__)

TRACER_NAME: Final = "stakehouse"
STANDARD_ENDPOINT_ENV: Final = "OTEL_EXPORTER_OTLP_ENDPOINT"
TRACES_PATH: Final = "/v1/traces"
# A statement's text on its span is cut here: enough to recognise it, never a page of
# parameters (values are bound, never in the text).
STATEMENT_TEXT_MAX: Final = 2_000


class _Switch:
    enabled = False
    sql_listening = False
    httpx_instrumented = False


_switch = _Switch()


def tracing_enabled() -> bool:
    return _switch.enabled


def tracer() -> trace.Tracer:
    return trace.get_tracer(TRACER_NAME)


def current_traceparent() -> str | None:
    """The W3C `traceparent` of the current span when tracing is on and it is sampled."""
    if not _switch.enabled:
        return None
    context = trace.get_current_span().get_span_context()
    if not (context.is_valid and context.trace_flags.sampled):
        return None
    return f"00-{context.trace_id:032x}-{context.span_id:016x}-{int(context.trace_flags):02x}"


def carried_context() -> dict[str, str] | None:
    """What an outbox event (or a message sent from an actor) carries to its consumer: the
    trace context when tracing is on, and the log context's request id, brand and player.
    None when there is nothing (a scheduler job with tracing off)."""
    carrier: dict[str, str] = {}
    if _switch.enabled:
        propagate.inject(carrier)
    fields = current_log_context()
    if fields:
        carrier.update({name: fields[name] for name in CONTEXT_FIELDS if name in fields})
    return carrier or None


def context_from(carried: Mapping[str, str] | None) -> Context | None:
    """The trace context a message carried (None when tracing is off or it carried none)."""
    if not _switch.enabled or not carried:
        return None
    return propagate.extract(dict(carried))


def publish_span(topic: str, event_id: int, carried: Mapping[str, str] | None) -> Any:
    """The relay's span for handing one outbox event to the broker, a child of the
    request that emitted it (None when tracing is off or the event carries no trace)."""
    parent = context_from(carried)
    if parent is None or not trace.get_current_span(parent).get_span_context().is_valid:
        return None
    return tracer().start_span(
        f"{topic} publish",
        context=parent,
        kind=trace.SpanKind.PRODUCER,
        attributes={
            "messaging.system": "dramatiq",
            "messaging.operation.type": "send",
            "stakehouse.outbox_event_id": event_id,
        },
    )


def with_span(carried: Mapping[str, str] | None, span: Any) -> dict[str, str] | None:
    """`carried` with its trace context replaced by `span`'s (as is, without a span)."""
    if span is None:
        return dict(carried) if carried else None
    replaced = dict(carried or {})
    propagate.inject(replaced, context=trace.set_span_in_context(span))
    return replaced


def link_to(traceparent: str) -> trace.Link | None:
    """A span link to the span a stored `traceparent` names (None if it is malformed)."""
    span_context = trace.get_current_span(
        propagate.extract({"traceparent": traceparent})
    ).get_span_context()
    return trace.Link(span_context) if span_context.is_valid else None


# ---- switching on -------------------------------------------------------------------------


def otlp_endpoint(settings: Settings) -> str | None:
    """Where traces go: STAKEHOUSE_OTLP_ENDPOINT, else OTEL_EXPORTER_OTLP_ENDPOINT."""
    return settings.otlp_endpoint or os.environ.get(STANDARD_ENDPOINT_ENV) or None


def configure_tracing(settings: Settings, *, service: str) -> bool:
    """Export traces over OTLP/HTTP when an endpoint is configured; returns whether it is
    on. `service` names the process kind (api, worker, relay, scheduler) in every span."""
    endpoint = otlp_endpoint(settings)
    if endpoint is None:
        return False
    if _switch.enabled:
        # Once per process: a second app in the same process shares the first's exporter.
        return True
    # Loaded only when tracing is on: the SDK and exporter cost import time and memory.
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import (  # noqa: PLC0415
        OTLPSpanExporter,
    )
    from opentelemetry.sdk.resources import Resource  # noqa: PLC0415
    from opentelemetry.sdk.trace import TracerProvider  # noqa: PLC0415
    from opentelemetry.sdk.trace.export import BatchSpanProcessor  # noqa: PLC0415

    url = endpoint.rstrip("/")
    if not url.endswith(TRACES_PATH):
        url += TRACES_PATH
    provider = TracerProvider(resource=Resource.create({"service.name": f"stakehouse-{service}"}))
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(endpoint=url)))
    enable_tracing(provider)
    log.info("tracing on: spans go to %s", url)
    return True


def enable_tracing(provider: TracerProvider | None) -> None:
    """Make `provider` the global one (the first time; None keeps the one set) and turn
    every span on: SQL statements, outbound HTTP (httpx), and the spans the app, schema
    and workers open."""
    if provider is not None and not _is_sdk_provider(trace.get_tracer_provider()):
        trace.set_tracer_provider(provider)
    if not _switch.sql_listening:
        event.listen(Engine, "before_cursor_execute", _statement_started)
        event.listen(Engine, "after_cursor_execute", _statement_ended)
        event.listen(Engine, "handle_error", _statement_failed)
        _switch.sql_listening = True
    if not _switch.httpx_instrumented:
        from opentelemetry.instrumentation.httpx import (  # noqa: PLC0415
            HTTPXClientInstrumentor,
        )

        HTTPXClientInstrumentor().instrument()
        _switch.httpx_instrumented = True
    _switch.enabled = True


def disable_tracing() -> None:
    """Stop opening spans (the SQL listeners stay, returning at their first check; the
    httpx transports are restored)."""
    _switch.enabled = False
    if _switch.httpx_instrumented:
        from opentelemetry.instrumentation.httpx import (  # noqa: PLC0415
            HTTPXClientInstrumentor,
        )

        HTTPXClientInstrumentor().uninstrument()
        _switch.httpx_instrumented = False


def _is_sdk_provider(provider: object) -> bool:
    return type(provider).__module__.startswith("opentelemetry.sdk")


# ---- SQL statements -----------------------------------------------------------------------
#
# SQLAlchemy's cursor events fire for every statement of every engine (the async engine
# runs them in a greenlet that shares the caller's contextvars), so the statement's span is
# a child of whatever span is current: the GraphQL operation, the actor.

_SPAN_KEY: Final = "_stakehouse_span"


def _statement_started(
    _connection: Any, _cursor: Any, statement: str, _parameters: Any, context: Any, _many: bool
) -> None:
    if not _switch.enabled or context is None:
        return
    # Only inside a traced request or message: a relay's sweep or a scheduler job would
    # otherwise start a trace of its own for every statement.
    if not trace.get_current_span().get_span_context().is_valid:
        return
    operation = statement.lstrip().split(None, 1)[0].upper() if statement.strip() else "SQL"
    span = tracer().start_span(
        f"{operation} postgresql",
        kind=trace.SpanKind.CLIENT,
        attributes={
            "db.system.name": "postgresql",
            "db.operation.name": operation,
            "db.query.text": statement[:STATEMENT_TEXT_MAX],
        },
    )
    setattr(context, _SPAN_KEY, span)


def _statement_ended(
    _connection: Any, _cursor: Any, _statement: str, _parameters: Any, context: Any, _many: bool
) -> None:
    span = getattr(context, _SPAN_KEY, None)
    if span is not None:
        delattr(context, _SPAN_KEY)
        span.end()


def _statement_failed(exception_context: Any) -> None:
    context = exception_context.execution_context
    span = getattr(context, _SPAN_KEY, None) if context is not None else None
    if span is not None:
        delattr(context, _SPAN_KEY)
        span.record_exception(exception_context.original_exception)
        span.set_status(trace.Status(trace.StatusCode.ERROR))
        span.end()


# ---- the connection pool ------------------------------------------------------------------

_pools: weakref.WeakSet[AsyncEngine] = weakref.WeakSet()


def _checked_out() -> float:
    return float(sum(_pool_figure(engine, "checkedout") for engine in list(_pools)))


def _pool_size() -> float:
    return float(sum(_pool_figure(engine, "size") for engine in list(_pools)))


def _pool_figure(engine: AsyncEngine, name: str) -> int:
    figure = getattr(engine.sync_engine.pool, name, None)
    return int(figure()) if callable(figure) else 0


DB_POOL_CHECKED_OUT: Final = Gauge(
    "stakehouse_db_pool_checked_out",
    "Database connections this process has checked out of its pools (in use now)",
)
DB_POOL_CHECKED_OUT.set_function(_checked_out)
DB_POOL_SIZE: Final = Gauge(
    "stakehouse_db_pool_size",
    "Database connections this process's pools keep open (their configured size)",
)
DB_POOL_SIZE.set_function(_pool_size)


def watch_pool(engine: AsyncEngine) -> None:
    """Count `engine`'s pool in the gauges while the engine lives."""
    _pools.add(engine)
