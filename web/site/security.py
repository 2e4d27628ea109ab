"""The website's request security: CSRF tokens with an Origin check, and the nonce CSP.

CSRF: a random `__Host-` cookie per browser and, in every form (hidden field) and htmx
request (`X-CSRF-Token` header, set once on `<body hx-headers>`), an HMAC of it under the
server secret, bound to the brand. An unsafe request must carry a matching token *and*
come from the brand's own origin (`Origin`, which browsers send on every POST; a request
without one is refused). Either alone would do against today's browsers; both are cheap.

CSP: a fresh nonce per page; only scripts carrying it run (no inline handlers, no eval),
styles and images come from the site itself, and nothing may frame it. The casino's game
page adds `frame-src` for the game server it frames.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from typing import Final

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response

from domain.brands.service import Brand
from web.graphql import same_origin

CSRF_COOKIE: Final = "__Host-stakehouse_csrf"
CSRF_FIELD: Final = "csrf_token"
CSRF_HEADER: Final = "x-csrf-token"
CSRF_COOKIE_MAX_AGE_S: Final = 14 * 24 * 3600
UNSAFE_METHODS: Final = frozenset({"POST", "PUT", "PATCH", "DELETE"})
# Browsers label requests they make for another site's page; anything but these is refused.
_SAME_SITE_FETCHES: Final = frozenset({"same-origin", "none"})


def new_nonce() -> str:
    return secrets.token_urlsafe(18)


def content_security_policy(
    nonce: str, frame_sources: tuple[str, ...] = (), form_targets: tuple[str, ...] = ()
) -> str:
    """The page's CSP; `frame_sources` only for a page that frames a game (the casino's
    game page), so every other page keeps the default (same-origin) frame rule.
    `form_targets`: origins a form's answer may redirect to (the brand's connected-login
    provider: browsers hold the redirect after a POST to form-action too)."""
    frames = (f"frame-src {' '.join(frame_sources)}",) if frame_sources else ()
    return "; ".join(
        (
            "default-src 'self'",
            *frames,
            f"script-src 'nonce-{nonce}'",
            # The page's stylesheet is inline (web.site.themes.inline_css), under the nonce.
            f"style-src 'self' 'nonce-{nonce}'",
            "img-src 'self' data:",
            "font-src 'self'",
            "connect-src 'self'",
            " ".join(("form-action 'self'", *form_targets)),
            "frame-ancestors 'none'",
            "base-uri 'none'",
            "object-src 'none'",
        )
    )


def _sign(secret_key: str, brand: Brand, browser_secret: str) -> str:
    message = f"csrf|{brand.slug}|{browser_secret}".encode()
    return hmac.new(secret_key.encode(), message, hashlib.sha256).hexdigest()


class CsrfGuard:
    def __init__(self, secret_key: str) -> None:
        self.secret_key = secret_key

    def token(self, request: Request) -> tuple[str, str | None]:
        """The page's token, and a new browser secret to set as a cookie (None: keep)."""
        brand: Brand = request.scope["state"]["brand"]
        browser_secret = request.cookies.get(CSRF_COOKIE)
        fresh = None
        if not browser_secret or len(browser_secret) > 100:
            browser_secret = fresh = secrets.token_urlsafe(32)
        request.scope["state"]["csrf_secret"] = browser_secret
        return _sign(self.secret_key, brand, browser_secret), fresh

    def check(self, request: Request, form: FormData | None) -> bool:
        """Whether an unsafe request is the brand's own page acting for its visitor."""
        brand: Brand = request.scope["state"]["brand"]
        if not same_origin(request, brand):
            return False
        fetch_site = request.headers.get("sec-fetch-site")
        if fetch_site is not None and fetch_site not in _SAME_SITE_FETCHES:
            return False
        browser_secret = request.cookies.get(CSRF_COOKIE)
        sent = request.headers.get(CSRF_HEADER)
        if sent is None and form is not None:
            value = form.get(CSRF_FIELD)
            sent = value if isinstance(value, str) else None
        if not browser_secret or not sent:
            return False
        expected = _sign(self.secret_key, brand, browser_secret)
        return hmac.compare_digest(expected, sent)


def set_csrf_cookie(response: Response, browser_secret: str) -> None:
    # Strict: the token's secret never rides along on another site's request.
    response.set_cookie(
        CSRF_COOKIE,
        browser_secret,
        max_age=CSRF_COOKIE_MAX_AGE_S,
        path="/",
        secure=True,
        httponly=True,
        samesite="strict",
    )
