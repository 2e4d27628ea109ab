"""The built-in test CRM receiver: a small HTTP app that takes the platform's CRM events like
an outside CRM would, so the stream works end to end in dev and in tests. Never in
production.

It verifies every event's signature (DEV_CRM_SECRET unless given others), drops an event
whose `id` it already has (counting the duplicate) and keeps the rest in memory, per brand
in arrival order. It can be told to misbehave, per brand:

    POST /<brand>/control  {"fail": 2, "lose_acks": 1, "delay_ms": 200}
      fail       answer the next N events 503 without keeping them
      lose_acks  keep the next N events but answer 503 (the sender sends them again)
      delay_ms   wait this long before answering each event

    POST /<brand>/events   an event (signed)  -> 202 {"duplicate": false}
    GET  /<brand>/events   -> {"events": [...], "duplicates": n, "refused": n, "failed": n}

`stakehouse dev` runs it on a free local port and points every brand without a CRM of its
own at it (STAKEHOUSE_CRM_TEST_RECEIVER_URL).
"""

from __future__ import annotations

import asyncio
import json
import socket
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Final

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from domain.integrations.crm import CRM_SIGNATURE
from domain.integrations.psp import WEBHOOK_BODY_MAX_BYTES, InvalidWebhook
from domain.kernel import clock
from domain.kernel.settings import DEV_CRM_SECRET
from web.webhooks import read_capped

STARTUP_TIMEOUT_S: Final = 10.0
DELAY_MS_MAX: Final = 30_000


@dataclass
class BrandInbox:
    events: list[dict[str, Any]] = field(default_factory=list)
    seen: set[str] = field(default_factory=set)
    duplicates: int = 0
    refused: int = 0
    failed: int = 0
    fail_next: int = 0
    lose_acks_next: int = 0
    delay_ms: int = 0


@dataclass
class Receiver:
    secrets: Sequence[bytes] = (DEV_CRM_SECRET.encode(),)
    inboxes: dict[str, BrandInbox] = field(default_factory=dict)

    def inbox(self, brand: str) -> BrandInbox:
        return self.inboxes.setdefault(brand, BrandInbox())

    async def take(self, brand: str, headers: dict[str, str], body: bytes) -> Response:
        inbox = self.inbox(brand)
        if inbox.delay_ms:
            await asyncio.sleep(inbox.delay_ms / 1000)
        try:
            CRM_SIGNATURE.verify(self.secrets, headers, body, now=clock.now())
            event = json.loads(body)
            if not isinstance(event, dict) or not isinstance(event.get("id"), str):
                raise ValueError
        except (InvalidWebhook, ValueError):
            inbox.refused += 1
            return JSONResponse({"error": "INVALID_SIGNATURE"}, status_code=401)
        if inbox.fail_next:
            inbox.fail_next -= 1
            inbox.failed += 1
            return JSONResponse({"error": "UNAVAILABLE"}, status_code=503)
        duplicate = event["id"] in inbox.seen
        if duplicate:
            inbox.duplicates += 1
        else:
            inbox.seen.add(event["id"])
            inbox.events.append(event)
        if inbox.lose_acks_next:
            # Kept, but the answer is "lost": the sender tries again with the same id.
            inbox.lose_acks_next -= 1
            inbox.failed += 1
            return JSONResponse({"error": "UNAVAILABLE"}, status_code=503)
        return JSONResponse({"duplicate": duplicate}, status_code=202)


def _count(value: object) -> int:
    return max(0, min(int(value), 1_000)) if isinstance(value, int) else 0


def receiver_app(receiver: Receiver) -> Starlette:
    async def events(request: Request) -> Response:
        brand = request.path_params["brand"]
        if request.method == "GET":
            inbox = receiver.inbox(brand)
            return JSONResponse(
                {
                    "events": inbox.events, "duplicates": inbox.duplicates,
                    "refused": inbox.refused, "failed": inbox.failed,
                }
            )  # fmt: skip
        body = await read_capped(request, WEBHOOK_BODY_MAX_BYTES)
        if body is None:
            return Response(status_code=413)
        return await receiver.take(brand, dict(request.headers), body)

    async def control(request: Request) -> Response:
        inbox = receiver.inbox(request.path_params["brand"])
        try:
            asked = json.loads(await request.body())
        except ValueError:
            asked = None
        if not isinstance(asked, dict):
            return JSONResponse({"error": "expected a JSON object"}, status_code=400)
        inbox.fail_next = _count(asked.get("fail", 0))
        inbox.lose_acks_next = _count(asked.get("lose_acks", 0))
        delay = asked.get("delay_ms", 0)
        inbox.delay_ms = max(0, min(delay, DELAY_MS_MAX)) if isinstance(delay, int) else 0
        return JSONResponse({"ok": True})

    return Starlette(
        routes=[
            Route("/{brand}/events", events, methods=["GET", "POST"]),
            Route("/{brand}/control", control, methods=["POST"]),
        ]
    )


@dataclass
class RunningReceiver:
    url: str
    receiver: Receiver
    server: uvicorn.Server
    thread: threading.Thread

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=STARTUP_TIMEOUT_S)


def start(receiver: Receiver | None = None, *, host: str = "127.0.0.1") -> RunningReceiver:
    """Serve a receiver on a free local port in a thread of its own (its own event loop);
    returns once it answers."""
    receiver = receiver or Receiver()
    with socket.socket() as probe:
        probe.bind((host, 0))
        port = probe.getsockname()[1]
    config = uvicorn.Config(
        receiver_app(receiver), host=host, port=port, log_level="warning", lifespan="off"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="crm-test-receiver", daemon=True)
    thread.start()
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while not server.started and thread.is_alive() and time.monotonic() < deadline:
        time.sleep(0.01)
    if not server.started:
        raise RuntimeError("the test CRM receiver did not start")
    return RunningReceiver(f"http://{host}:{port}", receiver, server, thread)
