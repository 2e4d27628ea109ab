"""Odds feed ingestion over HTTP, for feed providers outside the cluster (in-cluster
producers keep the broker's `feed` queue, workers/actors/feed.py).

`POST /feed/v1/messages` takes one message or a batch `{"messages": [...]}` in the
versioned format of domain/sportsbook/feed/schema/v1.json. It fails closed, like the PSP
callbacks (web/callbacks.py): the raw body is read with a size cap and the producer's
signature (X-Feed-Producer, X-Feed-Timestamp, X-Feed-Signature: HMAC-SHA256 over
`timestamp.body` with that producer's secret, within 300 s) is verified before anything
is parsed. Then every message is validated, all before any is applied: one malformed
message refuses the body and nothing changes. Valid messages are applied in order, each in
its own transaction, in producer sequence (domain.sportsbook.feed.producers); a gap stops
the batch there and asks the producer to recover.

    200  {"producer", "last_applied_sequence", "recovering", "messages": [{index,
         message_id, status}]}   status: applied | duplicate | stale | unknown_event
    400  MALFORMED_MESSAGE | PRODUCER_MISMATCH   (error.index, error.message_id, error.field)
    401  INVALID_SIGNATURE   unsigned, forged, stale or an unknown producer: no effect
    409  SEQUENCE_GAP        what came before the gap is applied (its statuses listed), the
                             rest not (`not_applied`); resend from `resend_from`
    413  BODY_TOO_LARGE

`POST /feed/v1/recovery` (signed the same way, body `{}`) holds the producer's markets
suspended and answers where to resume: `{"producer", "last_applied_sequence",
"resend_from", "recovering": true}`. The producer re-sends from there and ends with a
`snapshot_complete` message, which resumes its markets.

`GET /feed/v1/schema.json` serves the JSON Schema.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any, Final

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from domain.integrations.feed import verify_producer_request
from domain.integrations.psp import InvalidWebhook
from domain.kernel import clock
from domain.kernel.db import Database
from domain.kernel.errors import DomainError
from domain.kernel.settings import Settings
from domain.sportsbook.feed import producers, wire_v1
from domain.sportsbook.feed.producers import ProducerState, Receipt
from web.webhooks import BodyTooLarge, read_body, signed_endpoint_reply

log = logging.getLogger("stakehouse.feed")

MESSAGES_PATH: Final = "/feed/v1/messages"
RECOVERY_PATH: Final = "/feed/v1/recovery"
SCHEMA_PATH: Final = "/feed/v1/schema.json"
NOT_APPLIED: Final = "not_applied"

_STATUS_BY_CODE: Final = {
    InvalidWebhook.code: 401,
    wire_v1.MalformedFeedMessage.code: 400,
    wire_v1.ProducerMismatch.code: 400,
    BodyTooLarge.code: 413,
}


def _json(status: int, body: dict[str, Any]) -> Response:
    return signed_endpoint_reply(status, body, realm="feed")


def _refusal(error: DomainError) -> Response:
    detail: dict[str, Any] = {"code": error.code, "message": error.message, "field": error.field}
    if isinstance(error, wire_v1.MalformedFeedMessage):
        detail |= {"index": error.index, "message_id": error.message_id}
    return _json(_STATUS_BY_CODE.get(error.code, 400), {"error": detail})


def _state(state: ProducerState) -> dict[str, Any]:
    return {
        "producer": state.producer,
        "last_applied_sequence": state.applied_sequence,
        "recovering": state.recovering,
    }


async def _verified(request: Request, settings: Settings) -> tuple[str, bytes]:
    """The signing producer and the raw body. Errors: BodyTooLarge, InvalidWebhook."""
    body = await read_body(request)
    producer = verify_producer_request(settings, dict(request.headers), body, now=clock.now())
    return producer, body


async def apply_messages(
    db: Database, producer: str, messages: list[wire_v1.NumberedMessage]
) -> tuple[int, dict[str, Any]]:
    """Apply validated messages in order (domain.sportsbook.feed.producers.receive_batch)
    and say what became of each."""
    batch = await producers.receive_batch(
        db, [(numbered.message, numbered.producer_sequence) for numbered in messages]
    )
    statuses = [
        {
            "index": index,
            "message_id": numbered.message.message_id,
            "status": NOT_APPLIED if receipt in (None, Receipt.GAP) else receipt.value,
        }
        for index, (numbered, receipt) in enumerate(zip(messages, batch.receipts, strict=True))
    ]
    state = batch.state
    body = _state(state) | {"messages": statuses}
    if not batch.gap:
        return 200, body
    log.warning("feed producer %s: sequence gap after %s", producer, state.applied_sequence)
    error = {
        "code": "SEQUENCE_GAP",
        "message": "Messages are missing before this one: resend from `resend_from`, then "
        "send snapshot_complete. The producer's markets are suspended until then.",
        "resend_from": state.resend_from,
    }
    return 409, body | {"error": error, "resend_from": state.resend_from}


def _messages_endpoint(settings: Settings) -> Callable[[Request], Awaitable[Response]]:
    async def feed_messages(request: Request) -> Response:
        try:
            producer, body = await _verified(request, settings)
            # Every message is checked before any is applied: all or nothing.
            messages = wire_v1.decode_body(body, producer)
        except DomainError as error:
            log.warning("feed request refused: %s %s", error.code, error.field)
            return _refusal(error)
        status, reply = await apply_messages(request.scope["state"]["db"], producer, messages)
        return _json(status, reply)

    return feed_messages


def _recovery_endpoint(settings: Settings) -> Callable[[Request], Awaitable[Response]]:
    async def feed_recovery(request: Request) -> Response:
        try:
            producer, _ = await _verified(request, settings)
        except DomainError as error:
            return _refusal(error)
        async with request.scope["state"]["db"].uow() as uow:
            state = await producers.recovery_point(uow, producer, now=clock.now())
            await uow.commit()
        log.info("feed producer %s recovers from %s", producer, state.resend_from)
        return _json(200, _state(state) | {"resend_from": state.resend_from})

    return feed_recovery


async def feed_schema(request: Request) -> Response:
    return JSONResponse(wire_v1.schema(), headers={"cache-control": "public, max-age=300"})


def feed_routes(settings: Settings) -> list[Route]:
    return [
        Route(MESSAGES_PATH, _messages_endpoint(settings), methods=["POST"]),
        Route(RECOVERY_PATH, _recovery_endpoint(settings), methods=["POST"]),
        Route(SCHEMA_PATH, feed_schema, methods=["GET"]),
    ]
