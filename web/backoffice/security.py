"""The back office's request security: its own session and CSRF cookies, and the check that
an unsafe request is the console's own page acting for its staff member.

The cookies are `__Host-` and distinct from the players' (a staff session never rides on a
brand site's request, nor a player's on the console's). The session cookie is SameSite=Strict:
nobody follows a link from another site into a signed-in console action.

CSRF: as the brand sites (web.site.security): an HMAC of a per-browser secret in every form,
and the request's Origin must be the admin host it was sent to.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from typing import Final

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response

from domain.brands.service import normalise_host

STAFF_SESSION_COOKIE: Final = "__Host-stakehouse_staff_session"
STAFF_CSRF_COOKIE: Final = "__Host-stakehouse_staff_csrf"
CSRF_FIELD: Final = "csrf_token"
CSRF_COOKIE_MAX_AGE_S: Final = 12 * 3600
BRAND_COOKIE_MAX_AGE_S: Final = 365 * 24 * 3600
_SAME_SITE_FETCHES: Final = frozenset({"same-origin", "none"})


def content_security_policy(nonce: str, frame_sources: tuple[str, ...] = ()) -> str:
    """The console's CSP: nothing but its own styles, images and nonce'd scripts; a page
    that frames a brand's preview names that brand's origin in `frame_sources`."""
    frames = (f"frame-src {' '.join(frame_sources)}",) if frame_sources else ()
    return "; ".join(
        (
            "default-src 'self'",
            *frames,
            f"script-src 'nonce-{nonce}'",
            "style-src 'self'",
            "img-src 'self' data:",
            "connect-src 'self'",
            "form-action 'self'",
            "frame-ancestors 'none'",
            "base-uri 'none'",
            "object-src 'none'",
        )
    )


def _sign(secret_key: str, browser_secret: str) -> str:
    message = f"staff-csrf|{browser_secret}".encode()
    return hmac.new(secret_key.encode(), message, hashlib.sha256).hexdigest()


class StaffCsrfGuard:
    def __init__(self, secret_key: str, admin_hosts: list[str]) -> None:
        self.secret_key = secret_key
        self.admin_hosts = frozenset(host.lower() for host in admin_hosts)

    def token(self, request: Request) -> tuple[str, str | None]:
        """The page's token, and a new browser secret to set as a cookie (None: keep)."""
        browser_secret = request.cookies.get(STAFF_CSRF_COOKIE)
        fresh = None
        if not browser_secret or len(browser_secret) > 100:
            browser_secret = fresh = secrets.token_urlsafe(32)
        return _sign(self.secret_key, browser_secret), fresh

    def same_origin(self, request: Request) -> bool:
        origin = request.headers.get("origin")
        host = request.headers.get("host", "")
        if not origin or normalise_host(host) not in self.admin_hosts:
            return False
        return origin in {f"https://{host}", f"{request.url.scheme}://{host}"}

    def check(self, request: Request, form: FormData) -> bool:
        if not self.same_origin(request):
            return False
        fetch_site = request.headers.get("sec-fetch-site")
        if fetch_site is not None and fetch_site not in _SAME_SITE_FETCHES:
            return False
        browser_secret = request.cookies.get(STAFF_CSRF_COOKIE)
        sent = form.get(CSRF_FIELD)
        if not browser_secret or not isinstance(sent, str):
            return False
        return hmac.compare_digest(_sign(self.secret_key, browser_secret), sent)


def set_cookie(response: Response, name: str, value: str | None, max_age: int) -> None:
    if value is None:
        response.delete_cookie(name, path="/", secure=True, httponly=True, samesite="strict")
        return
    response.set_cookie(
        name, value, max_age=max_age, path="/", secure=True, httponly=True, samesite="strict"
    )
