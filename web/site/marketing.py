"""Marketing preferences (the player's consent per channel) and the one-click unsubscribe
page an e-mail's link and List-Unsubscribe header point to.

The unsubscribe POST skips the CSRF check on purpose: mail clients send it from no page
at all (RFC 8058 one-click), and the signed token is the only authority it needs; it can
only withdraw one player's consent on one channel, never give it.
"""

from __future__ import annotations

from typing import Final

from starlette.requests import Request
from starlette.responses import Response

from web.site.refusals import refusal
from web.site.site import Page, Site

PREFERENCES_PATH: Final = "/account/marketing"
TOKEN_LENGTH_MAX: Final = 400
# The channels the site offers, in the order shown.
CHANNELS: Final = ("EMAIL", "SMS", "INBOX")


def _token(value: object) -> str:
    return str(value or "")[:TOKEN_LENGTH_MAX]


class MarketingPages:
    def __init__(self, site: Site) -> None:
        self.site = site

    async def preferences(self, request: Request) -> Response:
        """GET: the consents now. POST: save the ticked channels (changes only)."""
        page, refused = await self.site.signed_in_page(request)
        if refused:
            return refused
        result = await self.site.graphql.run(request, "MarketingConsents")
        granted = {item["channel"]: item["granted"] for item in result.data["marketingConsents"]}
        if request.method == "GET":
            saved = request.query_params.get("done") == "saved"
            return self._form(page, granted, saved=saved, error=None)
        form = await self.site.form(request)
        if form is None:
            return self.site.forbidden(page)
        wanted = {channel: form.get(channel.lower()) == "on" for channel in CHANNELS}
        for channel, on in wanted.items():
            if granted.get(channel, False) == on:
                continue
            variables = {"input": {"channel": channel, "granted": on}}
            changed = await self.site.graphql.run(request, "SetMarketingConsent", variables)
            errors = changed.data["setMarketingConsent"]["errors"]
            if errors:
                return self._form(page, granted, saved=False, error=refusal(page, errors[0]))
        return self.site.redirect(request, f"{PREFERENCES_PATH}?done=saved")

    def _form(
        self, page: Page, granted: dict[str, bool], *, saved: bool, error: str | None
    ) -> Response:
        return self.site.render(
            page,
            "account/marketing.html",
            status=400 if error else 200,
            personal=True,
            channels=CHANNELS,
            granted=granted,
            saved=saved,
            error=error,
        )

    async def unsubscribe(self, request: Request) -> Response:
        """GET: confirm (a link only shows a form, so mail scanners change nothing).
        POST: withdraw the consent the token names, from the form or one click."""
        page = await self.site.page(request)
        if request.method == "GET":
            token = _token(request.query_params.get("token"))
            return self.site.render(page, "unsubscribe.html", token=token, done=False, error=None)
        form = await request.form(max_files=0, max_fields=5)
        token = _token(form.get("token") or request.query_params.get("token"))
        result = await self.site.graphql.run(request, "Unsubscribe", {"input": {"token": token}})
        payload = result.data["unsubscribe"]
        if payload["errors"]:
            message = page.gettext("This unsubscribe link is not valid.")
            return self.site.render(
                page, "unsubscribe.html", status=400, token="", done=False, error=message
            )
        return self.site.render(page, "unsubscribe.html", token="", done=True, error=None)
