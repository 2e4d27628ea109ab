"""The authenticated `sessionEvents` subscription over graphql-transport-ws, end to end:
mutation -> outbox row -> relay -> PostgreSQL NOTIFY -> hub -> WebSocket."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
import websockets
from websockets.exceptions import InvalidStatus

from tests.support import Api

SUBSCRIBE = "subscription { sessionEvents { kind sessionId reason current } }"
REVOKE_OTHERS = "mutation { revokeMySessions(input: {keepCurrent: true}) { revokedCount } }"
PROTOCOL = "graphql-transport-ws"


def _connect(server: str, host: str, **kwargs: Any) -> Any:
    """Connect to `ws://<brand host>:<port>/graphql`, routed to the loopback server (the
    system resolver does not know brand hosts; the Host header must name the brand)."""
    port = int(server.rsplit(":", 1)[1])
    return websockets.connect(
        f"ws://{host}:{port}/graphql",
        subprotocols=[PROTOCOL],
        host="127.0.0.1",
        port=port,
        **kwargs,
    )


async def _open(server: str, host: str, payload: dict[str, Any] | None, **kwargs: Any) -> Any:
    socket = await _connect(server, host, **kwargs)
    await socket.send(json.dumps({"type": "connection_init", "payload": payload or {}}))
    assert json.loads(await socket.recv())["type"] == "connection_ack"
    await socket.send(json.dumps({"id": "1", "type": "subscribe", "payload": {"query": SUBSCRIBE}}))
    return socket


async def _next(socket: Any, timeout_s: float) -> dict[str, Any] | None:
    try:
        return dict(json.loads(await asyncio.wait_for(socket.recv(), timeout_s)))
    except TimeoutError:
        return None


async def test_revocations_reach_the_subscriber_and_end_its_stream(
    aurora: Api, server: str
) -> None:
    await aurora.register(email="uma@example.com")
    watcher = Api(server, aurora.host)
    await watcher.login("uma@example.com")
    socket = await _open(server, aurora.host, {"authorization": f"Bearer {watcher.token}"})

    # The subscription becomes live asynchronously: revoke throwaway sessions until one
    # event arrives (bounded), which proves delivery without sleeping on a guess.
    first = None
    for _ in range(20):
        await aurora.login("uma@example.com")
        await watcher.query(REVOKE_OTHERS)
        first = await _next(socket, 0.5)
        if first is not None:
            break
    assert first is not None, "no sessionEvents message arrived"
    assert first["type"] == "next"
    assert first["payload"]["data"]["sessionEvents"]["kind"] == "REVOKED"
    assert first["payload"]["data"]["sessionEvents"]["current"] is False
    assert first["payload"]["data"]["sessionEvents"]["reason"] == "revoked_by_owner"

    # Now revoke the watcher's own session from elsewhere: last event, then complete.
    await aurora.login("uma@example.com")
    await aurora.query(REVOKE_OTHERS)
    messages = []
    while (message := await _next(socket, 5)) is not None:
        messages.append(message)
        if message["type"] == "complete":
            break
    own = [
        m
        for m in messages
        if m["type"] == "next" and m["payload"]["data"]["sessionEvents"]["current"]
    ]
    assert len(own) == 1
    assert messages[-1] == {"id": "1", "type": "complete"}
    await socket.close()
    await watcher.aclose()


async def test_an_unauthenticated_subscription_is_refused(server: str, aurora: Api) -> None:
    socket = await _open(server, aurora.host, None)

    message = await _next(socket, 5)

    assert message is not None and message["type"] == "next"
    assert message["payload"]["data"] is None
    assert message["payload"]["errors"][0]["extensions"]["code"] == "NOT_AUTHENTICATED"
    assert await _next(socket, 5) == {"id": "1", "type": "complete"}
    await socket.close()


async def test_a_foreign_origin_cannot_open_a_socket(server: str) -> None:
    with pytest.raises(InvalidStatus) as refused:
        await _connect(server, "aurora.localhost", origin="https://evil.example")

    assert refused.value.response.status_code == 403


async def test_the_brand_origin_may_open_a_socket(server: str) -> None:
    port = server.rsplit(":", 1)[1]
    socket = await _connect(server, "aurora.localhost", origin=f"http://aurora.localhost:{port}")
    await socket.send(json.dumps({"type": "connection_init", "payload": {}}))

    assert json.loads(await socket.recv())["type"] == "connection_ack"
    await socket.close()


async def test_a_socket_loses_its_powers_when_its_session_ends(aurora: Api, server: str) -> None:
    await aurora.register(email="vic@example.com")
    await aurora.login("vic@example.com")
    socket = await _connect(server, aurora.host)
    await socket.send(
        json.dumps(
            {"type": "connection_init", "payload": {"authorization": f"Bearer {aurora.token}"}}
        )
    )
    assert json.loads(await socket.recv())["type"] == "connection_ack"
    who = "{ viewer { player { email } } }"

    async def ask(operation_id: str) -> Any:
        await socket.send(
            json.dumps({"id": operation_id, "type": "subscribe", "payload": {"query": who}})
        )
        message = await _next(socket, 5)
        assert message is not None and message["type"] == "next", message
        assert await _next(socket, 5) == {"id": operation_id, "type": "complete"}
        return message["payload"]["data"]["viewer"]

    before = await ask("a")
    await aurora.query("mutation { logout { errors { code } } }")
    after = await ask("b")

    assert before == {"player": {"email": "vic@example.com"}}
    assert after is None
    await socket.close()
