"""The edges of /graphql as an outside client meets them, on a real server: bodies and
WebSocket messages that cannot be decoded or are not GraphQL requests, oversized socket
messages, ambiguous or malformed headers, tokens that do not sign in, unexpected errors.
Every refusal is typed, carries the request id, and leaves the connection usable."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
import uvicorn
import websockets
from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.routing import Route
from websockets.exceptions import ConnectionClosed, InvalidStatus

from domain.kernel.settings import get_settings
from tests.support import AURORA, Api
from web.middleware import (
    ErrorPageMiddleware,
    RequestContextMiddleware,
    SecurityHeadersMiddleware,
)

PROTOCOL = "graphql-transport-ws"
GOOD_BODY = b'{"query":"{ brand { slug } }"}'


def http_request(
    body: bytes = GOOD_BODY, *, headers: list[tuple[str, str]] | None = None, path: str = "/graphql"
) -> bytes:
    """One raw HTTP/1.1 POST (headers exactly as given, duplicates included)."""
    lines = [f"POST {path} HTTP/1.1"]
    for name, value in headers if headers is not None else [("Host", AURORA)]:
        lines.append(f"{name}: {value}")
    lines += ["Content-Type: application/json", f"Content-Length: {len(body)}", "", ""]
    return "\r\n".join(lines).encode("latin-1") + body


async def exchange(server: str, requests: list[bytes]) -> list[tuple[int, dict[str, str], bytes]]:
    """Send `requests` one after the other on ONE keep-alive connection; each response.
    A server that closed the connection fails the next read."""
    host, port = server.rsplit("//", 1)[1].split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    responses = []
    try:
        for request in requests:
            writer.write(request)
            await writer.drain()
            status_line = await asyncio.wait_for(reader.readline(), 10)
            assert status_line, "the server closed the connection"
            headers: dict[str, str] = {}
            while (line := await reader.readline()) not in (b"\r\n", b""):
                name, value = line.decode("latin-1").split(":", 1)
                headers[name.strip().lower()] = value.strip()
            body = await reader.readexactly(int(headers.get("content-length", "0")))
            responses.append((int(status_line.split()[1]), headers, body))
    finally:
        writer.close()
    return responses


def assert_refused_then_served(
    responses: list[tuple[int, dict[str, str], bytes]], status: int, code: str
) -> dict[str, Any]:
    """The first response is a typed refusal with request id and security headers; the
    second, on the same connection, is served. Returns the refusal's error."""
    (refused_status, headers, body), (served_status, _, served) = responses
    assert refused_status == status
    assert len(headers["x-request-id"]) >= 8
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["content-type"].startswith("application/json")
    assert served_status == 200
    answer = json.loads(served)
    assert answer["data"] == {"brand": {"slug": "aurora"}}
    assert set(answer) == {"data", "extensions"}  # extensions: the cost estimate
    payload = json.loads(body)
    error: dict[str, Any] = payload["errors"][0] if "errors" in payload else payload["error"]
    actual = error["extensions"]["code"] if "extensions" in error else error["code"]
    assert actual == code, payload
    return error


UNDECODABLE_BODIES = {
    "nested 20,000 deep": b"[" * 20_000 + b"]" * 20_000,
    "a 5,000-digit number": b'{"query":"{ brand { slug } }","variables":{"n":'
    + b"1" * 5_000
    + b"}}",
    "invalid UTF-8": b'{"query":"{ brand { slug } }\xff"}',
    "UTF-16": '{"query":"{ brand { slug } }"}'.encode("utf-16"),
    "NaN": b'{"query":"{ brand { slug } }","variables":{"n":NaN}}',
    "a member named twice": b'{"query":"{ brand { slug } }","query":"{ viewer { permissions } }"}',
    "truncated": b'{"query":"{ brand',
    "empty": b"",
}


@pytest.mark.parametrize("body", UNDECODABLE_BODIES.values(), ids=UNDECODABLE_BODIES.keys())
async def test_a_body_that_does_not_decode_is_a_typed_400_on_a_kept_connection(
    server: str, body: bytes
) -> None:
    responses = await exchange(server, [http_request(body), http_request()])

    error = assert_refused_then_served(responses, 400, "INVALID_JSON")
    assert error["message"].startswith("The request body is ")
    assert "1111" not in error["message"]


NOT_REQUESTS = {
    "a string": (b'"{ brand { slug } }"', "INVALID_REQUEST"),
    "a number": (b"5", "INVALID_REQUEST"),
    "null": (b"null", "INVALID_REQUEST"),
    "a batch": (b'[{"query":"{ brand { slug } }"}]', "BATCHING_NOT_SUPPORTED"),
    "query not a string": (b'{"query":5}', "INVALID_REQUEST"),
    "operationName not a string": (
        b'{"query":"{ brand { slug } }","operationName":5}',
        "INVALID_REQUEST",
    ),
    "variables a list": (b'{"query":"{ brand { slug } }","variables":[]}', "INVALID_REQUEST"),
    "extensions a string": (b'{"query":"{ brand { slug } }","extensions":"x"}', "INVALID_REQUEST"),
    "no query": (b"{}", "INVALID_REQUEST"),
}


@pytest.mark.parametrize(("body", "code"), NOT_REQUESTS.values(), ids=NOT_REQUESTS.keys())
async def test_json_that_is_not_a_graphql_request_is_a_typed_400(
    server: str, body: bytes, code: str
) -> None:
    responses = await exchange(server, [http_request(body), http_request()])

    assert_refused_then_served(responses, 400, code)


# ---- headers ------------------------------------------------------------------------------

AMBIGUOUS_HEADERS = {
    "two Host headers": [("Host", AURORA), ("Host", "northstar.localhost")],
    "two brand headers": [
        ("Host", "api.localhost"),
        ("X-Stakehouse-Brand", "aurora"),
        ("X-Stakehouse-Brand", "northstar"),
    ],
    "two Authorization headers": [
        ("Host", AURORA),
        ("Authorization", "Bearer one"),
        ("Authorization", "Bearer two"),
    ],
    "two Origin headers": [
        ("Host", AURORA),
        ("Origin", "https://aurora.localhost"),
        ("Origin", "https://evil.example"),
    ],
    "a port that is not a number": [("Host", "aurora.localhost:abc")],
    "an empty port": [("Host", "aurora.localhost:")],
    "a user part": [("Host", "evil.example@aurora.localhost")],
    "an empty Host": [("Host", "")],
    "no Host": [],
}


@pytest.mark.parametrize("headers", AMBIGUOUS_HEADERS.values(), ids=AMBIGUOUS_HEADERS.keys())
async def test_ambiguous_or_malformed_headers_are_a_400(
    server: str, headers: list[tuple[str, str]]
) -> None:
    responses = await exchange(server, [http_request(headers=headers), http_request()])

    error = assert_refused_then_served(responses, 400, "INVALID_HEADER")
    assert error["field"] in {"host", "x-stakehouse-brand", "authorization", "origin"}


async def test_probes_keep_answering_on_a_pod_address(server: str) -> None:
    host, port = server.rsplit("//", 1)[1].split(":")
    probe = f"GET /livez HTTP/1.1\r\nHost: {host}:{port}\r\n\r\n".encode()

    ((status, _, _),) = await exchange(server, [probe])

    assert status == 200


async def test_a_socket_with_two_host_headers_is_refused(server: str) -> None:
    port = int(server.rsplit(":", 1)[1])
    with pytest.raises(InvalidStatus) as refused:
        await websockets.connect(
            f"ws://{AURORA}:{port}/graphql",
            subprotocols=[PROTOCOL],
            host="127.0.0.1",
            port=port,
            additional_headers=[("Host", "northstar.localhost")],
        )

    assert refused.value.response.status_code == 403


# ---- WebSocket ----------------------------------------------------------------------------


@pytest.fixture
async def socket(server: str) -> AsyncIterator[Any]:
    port = int(server.rsplit(":", 1)[1])
    async with websockets.connect(
        f"ws://{AURORA}:{port}/graphql",
        subprotocols=[PROTOCOL],
        host="127.0.0.1",
        port=port,
        max_size=None,
    ) as connection:
        yield connection


async def acknowledged(socket: Any, payload: dict[str, Any] | None = None) -> Any:
    await socket.send(json.dumps({"type": "connection_init", "payload": payload or {}}))
    assert json.loads(await asyncio.wait_for(socket.recv(), 5)) == {"type": "connection_ack"}
    return socket


async def closed_with(socket: Any) -> tuple[int | None, list[Any]]:
    """Read until the server closes: its close code, and what it sent before."""
    received = []
    try:
        while True:
            received.append(json.loads(await asyncio.wait_for(socket.recv(), 5)))
    except ConnectionClosed:
        return socket.close_code, received


UNDECODABLE_MESSAGES = {
    "nested 20,000 deep": "[" * 20_000 + "]" * 20_000,
    "a 5,000-digit number": '{"type":"connection_init","payload":{"n":' + "1" * 5_000 + "}}",
    "NaN": '{"type":"connection_init","payload":{"n":NaN}}',
    "a member named twice": '{"type":"connection_init","type":"ping"}',
    "not JSON": "{nope",
}


@pytest.mark.parametrize("message", UNDECODABLE_MESSAGES.values(), ids=UNDECODABLE_MESSAGES.keys())
async def test_a_message_that_does_not_decode_closes_the_socket_with_4400(
    socket: Any, message: str
) -> None:
    await socket.send(message)

    assert await closed_with(socket) == (4400, [])


MALFORMED_MESSAGES = {
    "a number": 5,
    "a string": "connection_init",
    "a list": [{"type": "connection_init"}],
    "type not a string": {"type": 5},
    "payload a string": {"id": "1", "type": "subscribe", "payload": "{ brand { slug } }"},
    "query not a string": {"id": "1", "type": "subscribe", "payload": {"query": 5}},
    "variables a list": {
        "id": "1",
        "type": "subscribe",
        "payload": {"query": "{ brand { slug } }", "variables": []},
    },
    "operationName a number": {
        "id": "1",
        "type": "subscribe",
        "payload": {"query": "{ brand { slug } }", "operationName": 5},
    },
    "no id": {"type": "subscribe", "payload": {"query": "{ brand { slug } }"}},
    "complete without id": {"type": "complete"},
}


@pytest.mark.parametrize("message", MALFORMED_MESSAGES.values(), ids=MALFORMED_MESSAGES.keys())
async def test_a_malformed_message_closes_the_socket_with_4400(socket: Any, message: Any) -> None:
    await acknowledged(socket)

    await socket.send(json.dumps(message))

    assert await closed_with(socket) == (4400, [])


async def test_a_message_over_the_http_body_limit_closes_with_1009_unexecuted(
    socket: Any,
) -> None:
    await acknowledged(socket)
    limit = get_settings().graphql_max_body_bytes
    subscribe = {"id": "1", "type": "subscribe", "payload": {"query": "{ brand { slug } }"}}

    # Just under the limit runs; just over it never reaches the schema.
    under = {**subscribe, "payload": {**subscribe["payload"], "variables": {"pad": ""}}}
    under["payload"]["variables"]["pad"] = "x" * (limit - len(json.dumps(under)))
    await socket.send(json.dumps(under))
    assert json.loads(await asyncio.wait_for(socket.recv(), 5))["type"] == "next"
    over = {**under, "id": "2"}
    over["payload"]["variables"]["pad"] += "é"  # one more character, two more bytes
    await socket.send(json.dumps(over, ensure_ascii=False))

    code, received = await closed_with(socket)
    assert code == 1009
    assert [message for message in received if message.get("id") == "2"] == []


async def test_a_huge_number_literal_over_websocket_is_a_typed_error_and_the_socket_lives(
    socket: Any,
) -> None:
    await acknowledged(socket)
    document = "{ casinoGames(first: " + "1" * 4_400 + ") { edges { cursor } } }"

    await socket.send(json.dumps({"id": "1", "type": "subscribe", "payload": {"query": document}}))
    refused = json.loads(await asyncio.wait_for(socket.recv(), 5))
    await socket.send(
        json.dumps({"id": "2", "type": "subscribe", "payload": {"query": "{ brand { slug } }"}})
    )
    served = json.loads(await asyncio.wait_for(socket.recv(), 5))

    assert refused["id"] == "1"
    assert refused["type"] == "error"
    assert [error["extensions"]["code"] for error in refused["payload"]] == [
        "GRAPHQL_VALIDATION_FAILED"
    ]
    assert (served["id"], served["type"]) == ("2", "next")
    assert served["payload"]["data"] == {"brand": {"slug": "aurora"}}
    assert "errors" not in served["payload"]


async def test_a_token_that_does_not_sign_in_is_refused_with_4403(aurora: Api, socket: Any) -> None:
    await socket.send(
        json.dumps({"type": "connection_init", "payload": {"authorization": "Bearer forged"}})
    )

    assert await closed_with(socket) == (4403, [])


async def test_a_signed_out_token_is_refused_with_4403(aurora: Api, server: str) -> None:
    await aurora.register(email="ws-edges@example.com")
    await aurora.login("ws-edges@example.com")
    token = aurora.token
    port = int(server.rsplit(":", 1)[1])
    # While signed in, the token opens a socket; after sign-out, it no longer does.
    async with websockets.connect(
        f"ws://{AURORA}:{port}/graphql", subprotocols=[PROTOCOL], host="127.0.0.1", port=port
    ) as signed_in:
        await acknowledged(signed_in, {"authorization": f"Bearer {token}"})
    await aurora.query("mutation { logout { errors { code } } }")

    async with websockets.connect(
        f"ws://{AURORA}:{port}/graphql",
        subprotocols=[PROTOCOL],
        host="127.0.0.1",
        port=port,
        additional_headers={"Authorization": f"Bearer {token}"},
    ) as signed_out:
        await signed_out.send(json.dumps({"type": "connection_init", "payload": {}}))
        assert await closed_with(signed_out) == (4403, [])


async def test_a_socket_without_a_token_is_acknowledged_signed_out(socket: Any) -> None:
    await acknowledged(socket)
    await socket.send(
        json.dumps(
            {"id": "1", "type": "subscribe", "payload": {"query": "{ viewer { player { id } } }"}}
        )
    )

    payload = json.loads(await asyncio.wait_for(socket.recv(), 5))["payload"]
    assert payload["data"] == {"viewer": None} and "errors" not in payload


# ---- unexpected errors --------------------------------------------------------------------


async def _boom(_request: Any) -> PlainTextResponse:
    raise RuntimeError("database password is hunter2")


async def _fine(_request: Any) -> PlainTextResponse:
    return PlainTextResponse("fine")


@pytest.fixture
async def fragile_server() -> AsyncIterator[str]:
    """A server whose one route raises, behind the app's outer middleware in its order."""
    app = Starlette(routes=[Route("/boom", _boom, methods=["POST"]), Route("/fine", _fine)])
    app.add_middleware(ErrorPageMiddleware)
    app.add_middleware(SecurityHeadersMiddleware, hsts=False)
    app.add_middleware(RequestContextMiddleware)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="critical"))
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.02)
    yield f"http://127.0.0.1:{server.servers[0].sockets[0].getsockname()[1]}"
    server.should_exit = True
    await task


async def test_an_unexpected_error_is_a_typed_500_with_request_id_on_a_kept_connection(
    fragile_server: str,
) -> None:
    fine = b"GET /fine HTTP/1.1\r\nHost: example.test\r\n\r\n"

    (failed, served) = await exchange(
        fragile_server, [http_request(path="/boom", headers=[("Host", "example.test")]), fine]
    )

    status, headers, body = failed
    assert status == 500
    assert headers["x-content-type-options"] == "nosniff"
    assert json.loads(body) == {
        "error": {
            "code": "INTERNAL",
            "message": f"Unexpected error (request id {headers['x-request-id']}).",
            "requestId": headers["x-request-id"],
        }
    }
    assert served[0] == 200
    assert served[2] == b"fine"
