"""The mail provider's bounce webhook: `POST /callbacks/mail/bounces`.

It fails closed like the PSP's: the body is read with a size cap, the signature
(`X-Stakehouse-Signature: t=<unix>,v1=<hex HMAC-SHA256 of "t.body">`, secret
STAKEHOUSE_MAIL_WEBHOOK_SECRET) and its five-minute window are checked before the body is
parsed; a forged or stale one gets 401 and changes nothing. The body names our message by
its Message-ID (`<uuid@domain>`) or id:

    {"messageId": "<0f6c…@aurora.localhost>", "reason": "550 5.1.1 mailbox unknown"}

    200  {"received": true, "applied": true|false}  (false: unknown, not sent, already bounced)
    400  MALFORMED_WEBHOOK   401 INVALID_SIGNATURE   413 BODY_TOO_LARGE
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from domain.integrations.mail import (
    BOUNCE_BODY_MAX_BYTES,
    SIGNATURE_HEADER,
    InvalidMailWebhook,
    verify_bounce,
)
from domain.kernel import clock
from domain.kernel.db import Database
from domain.kernel.settings import Settings
from domain.messaging import mail
from web.webhooks import body_too_large, error_reply, read_capped


def _message_id(body: dict[str, Any]) -> uuid.UUID | None:
    value = body.get("messageId")
    if not isinstance(value, str) or len(value) > 300:
        return None
    local = value.strip().removeprefix("<").split("@", 1)[0]
    try:
        return uuid.UUID(local)
    except ValueError:
        return None


def mail_webhook_routes(settings: Settings) -> list[Route]:
    async def bounces(request: Request) -> Response:
        body = await read_capped(request, BOUNCE_BODY_MAX_BYTES)
        if body is None:
            return body_too_large()
        try:
            verify_bounce(
                settings.mail_webhook_secret,
                request.headers.get(SIGNATURE_HEADER),
                body,
                clock.now(),
            )
        except InvalidMailWebhook as error:
            return error_reply(401, error.code, error.message)
        try:
            parsed = json.loads(body)
        except ValueError:
            parsed = None
        message_id = _message_id(parsed) if isinstance(parsed, dict) else None
        reason = parsed.get("reason") if isinstance(parsed, dict) else None
        if message_id is None or not isinstance(reason, str):
            return error_reply(400, "MALFORMED_WEBHOOK", "Expected messageId and reason.")
        db: Database = request.scope["state"]["db"]
        async with db.uow() as uow:
            applied = await mail.record_bounce(uow, message_id, reason)
            await uow.commit()
        return JSONResponse({"received": True, "applied": applied})

    return [Route("/callbacks/mail/bounces", bounces, methods=["POST"])]
