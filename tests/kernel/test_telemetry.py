"""The tracing switch's configuration and the context helpers, without a collector."""

from __future__ import annotations

import pytest
from opentelemetry import trace

from domain.kernel import telemetry
from domain.kernel.settings import ConfigurationError, load_settings
from tests.support import traced_spans


def test_tracing_is_off_without_an_endpoint_and_an_empty_variable_means_none(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("OTEL_EXPORTER_OTLP_ENDPOINT", raising=False)
    monkeypatch.setenv("STAKEHOUSE_OTLP_ENDPOINT", "")
    settings = load_settings()

    assert settings.otlp_endpoint is None
    assert telemetry.otlp_endpoint(settings) is None
    assert telemetry.configure_tracing(settings, service="api") is False


def test_the_standard_variable_is_read_when_ours_is_unset(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("STAKEHOUSE_OTLP_ENDPOINT", raising=False)
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4318")
    assert telemetry.otlp_endpoint(load_settings()) == "http://collector:4318"
    monkeypatch.setenv("STAKEHOUSE_OTLP_ENDPOINT", "https://ours:4318")
    assert telemetry.otlp_endpoint(load_settings()) == "https://ours:4318"


def test_an_endpoint_that_is_not_a_url_stops_the_process(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STAKEHOUSE_OTLP_ENDPOINT", "collector:4318")
    with pytest.raises(ConfigurationError, match="STAKEHOUSE_OTLP_ENDPOINT"):
        load_settings()


def test_off_nothing_is_carried_but_the_log_context() -> None:
    telemetry.disable_tracing()
    assert telemetry.current_traceparent() is None
    assert telemetry.carried_context() is None
    assert (
        telemetry.context_from({"traceparent": "00-" + "1" * 32 + "-" + "2" * 16 + "-01"}) is None
    )


def test_on_the_current_span_is_carried_and_a_stored_traceparent_links_back() -> None:
    exporter = traced_spans()
    try:
        with telemetry.tracer().start_as_current_span("request") as span:
            carried = telemetry.carried_context()
            traceparent = telemetry.current_traceparent()
        context = span.get_span_context()
        assert carried is not None and carried["traceparent"] == traceparent
        assert traceparent is not None
        assert traceparent.startswith(f"00-{context.trace_id:032x}-{context.span_id:016x}-")
        link = telemetry.link_to(traceparent)
        assert link is not None
        assert (link.context.trace_id, link.context.span_id) == (context.trace_id, context.span_id)
        assert telemetry.link_to("garbage") is None
        parent = telemetry.context_from(carried)
        assert parent is not None
        assert trace.get_current_span(parent).get_span_context().span_id == context.span_id
        assert [s.name for s in exporter.get_finished_spans()] == ["request"]
    finally:
        telemetry.disable_tracing()
