"""SMS over HTTP: the provider's delivery-status webhook, and in dev and tests the built-in
test provider's Messages API and the dev SMS outbox page.

`POST /callbacks/sms/status` fails closed like the mail bounce webhook: the body is read
with a size cap, and the signature (SMS_SIGNATURE: `X-Stakehouse-Sms-Timestamp` and
`X-Stakehouse-Sms-Signature: v1=<hex HMAC-SHA256 of "t.body">`, secret
STAKEHOUSE_SMS_WEBHOOK_SECRET) and its five-minute window are checked before the body is
parsed. Production never accepts the public dev secret.

    {"sid": "SM0f6c…", "status": "delivered" | "failed" | "undelivered"}
    200  {"received": true, "applied": true|false}  (false: unknown, not sent, already final)
    400  MALFORMED_WEBHOOK   401 INVALID_SIGNATURE   413 BODY_TOO_LARGE

`POST /test-sms/Accounts/{account}/Messages.json` (not in production) is the test
provider's API in the common shape (form `To`, `From`, `Body`, `StatusCallback`, basic
auth with the account): the HTTP adapter is exercised against it, and it keeps what it is
sent in the dev SMS outbox, listed at `GET /dev/sms` per brand.
"""

from __future__ import annotations

import asyncio
import base64
import html
import json
from typing import Final

from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route

from domain.integrations.psp import WEBHOOK_BODY_MAX_BYTES, InvalidWebhook
from domain.integrations.sms import (
    SMS_SIGNATURE,
    OutgoingSms,
    SandboxSms,
    SmsRejected,
    read_outbox,
)
from domain.kernel import clock
from domain.kernel.db import Database
from domain.kernel.settings import DEV_SMS_WEBHOOK_SECRET, Settings
from domain.messaging import sms
from web.webhooks import body_too_large, error_reply, read_capped

FIELD_LENGTH_MAX: Final = 2_000
_PAGE: Final = """<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Dev SMS outbox</title></head><body>
<main><h1>Dev SMS outbox</h1><p>Text messages sent through the test provider ({count}).
Dev only.</p>
{items}</main></body></html>"""
_ITEM: Final = """<article class="sms" data-to="{to}" data-sid="{sid}">
<p>To {to} · from {sender} · {sent_at}</p><pre>{body}</pre></article>"""


def sms_webhook_routes(settings: Settings) -> list[Route]:
    async def status(request: Request) -> Response:
        body = await read_capped(request, WEBHOOK_BODY_MAX_BYTES)
        if body is None:
            return body_too_large()
        try:
            if settings.is_production and settings.sms_webhook_secret == DEV_SMS_WEBHOOK_SECRET:
                raise InvalidWebhook()
            SMS_SIGNATURE.verify(
                [settings.sms_webhook_secret.encode()],
                dict(request.headers),
                body,
                now=clock.now(),
            )
        except InvalidWebhook as error:
            return error_reply(401, error.code, error.message)
        try:
            parsed = json.loads(body)
        except ValueError:
            parsed = None
        sid = parsed.get("sid") if isinstance(parsed, dict) else None
        reported = parsed.get("status") if isinstance(parsed, dict) else None
        if not isinstance(sid, str) or not isinstance(reported, str):
            return error_reply(400, "MALFORMED_WEBHOOK", "Expected sid and status.")
        db: Database = request.scope["state"]["db"]
        async with db.uow() as uow:
            applied = await sms.record_status(uow, sid, reported)
            await uow.commit()
        return JSONResponse({"received": True, "applied": applied})

    return [Route("/callbacks/sms/status", status, methods=["POST"])]


def _basic_account(request: Request) -> str | None:
    scheme, _, encoded = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        account, _, token = base64.b64decode(encoded).decode().partition(":")
    except (ValueError, UnicodeDecodeError):
        return None
    return account if account and token else None


def dev_sms_routes(settings: Settings) -> list[Route]:
    """The test provider's API and the dev SMS outbox page; none in production."""
    if settings.is_production:
        return []
    folder = settings.sms_outbox_dir

    def brand_of(request: Request) -> str | None:
        return getattr(request.scope["state"].get("brand"), "slug", None)

    async def messages(request: Request) -> Response:
        brand = brand_of(request)
        account = _basic_account(request)
        if brand is None:
            return Response(status_code=404)
        if account is None or account != request.path_params["account"]:
            return JSONResponse({"code": 20003, "message": "Authenticate"}, status_code=401)
        form = await request.form(max_files=0, max_fields=10)
        values = {
            name: str(form.get(name) or "")[:FIELD_LENGTH_MAX]
            for name in ("To", "From", "Body", "StatusCallback")
        }
        try:
            sid = await SandboxSms(folder, clock.now()).send(
                OutgoingSms(
                    reference="",
                    brand=brand,
                    recipient=values["To"],
                    sender=values["From"],
                    body=values["Body"],
                    status_callback=values["StatusCallback"] or None,
                )
            )
        except SmsRejected as error:
            return JSONResponse({"code": 21211, "message": error.message}, status_code=400)
        return JSONResponse({"sid": sid, "status": "queued"}, status_code=201)

    async def outbox(request: Request) -> Response:
        brand = brand_of(request)
        if brand is None:
            return Response(status_code=404)
        sent = await asyncio.to_thread(read_outbox, folder, brand=brand)
        items = "\n".join(
            _ITEM.format(
                to=html.escape(record.recipient),
                sid=html.escape(record.sid),
                sender=html.escape(record.sender),
                sent_at=html.escape(record.sent_at),
                body=html.escape(record.body),
            )
            for record in sent
        )
        return HTMLResponse(
            _PAGE.format(count=len(sent), items=items or "<p>No text messages yet.</p>")
        )

    return [
        Route("/test-sms/Accounts/{account}/Messages.json", messages, methods=["POST"]),
        Route("/dev/sms", outbox, methods=["GET"]),
    ]
