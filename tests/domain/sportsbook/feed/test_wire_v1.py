"""Version 1 of the feed's HTTP format: the README's example is valid, the schema itself is
a valid JSON Schema, and what the port writes (`to_wire`) the schema accepts."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from domain.sportsbook.feed import wire_v1
from domain.sportsbook.feed.port import (
    Alive,
    BetSettlement,
    MarketOdds,
    MarketResult,
    OddsChange,
    OutcomeOdds,
    OutcomeResult,
    to_wire,
)

README = Path(__file__).resolve().parents[4] / "README.md"
SENT_AT = datetime(2026, 12, 7, 18, 0, tzinfo=UTC)


def test_the_schema_is_a_valid_draft_2020_12_schema() -> None:
    Draft202012Validator.check_schema(wire_v1.schema())


def test_the_readme_batch_example_decodes() -> None:
    text = README.read_text(encoding="utf-8")
    section = text[text.index("## Odds feed over HTTP") :]
    example = re.search(r"```json\n(\{\"messages\".*?)```", section, re.DOTALL)
    assert example is not None

    decoded = wire_v1.decode_body(example.group(1).encode(), "acme-live")

    assert [n.producer_sequence for n in decoded] == [1041, 1042, None]
    assert [n.message.kind.value for n in decoded] == ["odds_change", "bet_settlement", "alive"]


def test_what_the_port_writes_the_schema_accepts_once_numbered() -> None:
    messages = [
        OddsChange(
            producer="p", message_id="1", event_ref="e", sequence=1, sent_at=SENT_AT,
            markets=(MarketOdds("m", "M", "active", (OutcomeOdds("a", "A", Decimal("2.5")),)),),
            score={"home": 0, "away": 0},
        ),
        BetSettlement(
            producer="p", message_id="2", event_ref="e", sequence=2, sent_at=SENT_AT,
            markets=(MarketResult("m", (OutcomeResult("a", 1, Decimal("0.5")),)),),
        ),
    ]  # fmt: skip
    wires = [dict(to_wire(m), producer_sequence=n) for n, m in enumerate(messages, 1)]
    wires.append(to_wire(Alive(producer="p", message_id="3", sent_at=SENT_AT)))

    decoded = wire_v1.decode_body(json.dumps({"messages": wires}).encode(), "p")

    assert [n.message for n in decoded] == [
        *messages,
        Alive(producer="p", message_id="3", sent_at=SENT_AT),
    ]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"sent_at": "2026-12-07T18:00:00"}, "messages/0/sent_at"),
        ({"producer_sequence": 0}, "messages/0/producer_sequence"),
        ({"unknown": 1}, "messages/0"),
    ],
)
def test_a_bad_message_is_refused_naming_the_field(change: dict[str, object], field: str) -> None:
    wire = dict(
        to_wire(
            OddsChange(producer="p", message_id="1", event_ref="e", sequence=1, sent_at=SENT_AT)
        ),
        producer_sequence=1,
    )
    wire.update(change)

    with pytest.raises(wire_v1.MalformedFeedMessage) as refused:
        wire_v1.decode_body(json.dumps(wire).encode(), "p")

    assert refused.value.field == field
    assert refused.value.index == 0


def test_a_body_nested_too_deeply_or_not_json_is_refused() -> None:
    for body in (b"[" * 5000 + b"]" * 5000, b"not json", b'{"messages": []}'):
        with pytest.raises(wire_v1.MalformedFeedMessage):
            wire_v1.decode_body(body, "p")
