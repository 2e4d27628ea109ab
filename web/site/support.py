"""Support chat on the site: the player's conversation with support, a form to write
(a plain POST that works without JavaScript), and support's replies arriving live by
server-sent events from the `mySupportConversationChanged` subscription (htmx appends each
message to the transcript)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from domain.kernel.pubsub import SubscriptionInterrupted
from web.site.inbox import KEEPALIVE_INTERVAL_S
from web.site.refusals import field_errors
from web.site.site import Page, Site


class SupportPages:
    def __init__(self, site: Site) -> None:
        self.site = site

    async def chat(self, request: Request) -> Response:
        """GET /support: the conversation; POST /support: write to support."""
        page, refused = await self.site.signed_in_page(request)
        if refused:
            return refused
        errors: dict[str, str] = {}
        if request.method == "POST":
            form = await self.site.form(request)
            if form is None:
                return self.site.forbidden(page)
            variables = {"input": {"body": str(form.get("body") or "")}}
            result = await self.site.graphql.run(request, "SendSupportMessage", variables)
            payload = result.data["sendSupportMessage"]
            if not payload["errors"]:
                return self.site.redirect(request, "/support")
            errors = field_errors(page, payload["errors"])
        result = await self.site.graphql.run(request, "MySupportConversation")
        conversation: dict[str, Any] | None = result.data.get("mySupportConversation")
        return self.site.render(
            page,
            "support.html",
            status=400 if errors else 200,
            personal=True,
            conversation=conversation,
            errors=errors,
        )

    async def stream(self, request: Request) -> Response:
        page, refused = await self.site.signed_in_page(request)
        if refused:
            return Response(status_code=204)  # EventSource stops on 204
        return StreamingResponse(
            self._events(request, page),
            media_type="text/event-stream",
            headers={"cache-control": "no-store", "x-accel-buffering": "no"},
        )

    async def _events(self, request: Request, page: Page) -> AsyncIterator[str]:
        events = self.site.graphql.subscribe(request, "SupportConversationChanged")
        next_event = asyncio.ensure_future(anext(events))
        try:
            while True:
                done, _ = await asyncio.wait({next_event}, timeout=KEEPALIVE_INTERVAL_S)
                if not done:
                    yield ": keep-alive\n\n"
                    continue
                try:
                    data = next_event.result()
                except (StopAsyncIteration, SubscriptionInterrupted):
                    return  # the browser reconnects
                next_event = asyncio.ensure_future(anext(events))
                message = data["mySupportConversationChanged"]["message"]
                # Support's messages: the player's own come back with the page they posted.
                if message is not None and message["fromSupport"]:
                    yield self._message_event(page, message)
        finally:
            next_event.cancel()
            with contextlib.suppress(BaseException):
                await next_event
            await events.aclose()

    def _message_event(self, page: Page, message: dict[str, Any]) -> str:
        html = page.theme.environment.get_template("_chat_message.html").render(
            page=page, translations=page.theme.translations_for(page.locale), message=message
        )
        data = "".join(f"data: {line}\n" for line in html.splitlines() or [""])
        return f"event: chat\n{data}\n"
