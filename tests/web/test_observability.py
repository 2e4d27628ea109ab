"""Structured logs: every line written while a request is handled names it."""

from __future__ import annotations

import json
import logging

import pytest

from tests.support import Api
from web.observability import JsonFormatter


class _Capture(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.setFormatter(JsonFormatter())
        self.lines: list[dict[str, object]] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(json.loads(self.format(record)))


@pytest.fixture
def access_log() -> _Capture:
    capture = _Capture()
    logger = logging.getLogger("stakehouse.http")
    logger.addHandler(capture)
    previous = logger.level
    logger.setLevel(logging.INFO)
    yield capture
    logger.removeHandler(capture)
    logger.setLevel(previous)


async def test_access_lines_are_json_with_request_id_and_brand(
    aurora: Api, access_log: _Capture
) -> None:
    await aurora.post({"query": "{ brand { slug } }"}, headers={"x-request-id": "trace-abcdef01"})

    (line,) = [entry for entry in access_log.lines if entry.get("request_id") == "trace-abcdef01"]
    assert line["brand"] == "aurora"
    assert line["level"] in {"INFO", "info"}
    assert "POST /graphql 200" in str(line["message"])
