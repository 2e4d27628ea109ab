"""Support chat on the site: the player's conversation with support, a form to write
(a plain POST that works without JavaScript), and support's replies arriving live by
server-sent events from the `mySupportConversationChanged` subscription (htmx appends each
message to the transcript)."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from web.site.refusals import field_errors
from web.site.site import Page, Site
from web.streams import KEEPALIVE, event_stream, sse, subscribed


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
        return event_stream(self._events(request, page))

    async def _events(self, request: Request, page: Page) -> AsyncIterator[str]:
        events = [self.site.graphql.subscribe(request, "SupportConversationChanged")]
        async with contextlib.aclosing(subscribed(events)) as changes:
            async for data in changes:
                if data is None:
                    yield KEEPALIVE
                    continue
                message = data["mySupportConversationChanged"]["message"]
                # Support's messages: the player's own come back with the page they posted.
                if message is not None and message["fromSupport"]:
                    yield self._message_event(page, message)

    def _message_event(self, page: Page, message: dict[str, Any]) -> str:
        html = page.theme.environment.get_template("_chat_message.html").render(
            page=page, translations=page.theme.translations_for(page.locale), message=message
        )
        return sse("chat", html)
