"""Responsible gambling: the brand's page (Markdown) with the player's tools, and
self-exclusion in two steps (choose a period, then confirm), without JavaScript.

Limits, time-outs and reality checks are in web.site.protection.
"""

from __future__ import annotations

from typing import Final

from starlette.requests import Request
from starlette.responses import Response

from web.site.refusals import refusal
from web.site.site import Page, Site

# The API's SelfExclusionPeriod values, shortest first.
PERIODS: Final = ("SIX_MONTHS", "ONE_YEAR", "FIVE_YEARS", "PERMANENT")
SELF_EXCLUSION_PATH: Final = "/responsible-gambling/self-exclusion"


def period_names(page: Page) -> dict[str, str]:
    return {
        "SIX_MONTHS": page.gettext("6 months"),
        "ONE_YEAR": page.gettext("1 year"),
        "FIVE_YEARS": page.gettext("5 years"),
        "PERMANENT": page.gettext("Permanently"),
    }


class ResponsibleGamblingPages:
    def __init__(self, site: Site) -> None:
        self.site = site

    async def overview(self, request: Request) -> Response:
        page = await self.site.page(request)
        content = page.theme.legal_page("responsible-gambling", page.locale)
        return self.site.render(page, "responsible/index.html", content=content)

    async def self_exclusion(self, request: Request) -> Response:
        """GET: choose a period. POST step=review: the confirmation step (nothing changes
        yet). POST step=confirm: exclude now (the API checks `confirm`), then the
        farewell page, signed out."""
        page = await self.site.page(request)
        if not page.viewer.signed_in:
            return self.site.sign_in_first(request, page)
        if request.method == "GET":
            return self._choose(page, error=None)
        return await self._post(request, page)

    async def _post(self, request: Request, page: Page) -> Response:
        form = await self.site.form(request)
        if form is None:
            return self.site.forbidden(page)
        period = str(form.get("period") or "")
        if period not in PERIODS:
            return self._choose(page, error=page.gettext("Choose how long to exclude yourself."))
        if form.get("step") != "confirm":
            return self._review(page, period, error=None)
        variables = {"input": {"period": period, "confirm": form.get("confirm") == "true"}}
        result = await self.site.graphql.run(request, "SelfExclude", variables)
        payload = result.data["selfExclude"]
        if payload["errors"]:
            return self._review(page, period, error=refusal(page, payload["errors"][0]))
        # Signed out now: the page around the farewell shows a visitor.
        signed_out = await self.site.page(request)
        return self.site.render(
            signed_out,
            "responsible/self_excluded.html",
            personal=True,
            period=period,
            periods=period_names(page),
            until=payload["excludedUntil"],
        )

    def _choose(self, page: Page, error: str | None) -> Response:
        return self.site.render(
            page,
            "responsible/self_exclusion.html",
            personal=True,
            status=400 if error else 200,
            periods=period_names(page),
            error=error,
        )

    def _review(self, page: Page, period: str, error: str | None) -> Response:
        return self.site.render(
            page,
            "responsible/confirm.html",
            personal=True,
            status=400 if error else 200,
            period=period,
            periods=period_names(page),
            error=error,
        )
