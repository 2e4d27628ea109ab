"""Segments and campaigns (CRM): the selected brand's segments with their member counts,
its campaigns with their figures, a list import (CSV) and the campaign form. Rule
segments are made over the API (`createSegment`); this page sends to them."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Final

from starlette.requests import Request
from starlette.responses import Response

from web.backoffice import strings
from web.backoffice.console import Console, Page, first_error, id_field, text_field

AREA: Final = "segments"
PAGE_SIZE: Final = 50
CSV_CHARS_MAX: Final = 200_000
CHANNELS: Final = ("INBOX", "EMAIL", "SMS")
THROTTLE_DEFAULT: Final = 1000


class SegmentPages:
    def __init__(self, console: Console) -> None:
        self.console = console

    async def desk(self, request: Request) -> Response:
        page, refused = await self.console.open_area(request, AREA)
        if refused is not None:
            return refused
        return await self._desk(request, page)

    async def _desk(
        self, request: Request, page: Page, *, status: int = 200, error: str | None = None
    ) -> Response:
        result = await self.console.run(request, "SegmentsDesk", {"first": PAGE_SIZE})
        return self.console.render(
            page,
            "segments.html",
            status=status,
            segments=result.data.get("segments") or [],
            campaigns=result.data.get("campaigns") or [],
            channels=CHANNELS,
            throttle_default=THROTTLE_DEFAULT,
            error=error,
            notice=strings.TEXT.get(request.query_params.get("notice", ""), None),
        )

    async def import_list(self, request: Request) -> Response:
        page, form, refused = await self.console.act(request, AREA, "ImportSegment")
        if refused is not None:
            return refused
        name = text_field(form, "name", 100)
        csv_text = text_field(form, "csv", CSV_CHARS_MAX)
        if not name or not csv_text:
            return await self._desk(request, page, status=400, error=strings.TEXT["invalid_input"])
        variables = {"input": {"name": name, "csv": csv_text}}
        result = await self.console.run(request, "ImportSegment", variables)
        error = first_error(result.data["importSegment"])
        if error is not None:
            return await self._desk(request, page, status=400, error=error)
        return self.console.redirect(request, "/segments?notice=segment_imported")

    async def send(self, request: Request) -> Response:
        page, form, refused = await self.console.act(request, AREA, "CreateCampaign")
        if refused is not None:
            return refused
        campaign = _campaign_input(form)
        if campaign is None:
            return await self._desk(request, page, status=400, error=strings.TEXT["invalid_input"])
        result = await self.console.run(request, "CreateCampaign", {"input": campaign})
        error = first_error(result.data["createCampaign"])
        if error is not None:
            return await self._desk(request, page, status=400, error=error)
        return self.console.redirect(request, "/segments?notice=campaign_created")


def _campaign_input(form: Any) -> dict[str, Any] | None:
    """The form as CreateCampaignInput, or None when something is missing or malformed
    (the API validates the rest: lengths, the throttle's range, the schedule)."""
    segment = id_field(form, "segment", "Segment")
    channel = text_field(form, "channel", 10)
    name, subject = text_field(form, "name", 100), text_field(form, "subject", 200)
    text, locale = text_field(form, "text", 10_000), text_field(form, "locale", 10) or "en"
    throttle = text_field(form, "throttle", 7) or str(THROTTLE_DEFAULT)
    send_at = _moment(text_field(form, "send_at", 20))
    # A text message has no subject: the form hides the field for SMS, and whatever it
    # still holds is left out.
    texted = channel == "SMS"
    if segment is None or channel not in CHANNELS or not (name and text):
        return None
    if not texted and not subject:
        return None
    if not throttle.isdigit() or send_at is False:
        return None
    return {
        "segmentId": segment, "name": name, "channel": channel,
        "content": [
            {"locale": locale, "text": text} if texted
            else {"locale": locale, "subject": subject, "text": text}
        ],
        "throttlePerMinute": int(throttle), "sendAt": send_at,
    }  # fmt: skip


def _moment(value: str) -> str | bool | None:
    """A `datetime-local` field (UTC) as ISO text; None when empty; False when unreadable."""
    if not value:
        return None
    try:
        return datetime.fromisoformat(value).replace(tzinfo=UTC).isoformat()
    except ValueError:
        return False
