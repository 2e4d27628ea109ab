"""An event's outbox payload: JSON-ready values (ids and times as strings at the top level,
nested dataclasses as objects), the same shape dataclasses.asdict gave, values not shared
with the event."""

from __future__ import annotations

import dataclasses
import json
import uuid
from datetime import UTC, datetime

from domain.kernel.outbox import Event


@dataclasses.dataclass(frozen=True)
class _Leg:
    outcome_id: int
    odds: str


@dataclasses.dataclass(frozen=True)
class _Placed(Event):
    topic = "test.placed"
    bet_id: int
    player_id: uuid.UUID
    at: datetime
    legs: list[_Leg]
    tags: tuple[str, ...]
    extra: dict[str, list[int]]


def test_the_payload_is_json_ready_and_shaped_as_asdict_made_it() -> None:
    player = uuid.uuid4()
    at = datetime(2026, 11, 24, 12, 30, tzinfo=UTC)
    event = _Placed(7, player, at, [_Leg(1, "2.50"), _Leg(2, "3.00")], ("live",), {"ids": [1, 2]})

    payload = event.payload()

    assert payload == {
        "bet_id": 7,
        "player_id": str(player),
        "at": "2026-11-24T12:30:00+00:00",
        "legs": [{"outcome_id": 1, "odds": "2.50"}, {"outcome_id": 2, "odds": "3.00"}],
        "tags": ("live",),
        "extra": {"ids": [1, 2]},
    }
    assert json.loads(json.dumps(payload))["legs"][1] == {"outcome_id": 2, "odds": "3.00"}
    payload["extra"]["ids"].append(3)
    assert event.extra == {"ids": [1, 2]}  # the payload is a copy
