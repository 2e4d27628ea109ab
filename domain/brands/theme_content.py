"""What the theme editor accepts beside colours, checked before anything is stored: fonts
from a safe list (no web-font URL, nothing that could close a CSS declaration), radii
within bounds, legal pages as Markdown text (rendered later with raw HTML escaped), and
logo and favicon uploads recognised by their magic bytes (PNG, WebP) within a size. SVG is
refused outright: it can carry scripts and links, and no sanitiser is worth the risk for a
file every page shows."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

from pydantic import ValidationError

from domain.brands.errors import InvalidAsset, InvalidFont, InvalidPage, InvalidRadius
from domain.brands.theme import FontTokens, RadiusTokens

# Name -> the CSS font stack it stands for (system fonts only: nothing is downloaded).
FONT_CHOICES: Final = {
    "system": "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif",
    "humanist": "'Segoe UI', Candara, 'Trebuchet MS', 'DejaVu Sans', sans-serif",
    "geometric": "Avenir, Montserrat, Futura, 'Century Gothic', sans-serif",
    "serif": "Georgia, Cambria, 'Times New Roman', 'DejaVu Serif', serif",
    "slab": "Rockwell, 'Roboto Slab', 'DejaVu Serif', serif",
    "mono": "ui-monospace, Menlo, Consolas, 'DejaVu Sans Mono', monospace",
}
FONT_SLOTS: Final = tuple(FontTokens.model_fields)
RADIUS_SLOTS: Final = tuple(RadiusTokens.model_fields)
# Past this a corner is a pill on every control; the site's layout is not made for it.
RADIUS_PX_MAX: Final = 32
_RADIUS: Final = re.compile(r"^(0|(?P<number>[0-9]{1,2}(\.[0-9]{1,3})?)(?P<unit>px|rem|em))$")
_PX_PER_EM: Final = 16

# The pages a brand may write (web.site.themes.LEGAL_PAGES: the site's routes).
PAGE_NAMES: Final = ("terms", "privacy", "responsible-gambling")
PAGE_CHARS_MAX: Final = 20_000
# C0 controls but tab and line breaks, DEL, C1, and the bidirectional overrides.
_REFUSED_CHARACTERS: Final = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]"
)

ASSET_KINDS: Final = ("logo", "favicon")
# Bytes, before any base64: a logo is a small banner, a favicon an icon.
ASSET_BYTES_MAX: Final = {"logo": 48 * 1024, "favicon": 16 * 1024}
PNG_MAGIC: Final = b"\x89PNG\r\n\x1a\n"


@dataclass(frozen=True)
class CheckedAsset:
    kind: str
    media_type: str
    content: bytes
    digest: str

    @property
    def extension(self) -> str:
        return "png" if self.media_type == "image/png" else "webp"


def font_tokens(names: Mapping[str, str]) -> FontTokens:
    """Fonts by their names in FONT_CHOICES, one per slot (body, heading); a slot not
    given keeps the default. Errors: InvalidFont."""
    if set(names) - set(FONT_SLOTS):
        raise InvalidFont(field="fonts")
    stacks = {}
    for slot, name in names.items():
        if name not in FONT_CHOICES:
            raise InvalidFont(field=f"fonts.{slot}")
        stacks[slot] = FONT_CHOICES[name]
    return FontTokens(**stacks)


def font_names(tokens: Mapping[str, str]) -> dict[str, str]:
    """The names back from stored stacks (a stack not in the list: `system`)."""
    by_stack = {stack: name for name, stack in FONT_CHOICES.items()}
    return {slot: by_stack.get(tokens.get(slot, ""), "system") for slot in FONT_SLOTS}


def radius_tokens(values: Mapping[str, str]) -> RadiusTokens:
    """Radii per slot (small, medium, large), each 0 or a length of at most 32px (2rem,
    2em). Errors: InvalidRadius."""
    if set(values) - set(RADIUS_SLOTS):
        raise InvalidRadius(field="radius")
    for slot, value in values.items():
        found = _RADIUS.fullmatch(value)
        if found is None:
            raise InvalidRadius(field=f"radius.{slot}")
        if found["number"] is not None:
            px = float(found["number"]) * (1 if found["unit"] == "px" else _PX_PER_EM)
            if px > RADIUS_PX_MAX:
                raise InvalidRadius(field=f"radius.{slot}")
    try:
        return RadiusTokens(**dict(values))
    except ValidationError:
        raise InvalidRadius(field="radius") from None


def checked_pages(pages: Mapping[str, str]) -> dict[str, str]:
    """Legal pages by name as Markdown text, line endings normalised. Raw HTML is not
    refused here but escaped when the page is rendered. Errors: InvalidPage."""
    checked = {}
    for name, text in pages.items():
        if name not in PAGE_NAMES:
            raise InvalidPage(field="pages")
        if len(text) > PAGE_CHARS_MAX or _REFUSED_CHARACTERS.search(text):
            raise InvalidPage(field=f"pages.{name}")
        checked[name] = text.replace("\r\n", "\n").strip() + "\n"
    return checked


def checked_asset(kind: str, content: bytes) -> CheckedAsset:
    """An upload as a logo or favicon: PNG or WebP by its magic bytes (the name and the
    declared type are not trusted), within its kind's size. Errors: InvalidAsset."""
    if kind not in ASSET_KINDS:
        raise InvalidAsset(field="kind")
    if not content or len(content) > ASSET_BYTES_MAX[kind]:
        raise InvalidAsset(
            f"A {kind} is at most {ASSET_BYTES_MAX[kind] // 1024} KiB.", field="content"
        )
    if content.startswith(PNG_MAGIC) and len(content) > 24 and content[12:16] == b"IHDR":
        media_type = "image/png"
    elif content[:4] == b"RIFF" and content[8:12] == b"WEBP":
        media_type = "image/webp"
    else:
        raise InvalidAsset(field="content")
    return CheckedAsset(kind, media_type, content, hashlib.sha256(content).hexdigest())
