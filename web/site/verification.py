"""The player's profile and verification pages.

`/account/profile`: legal name, address, nationality and phone, saved through
`updateProfile` (field errors in the page's language). `/account/verification`: the tier,
what each step (deposit, play, withdrawal) needs under the brand's jurisdiction, the
checks so far; its form starts a check (`startVerification`) and sends the player to the
provider's hosted flow, which sends them back here.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Final

from babel.dates import format_date
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response

from web.graphql import set_session_cookie
from web.site.refusals import N_, UNKNOWN, field_errors, refusal
from web.site.site import Page, Site

PROFILE_FIELDS: Final = (
    "givenName", "familyName", "addressLine1", "addressLine2", "city", "postalCode",
    "addressCountry", "nationality", "phone",
)  # fmt: skip
FIELD_LENGTH_MAX: Final = 200
TIERS: Final = ("BASIC", "FULL", "ENHANCED")
# Words for the API's enum values, in the page's language.
TIER_NAMES: Final = {
    "NONE": N_("Not verified"),
    "BASIC": N_("Basic verification"),
    "FULL": N_("Full verification"),
    "ENHANCED": N_("Enhanced verification"),
}
STEP_NAMES: Final = {
    "DEPOSIT": N_("Deposits"),
    "PLAY": N_("Play"),
    "WITHDRAWAL": N_("Withdrawals"),
}
CHECK_STATUSES: Final = {
    "PENDING": N_("Waiting for your documents"),
    "APPROVED": N_("Approved"),
    "REJECTED": N_("Rejected"),
    "RESUBMISSION_REQUESTED": N_("Send your documents again"),
    "MANUAL_REVIEW": N_("Being reviewed by our team"),
}
NOTICES: Final = {"saved": N_("Your profile is saved.")}
ERASED: Final = N_(
    "Your account is closed and your data erased. Records the law makes us keep are held "
    "until %(day)s, then erased too."
)


def _flow_location(flow_url: str) -> str | None:
    """The provider's hosted flow: a path on this host (the built-in provider) or an
    https URL (a real provider's); anything else is not followed."""
    if flow_url.startswith("/") and not flow_url.startswith("//"):
        return flow_url
    if flow_url.startswith("https://"):
        return flow_url
    return None


class VerificationPages:
    def __init__(self, site: Site) -> None:
        self.site = site

    async def profile(self, request: Request) -> Response:
        """GET: the profile. POST: save it."""
        page, refused = await self.site.signed_in_page(request)
        if refused:
            return refused
        if request.method == "GET":
            result = await self.site.graphql.run(request, "Profile")
            values = (result.data.get("viewer") or {}).get("profile") or {}
            notice = NOTICES.get(request.query_params.get("done", ""))
            return self._profile_form(page, values, {}, page.gettext(notice) if notice else None)
        form = await self.site.form(request)
        if form is None:
            return self.site.forbidden(page)
        values = {name: str(form.get(name) or "")[:FIELD_LENGTH_MAX] for name in PROFILE_FIELDS}
        variables = {"input": {"profile": {k: v or None for k, v in values.items()}}}
        result = await self.site.graphql.run(request, "UpdateProfile", variables)
        errors = result.data["updateProfile"]["errors"]
        if errors:
            return self._profile_form(page, values, field_errors(page, errors), None)
        return self.site.redirect(request, "/account/profile?done=saved")

    def _profile_form(
        self,
        page: Page,
        values: dict[str, Any],
        errors: dict[str, str],
        notice: str | None,
        erasure_error: str | None = None,
    ) -> Response:
        failed = bool(errors) or erasure_error is not None
        return self.site.render(
            page, "account/profile.html", status=400 if failed else 200, personal=True,
            values=values, errors=errors, notice=notice, erasure_error=erasure_error,
        )  # fmt: skip

    async def personal_data(self, request: Request) -> Response:
        """GET /account/data.json: everything held about the player, as a download."""
        page, refused = await self.site.signed_in_page(request)
        if refused:
            return refused
        result = await self.site.graphql.run(request, "PersonalData")
        document = (result.data.get("viewer") or {}).get("personalData")
        if document is None:
            return self.site.forbidden(page)
        response = JSONResponse(document)
        response.headers["content-disposition"] = 'attachment; filename="my-data.json"'
        self.site.secure(response, page, personal=True)
        return response

    async def erasure(self, request: Request) -> Response:
        """POST /account/erasure: close the account and erase the data (confirmed)."""
        page, refused = await self.site.signed_in_page(request)
        if refused:
            return refused
        form = await self.site.form(request)
        if form is None:
            return self.site.forbidden(page)
        variables = {
            "input": {
                "confirm": form.get("confirm") == "yes",
                "password": form.get("erasure-password") or None,
                "twoFactorCode": form.get("erasure-code") or None,
            }
        }
        result = await self.site.graphql.run(request, "RequestErasure", variables)
        answer = result.data["requestErasure"]
        if answer["errors"]:
            profile = await self.site.graphql.run(request, "Profile")
            values = (profile.data.get("viewer") or {}).get("profile") or {}
            return self._profile_form(
                page, values, {}, None, erasure_error=refusal(page, answer["errors"][0])
            )
        until = datetime.fromisoformat(answer["retainedUntil"]).date()
        day = format_date(until, format="medium", locale=page.locale)
        response = self.site.render(
            page, "account/erased.html", personal=True,
            message=page.gettext(ERASED) % {"day": day},
        )  # fmt: skip
        # The session ended with the account: the browser forgets its cookie too.
        set_session_cookie(response, None, 0)
        return response

    async def verification(self, request: Request) -> Response:
        """GET: where verification stands. POST: start a check and go to the provider."""
        page, refused = await self.site.signed_in_page(request)
        if refused:
            return refused
        error = None
        if request.method == "POST":
            form = await self.site.form(request)
            if form is None:
                return self.site.forbidden(page)
            tier = str(form.get("tier") or "")
            if tier in TIERS:
                result = await self.site.graphql.run(
                    request, "StartVerification", {"input": {"tier": tier}}
                )
                started = result.data["startVerification"]
                location = _flow_location((started["check"] or {}).get("flowUrl") or "")
                if not started["errors"] and location is not None:
                    response = RedirectResponse(location, status_code=303)
                    response.headers["cache-control"] = "no-store"
                    return response
                errors = started["errors"]
                error = refusal(page, errors[0]) if errors else page.gettext(UNKNOWN)
            else:
                error = page.gettext("Choose a verification level.")
        result = await self.site.graphql.run(request, "Verification")
        verification = ((result.data.get("viewer") or {}).get("player") or {}).get(
            "verification"
        ) or {}
        for check in verification.get("checks") or []:
            expires = check.get("documentExpiresOn")
            check["expires"] = (
                format_date(date.fromisoformat(expires), format="medium", locale=page.locale)
                if expires
                else None
            )
        return self.site.render(
            page, "account/verification.html", status=400 if error else 200, personal=True,
            verification=verification, error=error, tier_names=TIER_NAMES,
            step_names=STEP_NAMES, check_statuses=CHECK_STATUSES,
        )  # fmt: skip
