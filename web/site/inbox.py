"""The inbox's actions and its live badge.

Marking read and deleting are plain form POSTs (they work without JavaScript) that come
back to the inbox. The badge in the account navigation is filled by server-sent events
from the `inboxChanged` subscription (the same pub/sub as GraphQL subscriptions), first
with the count now, then after each change, like the live balances.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Final

from starlette.requests import Request
from starlette.responses import Response

from web.site.site import Page, Site
from web.streams import KEEPALIVE, event_stream, sse, subscribed

# A comment line this often keeps proxies from closing a quiet stream.
MESSAGE_ID_LENGTH_MAX: Final = 200
_ACTIONS: Final = {"read": "MarkInboxMessageRead", "delete": "DeleteInboxMessage"}


class InboxPages:
    def __init__(self, site: Site) -> None:
        self.site = site

    async def act(self, request: Request) -> Response:
        """POST /account/inbox/{id}/{read|delete}."""
        page, refused = await self.site.signed_in_page(request)
        if refused:
            return refused
        form = await self.site.form(request)
        operation = _ACTIONS.get(request.path_params["action"])
        if form is None or operation is None:
            return self.site.forbidden(page)
        message_id = request.path_params["message_id"][:MESSAGE_ID_LENGTH_MAX]
        # A message already gone (another tab) is no reason for an error page: the inbox
        # shows what is there now.
        await self.site.graphql.run(request, operation, {"input": {"messageId": message_id}})
        return self.site.redirect(request, "/account/inbox")

    async def badge_stream(self, request: Request) -> Response:
        page, refused = await self.site.signed_in_page(request)
        if refused:
            return Response(status_code=204)  # EventSource stops on 204
        return event_stream(self._badge_events(request, page))

    async def _unread(self, request: Request) -> int:
        result = await self.site.graphql.run(request, "UnreadInboxCount")
        player = (result.data.get("viewer") or {}).get("player") or {}
        return int(player.get("unreadInboxCount") or 0)

    async def _badge_events(self, request: Request, page: Page) -> AsyncIterator[str]:
        events = [self.site.graphql.subscribe(request, "InboxChanged")]
        yield self._badge_event(page, await self._unread(request))
        async with contextlib.aclosing(subscribed(events)) as changes:
            async for data in changes:
                if data is None:
                    yield KEEPALIVE
                else:
                    yield self._badge_event(page, int(data["inboxChanged"]["unreadCount"]))

    def _badge_event(self, page: Page, unread: int) -> str:
        html = page.theme.environment.get_template("account/_inbox_badge.html").render(
            page=page, translations=page.theme.translations_for(page.locale), unread=unread
        )
        return sse("inbox", html)
