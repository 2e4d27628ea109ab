"""Public pages and signing in: home, legal pages, registration, login, two-factor, logout.

Every form works without JavaScript (a POST, then a 303 or the form again with its errors).
"""

from __future__ import annotations

from datetime import date
from typing import Final
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import Response

from web.site.protection import MONEY_PERIODS
from web.site.refusals import field_errors
from web.site.site import (
    LOCALE_COOKIE,
    LOCALE_COOKIE_MAX_AGE_S,
    Site,
    local_path,
    parse_amount,
)
from web.site.themes import LEGAL_PAGES
from web.site.tracking import TRACKING_COOKIE

# Where a player lands once registered (and signed in).
REGISTERED_NEXT: Final = "/account/deposit"
# The home page's rails: games per rail and events in play (and starting soon) shown.
HOME_GAMES: Final = 12
HOME_EVENTS: Final = 4
# How long the signed-out home page's answer is shared (as the lobby's, web.site.casino).
HOME_MAX_AGE_S: Final = 5.0


def _deposit_limit(values: dict[str, str]) -> dict[str, str] | None:
    """The register mutation's `depositLimit` from the optional prompt, when it is whole."""
    period, amount = values["deposit_limit_period"], parse_amount(values["deposit_limit_amount"])
    if period not in MONEY_PERIODS or amount is None:
        return None
    return {"period": period, "amount": str(amount)}


def _is_date(value: str) -> bool:
    try:
        date.fromisoformat(value)
    except ValueError:
        return False
    return True


class PublicPages:
    def __init__(self, site: Site) -> None:
        self.site = site

    async def home(self, request: Request) -> Response:
        """The home page: the brand's offer, games and events in play from one execution of
        SiteHome (shared between signed-out visitors for a few seconds, like the lobby)."""
        page = await self.site.page(request)
        signed_in = page.viewer.signed_in and not page.viewer.withdraw_only
        variables = {"signedIn": signed_in, "games": HOME_GAMES, "events": HOME_EVENTS}
        if page.viewer.withdraw_only:
            # A self-excluded player's session offers no play: the plain page.
            return self.site.render(page, "home.html", home=None)
        result = await self.site.graphql.run_shared(
            request, "SiteHome", variables, max_age_s=HOME_MAX_AGE_S
        )
        return self.site.render(page, "home.html", home=result.data)

    async def legal(self, request: Request) -> Response:
        page = await self.site.page(request)
        name = request.path_params["page"]
        content = page.theme.legal_page(name, page.locale) if name in LEGAL_PAGES else None
        if content is None:
            return self.site.render(
                page,
                "error.html",
                status=404,
                title=page.gettext("Page not found"),
                message=page.gettext("There is no such page."),
            )
        return self.site.render(page, "legal.html", content=content, name=name)

    async def responsible_gambling(self, request: Request) -> Response:
        request.scope["path_params"] = {"page": "responsible-gambling"}
        return await self.legal(request)

    async def language(self, request: Request) -> Response:
        """Choose the language of the pages (a preference, not a secret)."""
        brand = request.scope["state"]["brand"]
        response = self.site.redirect(request, "/")
        code = request.path_params["code"]
        if code in brand.all_locales:
            response.set_cookie(
                LOCALE_COOKIE,
                code,
                max_age=LOCALE_COOKIE_MAX_AGE_S,
                path="/",
                secure=True,
                httponly=True,
                samesite="lax",
            )
        return response


class SignInPages:
    def __init__(self, site: Site) -> None:
        self.site = site

    async def register(self, request: Request) -> Response:
        page = await self.site.page(request)
        if request.method == "GET":
            return self.site.render(page, "register.html", values={}, errors={})
        form = await self.site.form(request)
        if form is None:
            return self.site.forbidden(page)
        values = {
            name: str(form.get(name) or "").strip()
            for name in (
                "email", "username", "date_of_birth", "country", "currency",
                "deposit_limit_period", "deposit_limit_amount",
            )
        }  # fmt: skip
        brand = page.brand
        if brand.countries and not values["country"]:
            values["country"] = brand.countries[0]
        deposit_limit = _deposit_limit(values)
        variables = {
            "input": {
                "email": values["email"] or None,
                "username": values["username"] or None,
                "password": str(form.get("password") or ""),
                "dateOfBirth": values["date_of_birth"] or None,
                "country": values["country"].upper(),
                "currency": values["currency"] or brand.primary_currency,
                "locale": page.locale,
                "depositLimit": deposit_limit,
                # The affiliate code this visit landed with (web/site/tracking.py).
                "trackingCode": request.cookies.get(TRACKING_COOKIE),
            }
        }
        errors = {}
        if not _is_date(values["date_of_birth"]):
            errors["dateOfBirth"] = page.gettext("Enter your date of birth.")
        limit_typed = values["deposit_limit_period"] or values["deposit_limit_amount"]
        if limit_typed and deposit_limit is None:
            errors["depositLimit"] = page.gettext(
                "Choose a period and enter an amount above zero, or leave both empty."
            )
        if errors:
            return self.site.render(page, "register.html", status=400, values=values, errors=errors)
        result = await self.site.graphql.run(request, "Register", variables)
        payload = result.data["register"]
        if payload["errors"]:
            errors = field_errors(page, payload["errors"])
            return self.site.render(page, "register.html", status=400, values=values, errors=errors)
        # Registered: signed in at once with what was just typed (a new account has no
        # second factor), and on to the first deposit. Should the sign-in be refused,
        # the sign-in page says the account is ready.
        signed_in = await self.site.graphql.run(
            request,
            "Login",
            {
                "input": {
                    "identifier": values["email"] or values["username"],
                    "password": variables["input"]["password"],
                    "transport": "COOKIE",
                }
            },
        )
        login = signed_in.data["login"]
        if login["errors"] or login["twoFactorRequired"]:
            return self.site.redirect(request, "/login?registered=1")
        return self.site.redirect(request, REGISTERED_NEXT)

    async def login(self, request: Request) -> Response:
        page = await self.site.page(request)
        next_path = local_path(request.query_params.get("next"))
        if request.method == "GET":
            if page.viewer.signed_in:
                return self.site.redirect(request, next_path)
            return self.site.render(
                page,
                "login.html",
                errors={},
                identifier="",
                next_path=next_path,
                registered=request.query_params.get("registered") == "1",
                withdraw_only_offered=False,
                password_reset=request.query_params.get("reset") == "1",
            )
        form = await self.site.form(request)
        if form is None:
            return self.site.forbidden(page)
        identifier = str(form.get("identifier") or "").strip()
        variables = {
            "input": {
                "identifier": identifier,
                "password": str(form.get("password") or ""),
                "transport": "COOKIE",
                # A self-excluded player's way to their money (offered after SELF_EXCLUDED).
                "withdrawOnly": form.get("withdraw_only") == "1",
            }
        }
        result = await self.site.graphql.run(request, "Login", variables)
        payload = result.data["login"]
        next_path = local_path(form.get("next"))
        if payload["errors"]:
            return self.site.render(
                page,
                "login.html",
                status=400,
                errors=field_errors(page, payload["errors"]),
                identifier=identifier,
                next_path=next_path,
                registered=False,
                withdraw_only_offered=any(
                    error["code"] == "SELF_EXCLUDED" for error in payload["errors"]
                ),
                password_reset=False,
            )
        if payload["twoFactorRequired"]:
            return self.site.redirect(request, "/login/two-factor?next=" + quote(next_path))
        return self.site.redirect(request, next_path)

    async def two_factor(self, request: Request) -> Response:
        page = await self.site.page(request)
        next_path = local_path(request.query_params.get("next"))
        if not page.viewer.two_factor_pending:
            return self.site.redirect(request, next_path if page.viewer.signed_in else "/login")
        if request.method == "GET":
            return self.site.render(page, "two_factor.html", errors={}, next_path=next_path)
        form = await self.site.form(request)
        if form is None:
            return self.site.forbidden(page)
        variables = {"input": {"code": str(form.get("code") or "").strip()}}
        result = await self.site.graphql.run(request, "CompleteTwoFactor", variables)
        errors = result.data["completeTwoFactor"]["errors"]
        if errors:
            return self.site.render(
                page,
                "two_factor.html",
                status=400,
                errors=field_errors(page, errors),
                next_path=local_path(form.get("next")),
            )
        return self.site.redirect(request, local_path(form.get("next")))

    async def logout(self, request: Request) -> Response:
        page = await self.site.page(request)
        form = await self.site.form(request)
        if form is None:
            return self.site.forbidden(page)
        await self.site.graphql.run(request, "Logout")
        return self.site.redirect(request, "/")
