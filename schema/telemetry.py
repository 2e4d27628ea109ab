"""Per-operation figures and spans for GraphQL: a span per operation (when tracing is on)
named after the operation and its type, and Prometheus metrics by operation name and type:
duration and errors.

Label cardinality is bounded: an operation is labelled by its name only when the name is
known (the site's and back office's named documents register theirs, `know_operations`);
any other named or anonymous operation counts under OTHER_OPERATION. Only strawberry's
public extension API is used here (its private API lives in schema/extensions.py).
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator
from typing import Any, Final

from opentelemetry import context as otel_context
from opentelemetry import trace
from prometheus_client import Counter, Histogram
from strawberry.extensions import SchemaExtension

from domain.kernel import telemetry

OTHER_OPERATION: Final = "other"
UNKNOWN_TYPE: Final = "unknown"
SUBSCRIPTION: Final = "subscription"
# The known set is the platform's own documents (a few dozen); a cap in case a caller
# registers more than it should.
KNOWN_OPERATIONS_MAX: Final = 500

_known: set[str] = set()

OPERATION_DURATION: Final = Histogram(
    "stakehouse_graphql_operation_duration_seconds",
    "Time a GraphQL operation took from parse to result, by operation name and type",
    ["operation", "type"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0),
)
OPERATION_ERRORS: Final = Counter(
    "stakehouse_graphql_operation_errors",
    "GraphQL operations answered with errors (request errors, refusals, unexpected "
    "failures; not a mutation's typed errors), by operation name and type",
    ["operation", "type"],
)


def know_operations(names: Iterable[str]) -> None:
    """Label these operation names by name (the platform's own named documents)."""
    for name in names:
        if len(_known) >= KNOWN_OPERATIONS_MAX:
            return
        _known.add(name)


def operation_label(name: str | None) -> str:
    return name if name is not None and name in _known else OTHER_OPERATION


class OperationTelemetry(SchemaExtension):
    """Times each operation, counts the ones answered with errors, and (tracing on) wraps
    it in a span that the SQL statements it runs are children of."""

    def on_operation(self) -> Iterator[None]:
        started = time.perf_counter()
        span = None
        token = None
        if telemetry.tracing_enabled():
            span = telemetry.tracer().start_span("graphql operation", kind=trace.SpanKind.SERVER)
            token = otel_context.attach(trace.set_span_in_context(span))
        try:
            yield
        finally:
            context = self.execution_context
            name = context.operation_name
            kind = _operation_type(context)
            label = operation_label(name)
            errors = _has_errors(context)
            if kind != SUBSCRIPTION:
                # A subscription lives as long as its socket: its "duration" would bury
                # the operations' figures, so it is counted in errors only.
                OPERATION_DURATION.labels(label, kind).observe(time.perf_counter() - started)
            if errors:
                OPERATION_ERRORS.labels(label, kind).inc()
            if span is not None:
                span.update_name(f"{kind} {name or 'anonymous'}")
                span.set_attribute("graphql.operation.type", kind)
                span.set_attribute("graphql.operation.name", name or "")
                if errors:
                    span.set_status(trace.Status(trace.StatusCode.ERROR))
                span.end()
            if token is not None:
                otel_context.detach(token)


def _operation_type(context: Any) -> str:
    try:
        return str(context.operation_type.value)
    except Exception:
        return UNKNOWN_TYPE


def _has_errors(context: Any) -> bool:
    if context.pre_execution_errors:
        return True
    result = context.result
    return bool(getattr(result, "errors", None))
