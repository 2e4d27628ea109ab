"""The outside CRM's audience lists: `POST /crm/audiences` on a brand's host.

The body is read with a size cap and its signature checked (CRM_SIGNATURE with the brand's
CRM secret, five-minute window) before it is parsed; a brand with no CRM accepts nothing.
An applied list is a static segment of the brand (domain/segments/audiences.py).

    200  {"segment_id": "<global id>", "created": true, "members": 2, "added": 2, "removed": 0}
    400  INVALID_AUDIENCE   401 INVALID_SIGNATURE   413 BODY_TOO_LARGE
    422  UNKNOWN_PLAYERS (a player the brand does not have; nothing changed)
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from domain.integrations.crm import verify_audience
from domain.integrations.psp import WEBHOOK_BODY_MAX_BYTES, InvalidWebhook
from domain.kernel import clock
from domain.kernel.db import Database
from domain.kernel.errors import DomainError
from domain.kernel.settings import Settings
from domain.segments import audiences
from domain.segments.errors import UnknownAudiencePlayers
from schema.ids import global_id
from web.webhooks import BodyTooLarge, error_reply, read_capped


def _error(status: int, code: str, message: str, field: str | None = None) -> Response:
    # The CRM's contract names the field of every error, null when there is none.
    return error_reply(status, code, message, field=field)


def crm_routes(settings: Settings) -> list[Route]:
    async def audience(request: Request) -> Response:
        brand = getattr(request.scope["state"].get("brand"), "slug", None)
        if brand is None:
            return Response(status_code=404)
        body = await read_capped(request, WEBHOOK_BODY_MAX_BYTES)
        if body is None:
            return _error(413, BodyTooLarge.code, BodyTooLarge.message)
        try:
            verify_audience(settings, brand, dict(request.headers), body, now=clock.now())
        except InvalidWebhook as error:
            return _error(401, error.code, error.message)
        db: Database = request.scope["state"]["db"]
        try:
            parsed = audiences.parse(body)
            async with db.uow() as uow:
                applied = await audiences.apply(uow, brand, parsed)
                await uow.commit()
        except UnknownAudiencePlayers as error:
            return _error(422, error.code, error.message, error.field)
        except DomainError as error:
            return _error(400, error.code, error.message, error.field)
        return JSONResponse(
            {
                "segment_id": global_id("Segment", applied.segment_id),
                "created": applied.created,
                "members": applied.members,
                "added": applied.added,
                "removed": applied.removed,
            }
        )

    return [Route("/crm/audiences", audience, methods=["POST"])]
