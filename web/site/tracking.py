"""Affiliate tracking on the brand sites: a landing link's `?btag=<code>` is kept in a
session cookie (first or last touch, STAKEHOUSE_AFFILIATE_TOUCH) and handed to the
register mutation when the visitor registers (web/site/pages.py)."""

from __future__ import annotations

from http.cookies import SimpleCookie
from typing import Final
from urllib.parse import parse_qs

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from domain.affiliates.attribution import Touch, kept_code

TRACKING_COOKIE: Final = "stakehouse_btag"
LANDING_PARAMETER: Final = "btag"


def cookie_of(scope: Scope) -> str | None:
    for key, value in scope.get("headers", []):
        if key == b"cookie":
            jar: SimpleCookie = SimpleCookie()
            try:
                jar.load(value.decode("latin-1"))
            except Exception:
                return None
            if TRACKING_COOKIE in jar:
                return jar[TRACKING_COOKIE].value
    return None


class AffiliateTrackingMiddleware:
    def __init__(self, app: ASGIApp, *, touch: str) -> None:
        self.app = app
        self.touch = Touch(touch)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        query = scope.get("query_string", b"") if scope["type"] == "http" else b""
        if scope["type"] != "http" or scope["method"] != "GET" or b"btag=" not in query:
            await self.app(scope, receive, send)
            return
        landing = parse_qs(query.decode("latin-1")).get(LANDING_PARAMETER, [None])[0]
        cookie = cookie_of(scope)
        kept = kept_code(cookie, landing, self.touch)
        if kept is None or kept == cookie:
            await self.app(scope, receive, send)
            return
        # A session cookie: the code lasts while the visitor's browser session does.
        header = f"{TRACKING_COOKIE}={kept}; Path=/; Secure; HttpOnly; SameSite=Lax".encode(
            "latin-1"
        )

        async def send_with_cookie(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), (b"set-cookie", header)]
            await send(message)

        await self.app(scope, receive, send_with_cookie)
