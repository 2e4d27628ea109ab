"""Signed preview tokens: the theme editor frames a brand's real pages rendered with a
draft version. The token names the brand, the version and an expiry, signed with the
platform's secret, so only staff who could list the version (theme.manage) ever hold one,
and it opens nothing but that brand's pages in that version's look for a few minutes."""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import datetime, timedelta
from typing import Final

PREVIEW_TTL: Final = timedelta(minutes=30)
TOKEN_CHARS_MAX: Final = 200
_PURPOSE: Final = b"theme-preview\x00"


def _signature(secret: str, payload: str) -> str:
    digest = hmac.new(secret.encode(), _PURPOSE + payload.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest[:24]).decode()


def preview_token(secret: str, brand: str, version_id: int, now: datetime) -> str:
    """`<version>.<expiry>.<signature>` for `brand` (the brand is signed, not carried)."""
    expires = int((now + PREVIEW_TTL).timestamp())
    payload = f"{version_id}.{expires}"
    return f"{payload}.{_signature(secret, brand + '|' + payload)}"


def previewed_version(secret: str, token: str, brand: str, now: datetime) -> int | None:
    """The version a token opens on `brand`, or None when it is forged, of another brand or
    expired."""
    if len(token) > TOKEN_CHARS_MAX or token.count(".") != 2:
        return None
    version, expires, signature = token.split(".")
    if not (version.isascii() and version.isdigit() and expires.isascii() and expires.isdigit()):
        return None
    expected = _signature(secret, f"{brand}|{version}.{expires}")
    if not hmac.compare_digest(expected.encode(), signature.encode()):
        return None
    if int(expires) < now.timestamp() or len(version) > 18:
        return None
    return int(version)
