"""Theme: the selected brand's look, saved as versions that must pass WCAG 2.2 AA contrast
(a refusal names each failing pair and its ratio), published live or rolled back to an
earlier version with a reason: colours, fonts (from a safe list), corner radii, logo and
favicon (PNG or WebP uploads, checked by their bytes), and the legal pages in Markdown.
Beside the form, the brand's real home page in a chosen version's look (a signed preview
on the brand's own host, framed)."""

from __future__ import annotations

import base64
from typing import Any, Final
from urllib.parse import urlencode

from starlette.datastructures import FormData, UploadFile
from starlette.requests import Request
from starlette.responses import Response

from domain.brands.theme import ColourTokens
from domain.brands.theme_content import (
    ASSET_BYTES_MAX,
    FONT_CHOICES,
    FONT_SLOTS,
    PAGE_CHARS_MAX,
    PAGE_NAMES,
    RADIUS_SLOTS,
    font_names,
)
from web.backoffice import strings
from web.backoffice.console import (
    Console,
    Page,
    cursor_param,
    first_error,
    id_field,
    read_problem,
    reason_of,
    text_field,
)

AREA: Final = "themes"
# The editor's save posts the palette, fonts, legal pages (up to 20,000 characters each)
# and a logo (48 KiB) and favicon (16 KiB) in one form: more than the app-wide 100 KB
# request limit (GraphQL documents), so this one endpoint gets its own (web/app.py).
SAVE_BODY_BYTES_MAX: Final = 512 * 1024
TOKENS: Final = tuple(ColourTokens.model_fields)
ASSET_KINDS: Final = ("logo", "favicon")
# Messages per page of the translations section (and so per save).
TRANSLATIONS_PAGE_SIZE: Final = 25
SEARCH_CHARS_MAX: Final = 100
TRANSLATION_CHARS_MAX: Final = 1_000


class ThemePages:
    def __init__(self, console: Console) -> None:
        self.console = console

    async def editor(self, request: Request) -> Response:
        page, refused = await self.console.open_area(request, AREA)
        if refused is not None:
            return refused
        return await self._editor(request, page)

    async def _editor(
        self,
        request: Request,
        page: Page,
        *,
        status: int = 200,
        error: str | None = None,
        typed: dict[str, Any] | None = None,
        typed_texts: dict[str, str] | None = None,
        words_at: dict[str, str] | None = None,
    ) -> Response:
        result = await self.console.run(request, "ThemeVersions")
        versions: list[dict[str, Any]] = result.data.get("themeVersions") or []
        words = await self._translations(
            request, page, versions[0] if versions else None, words_at or {}
        )
        # A page link of the section the API did not issue: said, with status 400.
        problem = words.pop("problem")
        error, status = error or problem, 400 if problem else status
        live = next((v for v in versions if v["live"]), None)
        shown = _shown(page, live)
        for group, values in (typed or {}).items():
            shown[group] = {**shown[group], **values}
        chosen = request.query_params.get("preview", "")
        previewed = next((v for v in versions if str(v["number"]) == chosen), None)
        previewed = previewed or (versions[0] if versions else None)
        origin = _brand_origin(request, page)
        return self.console.render(
            page,
            "themes.html",
            status=status,
            frame_sources=(origin,) if previewed else (),
            tokens=TOKENS,
            shown=shown,
            font_choices=tuple(FONT_CHOICES),
            font_slots=FONT_SLOTS,
            radius_slots=RADIUS_SLOTS,
            page_names=PAGE_NAMES,
            page_chars_max=PAGE_CHARS_MAX,
            versions=versions,
            live=live,
            previewed=previewed,
            preview_url=origin + previewed["previewPath"] if previewed else None,
            error=error,
            notice=strings.TEXT.get(request.query_params.get("notice", ""), None),
            words=words,
            typed_texts=typed_texts or {},
        )

    async def _translations(
        self,
        request: Request,
        page: Page,
        edited: dict[str, Any] | None,
        words_at: dict[str, str],
    ) -> dict[str, Any]:
        """The translations section: a page of the chosen language's messages with the
        overrides of the newest version (the one a save starts from). `words_at`: the
        language and search of a refused save (its form's), else the link's."""
        locales = page.brand.all_locales
        chosen = {**request.query_params, **words_at}
        locale = chosen.get("locale", "")
        locale = locale if locale in locales else page.brand.default_locale
        search = chosen.get("q", "")[:SEARCH_CHARS_MAX]
        after = cursor_param(request) if not words_at else None
        variables = {
            "locale": locale, "search": search, "first": TRANSLATIONS_PAGE_SIZE,
            "after": after, "version": edited["id"] if edited else None,
        }  # fmt: skip
        result = await self.console.run(request, "ThemeTranslations", variables)
        found = (result.data or {}).get("themeTranslations") or {}
        info = found.get("pageInfo") or {}
        return {
            "problem": read_problem(result),
            "locales": locales,
            "locale": locale,
            "search": search,
            "edited": edited,
            "entries": [edge["node"] for edge in found.get("edges") or ()],
            "next_query": urlencode(
                {"locale": locale, "q": search, "after": info.get("endCursor") or ""}
            )
            if info.get("hasNextPage")
            else None,
        }

    async def save_translations(self, request: Request) -> Response:
        page, form, refused = await self.console.act(request, AREA, "SaveThemeTranslations")
        if refused is not None:
            return refused
        locale = text_field(form, "locale", 16)
        search = text_field(form, "q", SEARCH_CHARS_MAX)
        texts: dict[str, str] = {}
        for index in range(TRANSLATIONS_PAGE_SIZE):
            msgid = form.get(f"msgid_{index}")
            text = form.get(f"text_{index}")
            if isinstance(msgid, str) and isinstance(text, str):
                # Cut one past the limit: the API refuses it with its own message.
                texts[msgid] = text[: TRANSLATION_CHARS_MAX + 1]
        base = id_field(form, "base", "ThemeVersion")
        draft: dict[str, Any] = {
            "locale": locale,
            "translations": [{"msgid": k, "text": v} for k, v in texts.items()],
            "version": base,
        }
        result = await self.console.run(request, "SaveThemeTranslations", {"input": draft})
        error = first_error(result.data["saveThemeTranslations"])
        if error is not None:
            return await self._editor(
                request, page, status=400, error=error, typed_texts=texts,
                words_at={"locale": locale, "q": search},
            )  # fmt: skip
        query = urlencode({"notice": "translations_saved", "locale": locale, "q": search})
        return self.console.redirect(request, f"/themes?{query}#translations-title")

    async def save(self, request: Request) -> Response:
        page, form, refused = await self.console.act(
            request, AREA, "SaveThemeDraft", files_max=len(ASSET_KINDS)
        )
        if refused is not None:
            return refused
        typed = _typed(form)
        draft: dict[str, Any] = {
            "colours": [{"name": k, "value": v} for k, v in typed["colours"].items()],
            "fonts": typed["fonts"] or None,
            "radius": typed["radius"] or None,
            "pages": [{"name": k, "markdown": v} for k, v in typed["pages"].items()] or None,
        }
        for kind in ASSET_KINDS:
            upload = form.get(kind)
            if not isinstance(upload, UploadFile) or not upload.filename:
                continue
            # One byte past the limit is enough to refuse it; never read a large file.
            content = await upload.read(ASSET_BYTES_MAX[kind] + 1)
            if not content:
                continue
            result = await self.console.run(
                request,
                "UploadThemeAsset",
                {"input": {"kind": kind.upper(), "content": base64.b64encode(content).decode()}},
            )
            payload = result.data.get("uploadThemeAsset") or {}
            problem = first_error(payload)
            if problem is not None or not payload.get("asset"):
                message = strings.TEXT["upload_refused"].format(
                    kind=kind, message=problem or strings.TEXT["invalid_input"]
                )
                return await self._editor(request, page, status=400, error=message, typed=typed)
            draft[kind] = payload["asset"]["id"]
        result = await self.console.run(request, "SaveThemeDraft", {"input": draft})
        error = first_error(result.data["saveThemeDraft"])
        if error is not None:
            return await self._editor(request, page, status=400, error=error, typed=typed)
        return self.console.redirect(request, "/themes?notice=theme_saved")

    async def publish(self, request: Request) -> Response:
        page, form, refused = await self.console.act(request, AREA, "PublishTheme")
        if refused is not None:
            return refused
        version = id_field(form, "version", "ThemeVersion")
        reason = reason_of(form)
        if version is None or not reason:
            problem = "reason_required" if not reason else "invalid_input"
            return await self._editor(request, page, status=400, error=strings.TEXT[problem])
        result = await self.console.run(
            request, "PublishTheme", {"input": {"version": version, "reason": reason}}
        )
        error = first_error(result.data["publishTheme"])
        if error is not None:
            return await self._editor(request, page, status=400, error=error)
        return self.console.redirect(request, "/themes?notice=theme_published")


def _shown(page: Page, live: dict[str, Any] | None) -> dict[str, dict[str, str]]:
    """What the form starts from: the live version, else the theme folder's tokens."""
    tokens = page.brand.tokens
    if live is None:
        return {
            "colours": tokens.colour.model_dump(),
            "fonts": font_names(tokens.font.model_dump()),
            "radius": tokens.radius.model_dump(),
            "pages": {},
        }
    return {
        "colours": {c["name"]: c["value"] for c in live["colours"]},
        "fonts": live["fonts"] or font_names(tokens.font.model_dump()),
        "radius": live["radius"] or tokens.radius.model_dump(),
        "pages": {p["name"]: p["markdown"] for p in live["pages"]},
    }


def _typed(form: FormData) -> dict[str, dict[str, str]]:
    """The form's values by group; a font, radius or page the form does not carry (or
    leaves empty, for fonts and radii) is not sent, so the live version's stays."""
    pages = {}
    for name in PAGE_NAMES:
        value = form.get(f"page_{name}")
        if isinstance(value, str):
            # Cut one past the limit: the API refuses it with its own message.
            pages[name] = value[: PAGE_CHARS_MAX + 1]
    fonts = {slot: text_field(form, f"font_{slot}", 40) for slot in FONT_SLOTS}
    radius = {slot: text_field(form, f"radius_{slot}", 12) for slot in RADIUS_SLOTS}
    return {
        "colours": {token: text_field(form, token, 7) for token in TOKENS},
        "fonts": {slot: value for slot, value in fonts.items() if value},
        "radius": {slot: value for slot, value in radius.items() if value},
        "pages": pages,
    }


def _brand_origin(request: Request, page: Page) -> str:
    """The brand site's origin as staff reach it: its first domain, on the console's own
    scheme and port (dev and tests serve every host on one port)."""
    port = request.url.port
    host = page.brand.domains[0]
    return f"{request.url.scheme}://{host}" + (f":{port}" if port else "")
