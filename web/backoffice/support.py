"""Support chat in the console: the brand's queue (waiting conversations first), one
conversation's transcript beside the player's context, taking it, replying (or starting
from a canned reply). New messages arrive live: a server-sent stream of the
`supportQueueChanged` subscription, appended to the open transcript by a small script."""

from __future__ import annotations

import contextlib
import json
from collections.abc import AsyncIterator
from typing import Any, Final

from starlette.requests import Request
from starlette.responses import Response

from web.backoffice import strings
from web.backoffice.console import Console, Page, first_error, id_field, text_field
from web.streams import KEEPALIVE, event_stream, sse, subscribed

AREA: Final = "support"
CONVERSATION: Final = "SupportConversation"
MESSAGE_CHARS_MAX: Final = 2_000


class SupportPages:
    def __init__(self, console: Console) -> None:
        self.console = console

    async def queue(self, request: Request) -> Response:
        page, refused = await self.console.open_area(request, AREA)
        if refused is not None:
            return refused
        return await self._queue(request, page, request.query_params.get("conversation", ""))

    async def _queue(
        self,
        request: Request,
        page: Page,
        selected_id: str,
        *,
        status: int = 200,
        error: str | None = None,
    ) -> Response:
        result = await self.console.run(request, "SupportQueue")
        items: list[dict[str, Any]] = result.data.get("supportQueue") or []
        selected = next((item for item in items if item["id"] == selected_id), None)
        return self.console.render(
            page,
            "support.html",
            status=status,
            items=items,
            selected=selected,
            error=error,
        )

    async def take(self, request: Request) -> Response:
        page, form, refused = await self.console.act(request, AREA, "TakeSupportConversation")
        if refused is not None:
            return refused
        conversation = id_field(form, "conversation", CONVERSATION)
        if conversation is None:
            return await self._queue(
                request, page, "", status=400, error=strings.TEXT["invalid_input"]
            )
        result = await self.console.run(
            request, "TakeSupportConversation", {"input": {"conversationId": conversation}}
        )
        error = first_error(result.data["takeSupportConversation"])
        if error is not None:
            return await self._queue(request, page, conversation, status=400, error=error)
        return self.console.redirect(request, f"/support?conversation={conversation}")

    async def reply(self, request: Request) -> Response:
        page, form, refused = await self.console.act(request, AREA, "ReplyToSupportConversation")
        if refused is not None:
            return refused
        conversation = id_field(form, "conversation", CONVERSATION)
        body = text_field(form, "body", MESSAGE_CHARS_MAX)
        if conversation is None or not body:
            return await self._queue(
                request, page, conversation or "", status=400, error=strings.TEXT["invalid_input"]
            )
        variables = {"input": {"conversationId": conversation, "body": body}}
        result = await self.console.run(request, "ReplyToSupportConversation", variables)
        error = first_error(result.data["replyToSupportConversation"])
        if error is not None:
            return await self._queue(request, page, conversation, status=400, error=error)
        return self.console.redirect(request, f"/support?conversation={conversation}")

    async def stream(self, request: Request) -> Response:
        _, refused = await self.console.open_area(request, AREA)
        if refused is not None:
            return Response(status_code=204)  # EventSource stops on 204
        return event_stream(self._events(request))

    async def _events(self, request: Request) -> AsyncIterator[str]:
        events = [self.console.graphql.subscribe(request, "SupportQueueChanged")]
        async with contextlib.aclosing(subscribed(events)) as changes:
            async for data in changes:
                # JSON text: the page's script puts it in the document as text, never HTML.
                yield (
                    KEEPALIVE
                    if data is None
                    else sse("chat", json.dumps(data["supportQueueChanged"]))
                )
