"""The built-in test feed producer: a provider's side of POST /feed/v1/messages (web/feed.py).

It numbers what it sends (producer_sequence 1, 2, 3, …), keeps every numbered message so it
can re-send from any point, signs each request with its secret, and recovers as a real
provider must: on a SEQUENCE_GAP answer it asks `/feed/v1/recovery` where to resume,
re-sends from there and ends with `snapshot_complete`. To exercise the platform it can
misbehave on purpose (`Faults`): drop messages (never sent), send some twice, or hold some
back and send them after the rest. Used by the tests and by `stakehouse feed replay`.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import httpx

from domain.integrations.feed import signed_headers
from domain.kernel import clock
from domain.sportsbook.feed.port import (
    Alive,
    FeedMessage,
    MessageKind,
    SnapshotComplete,
    to_wire,
)
from web.feed import MESSAGES_PATH, RECOVERY_PATH

REQUEST_TIMEOUT_S = 10.0
# Recoveries in a row before the producer gives up (a platform that keeps losing data).
RECOVERIES_MAX = 5


@dataclass(frozen=True)
class Faults:
    """Producer sequences to drop (never sent), to send twice, or to send after the rest."""

    drop: frozenset[int] = frozenset()
    duplicate: frozenset[int] = frozenset()
    delay: frozenset[int] = frozenset()


@dataclass
class TestFeedProducer:
    base_url: str
    producer: str
    secret: bytes
    batch_size: int = 20
    # Every numbered message, producer_sequence - 1 as index.
    sent: list[dict[str, Any]] = field(default_factory=list)
    responses: list[httpx.Response] = field(default_factory=list)

    __test__ = False  # not a pytest class, whatever its name

    def number(self, message: FeedMessage) -> dict[str, Any]:
        """The wire form of `message`, numbered unless it is an alive."""
        wire = to_wire(message)
        if not isinstance(message, Alive):
            wire["producer_sequence"] = len(self.sent) + 1
            self.sent.append(wire)
        return wire

    async def post(
        self,
        body: bytes,
        *,
        path: str = MESSAGES_PATH,
        signed_at: datetime | None = None,
        secret: bytes | None = None,
    ) -> httpx.Response:
        """One signed request (`signed_at` and `secret` let a test forge or age it)."""
        headers = signed_headers(
            self.producer, secret or self.secret, body, now=signed_at or clock.now()
        )
        headers["content-type"] = "application/json"
        async with httpx.AsyncClient(base_url=self.base_url, timeout=REQUEST_TIMEOUT_S) as client:
            response = await client.post(path, content=body, headers=headers)
        self.responses.append(response)
        return response

    async def post_messages(self, wires: Sequence[dict[str, Any]]) -> httpx.Response:
        return await self.post(json.dumps({"messages": list(wires)}).encode())

    async def send(self, messages: Sequence[FeedMessage], faults: Faults = Faults()) -> None:
        """Number and deliver `messages` in batches, misbehaving as `faults` says, and
        recover whenever the platform reports a gap."""
        wires = [self.number(message) for message in messages]
        due: list[dict[str, Any]] = []
        held: list[dict[str, Any]] = []
        for wire in wires:
            sequence = wire.get("producer_sequence")
            if sequence in faults.drop:
                continue
            if sequence in faults.delay:
                held.append(wire)
                continue
            due.append(wire)
            if sequence in faults.duplicate:
                due.append(wire)
        await self._deliver(due + held)

    async def send_wires(self, wires: Sequence[dict[str, Any]]) -> None:
        """Deliver wire messages as they are (a replay file), as this producer; those
        without a producer_sequence are numbered in order."""
        numbered = []
        for raw in wires:
            wire = dict(raw, producer=self.producer)
            if wire["kind"] != MessageKind.ALIVE:
                wire.setdefault("producer_sequence", len(self.sent) + 1)
                self.sent.append(wire)
            numbered.append(wire)
        await self._deliver(numbered)

    async def _deliver(self, wires: list[dict[str, Any]]) -> None:
        for start in range(0, len(wires), self.batch_size):
            response = await self.post_messages(wires[start : start + self.batch_size])
            if response.status_code == httpx.codes.CONFLICT:
                await self.recover()
            elif response.status_code != httpx.codes.OK:
                raise RuntimeError(f"feed refused a batch: {response.status_code} {response.text}")

    async def recover(self) -> None:
        """Ask where to resume, re-send from there, end with snapshot_complete."""
        for _ in range(RECOVERIES_MAX):
            point = await self.post(b"{}", path=RECOVERY_PATH)
            point.raise_for_status()
            resend_from = int(point.json()["resend_from"])
            self.number(
                SnapshotComplete(
                    producer=self.producer, message_id=f"snapshot:{uuid.uuid4()}",
                    sent_at=clock.now(),
                )
            )  # fmt: skip
            replay = self.sent[resend_from - 1 :]
            gaps = False
            for start in range(0, len(replay), self.batch_size):
                response = await self.post_messages(replay[start : start + self.batch_size])
                if response.status_code == httpx.codes.CONFLICT:
                    gaps = True
                    break
                response.raise_for_status()
            if not gaps:
                return
        raise RuntimeError(f"producer {self.producer}: recovery did not complete")


class HttpFeedSink:
    """A FeedSink that posts over HTTP, one test producer per producer name: the simulator
    (`stakehouse feed-simulator --url`) driving a platform as an outside provider would."""

    def __init__(self, base_url: str, secrets: Callable[[str], bytes | None]) -> None:
        self._base_url = base_url
        self._secrets = secrets
        self._producers: dict[str, TestFeedProducer] = {}

    async def deliver(self, message: FeedMessage) -> None:
        producer = self._producers.get(message.producer)
        if producer is None:
            secret = self._secrets(message.producer)
            if secret is None:
                raise RuntimeError(f"no signing secret for producer {message.producer}")
            producer = TestFeedProducer(self._base_url, message.producer, secret)
            self._producers[message.producer] = producer
        await producer.send([message])
        # A long run keeps only what a recovery may still need: the platform's answers.
        producer.responses.clear()


def read_replay_file(text: str) -> list[dict[str, Any]]:
    """A replay file: one wire message per line (JSON Lines), or one JSON document that is
    a message, a list of messages or a batch {"messages": [...]}; kinds checked here only
    as far as telling alive apart (the platform validates the rest)."""
    stripped = text.strip()
    if not stripped:
        return []
    try:
        document = json.loads(stripped)
    except json.JSONDecodeError:
        document = [json.loads(line) for line in stripped.splitlines() if line.strip()]
    if isinstance(document, dict) and "messages" in document:
        document = document["messages"]
    messages = document if isinstance(document, list) else [document]
    for message in messages:
        if not isinstance(message, dict) or message.get("kind") not in set(MessageKind):
            raise ValueError("every line must be a feed message with a known `kind`")
    return messages
