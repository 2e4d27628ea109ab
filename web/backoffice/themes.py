"""Theme: the selected brand's palette (colour tokens), saved as versions that must pass
WCAG 2.2 AA contrast (a refusal names each failing pair and its ratio), published live or
rolled back to an earlier version with a reason. Fonts, logos and content pages stay in the
theme folder for now."""

from __future__ import annotations

from typing import Any, Final

from starlette.requests import Request
from starlette.responses import Response

from domain.brands.theme import ColourTokens
from web.backoffice import strings
from web.backoffice.console import Console, Page, first_error, id_field, reason_of, text_field

AREA: Final = "themes"
TOKENS: Final = tuple(ColourTokens.model_fields)


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
        typed: dict[str, str] | None = None,
    ) -> Response:
        result = await self.console.run(request, "ThemeVersions")
        versions: list[dict[str, Any]] = result.data.get("themeVersions") or []
        live = next((v for v in versions if v["live"]), None)
        shown = (
            {c["name"]: c["value"] for c in live["colours"]}
            if live
            else page.brand.tokens.colour.model_dump()
        )
        return self.console.render(
            page,
            "themes.html",
            status=status,
            tokens=TOKENS,
            colours={**shown, **(typed or {})},
            versions=versions,
            live=live,
            error=error,
            notice=strings.TEXT.get(request.query_params.get("notice", ""), None),
        )

    async def save(self, request: Request) -> Response:
        page, form, refused = await self.console.act(request, AREA, "SaveThemeDraft")
        if refused is not None:
            return refused
        typed = {token: text_field(form, token, 7) for token in TOKENS}
        result = await self.console.run(
            request,
            "SaveThemeDraft",
            {"input": {"colours": [{"name": k, "value": v} for k, v in typed.items()]}},
        )
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
