"""Static assets of the server-rendered front ends (the brand sites, web.site, and the back
office, web.backoffice): one cache rule for both, so a change to it is made once."""

from __future__ import annotations

from pathlib import Path
from typing import Final

from starlette.responses import FileResponse

STATIC_MAX_AGE_S: Final = 3600
# Public: the same bytes for every visitor; an hour, since a deploy may change them.
STATIC_CACHE_CONTROL: Final = f"public, max-age={STATIC_MAX_AGE_S}"
# A fingerprinted URL (its content's hash in the name) never changes content: a year.
IMMUTABLE_MAX_AGE_S: Final = 365 * 24 * 3600
IMMUTABLE_CACHE_CONTROL: Final = f"public, max-age={IMMUTABLE_MAX_AGE_S}, immutable"


def static_file(
    path: Path, media_type: str | None = None, *, immutable: bool = False
) -> FileResponse:
    """A static file under the front ends' cache rule (media type guessed when not given);
    `immutable`: asked for by its fingerprinted name, so cached for a year."""
    cache = IMMUTABLE_CACHE_CONTROL if immutable else STATIC_CACHE_CONTROL
    return FileResponse(path, media_type=media_type, headers={"cache-control": cache})
