"""Connected login on the site: "Continue with your identity provider" on the sign-in and
registration pages, the provider's answer, and the registration or linking form.

The state the API hands out is also kept in a short-lived cookie of this browser, and the
answer must carry the same one: an answer started in another browser (login CSRF) is
refused here before the API even claims it. The API then refuses a state it did not
issue, one already answered (a replay), a forged or foreign ID token and a wrong nonce.
"""

from __future__ import annotations

import hmac
from typing import Any, Final

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from domain.accounts.connected_login import CALLBACK_PATH
from domain.kernel.settings import get_settings
from web.site.pages import REGISTERED_NEXT, _deposit_limit, _is_date
from web.site.refusals import field_errors
from web.site.site import Page, Site

STATE_COOKIE: Final = "__Host-stakehouse_connected_state"
_FORM_FIELDS: Final = (
    "username", "date_of_birth", "country", "currency",
    "deposit_limit_period", "deposit_limit_amount",
)  # fmt: skip


def _refused(site: Site, page: Page, errors: list[dict[str, Any]]) -> Response:
    return site.render(
        page, "connected.html", status=400, refused=True, errors=field_errors(page, errors)
    )


class ConnectedLoginPages:
    def __init__(self, site: Site) -> None:
        self.site = site

    async def start(self, request: Request) -> Response:
        """POST /login/connected: off to the provider's sign-in page."""
        page = await self.site.page(request)
        if await self.site.form(request) is None:
            return self.site.forbidden(page)
        origin = f"{request.url.scheme}://{request.url.netloc}"
        result = await self.site.graphql.run(
            request, "StartConnectedLogin", {"input": {"redirectUri": origin + CALLBACK_PATH}}
        )
        payload = result.data["startConnectedLogin"]
        if payload["errors"]:
            return _refused(self.site, page, payload["errors"])
        response = RedirectResponse(payload["authorizationUrl"], status_code=303)
        response.headers["cache-control"] = "no-store"
        response.set_cookie(
            STATE_COOKIE,
            payload["state"],
            max_age=get_settings().connected_login_minutes * 60,
            path="/",
            secure=True,
            httponly=True,
            samesite="lax",
        )
        return response

    async def callback(self, request: Request) -> Response:
        """GET /login/connected/callback?code&state: the provider's answer."""
        page = await self.site.page(request)
        state = request.query_params.get("state", "")
        kept = request.cookies.get(STATE_COOKIE, "")
        if not state or not kept or not hmac.compare_digest(state, kept):
            return _refused(self.site, page, [{"code": "AUTHORIZATION_REFUSED"}])
        variables = {
            "input": {
                "state": state,
                "code": request.query_params.get("code", ""),
                "transport": "COOKIE",
            }
        }
        result = await self.site.graphql.run(request, "CompleteConnectedLogin", variables)
        payload = result.data["completeConnectedLogin"]
        response: Response
        if payload["errors"]:
            response = _refused(self.site, page, payload["errors"])
        elif payload["signedIn"]:
            response = self.site.redirect(
                request, "/login/two-factor" if payload["twoFactorRequired"] else "/account"
            )
        else:
            registration = payload["registration"]
            response = self.site.render(
                page,
                "connected.html",
                refused=False,
                ticket=registration["ticket"],
                email=registration["email"],
                account_exists=registration["accountExists"],
                values={},
                errors={},
            )
        response.delete_cookie(STATE_COOKIE, path="/", secure=True, httponly=True)
        return response

    async def register(self, request: Request) -> Response:
        """POST /login/connected/register: what the jurisdiction asks, then the account."""
        page = await self.site.page(request)
        form = await self.site.form(request)
        if form is None:
            return self.site.forbidden(page)
        values = {name: str(form.get(name) or "").strip() for name in _FORM_FIELDS}
        ticket, email = str(form.get("ticket") or ""), str(form.get("email") or "")
        if page.brand.countries and not values["country"]:
            values["country"] = page.brand.countries[0]
        limit = _deposit_limit(values)
        errors: dict[str, str] = {}
        if not _is_date(values["date_of_birth"]):
            errors["dateOfBirth"] = page.gettext("Enter your date of birth.")
        if (values["deposit_limit_period"] or values["deposit_limit_amount"]) and limit is None:
            errors["depositLimit"] = page.gettext(
                "Choose a period and enter an amount above zero, or leave both empty."
            )
        if not errors:
            variables = {
                "input": {
                    "ticket": ticket,
                    "username": values["username"] or None,
                    "dateOfBirth": values["date_of_birth"],
                    "country": values["country"].upper(),
                    "currency": values["currency"] or page.brand.primary_currency,
                    "locale": page.locale,
                    "depositLimitPeriod": limit["period"] if limit else None,
                    "depositLimitAmount": limit["amount"] if limit else None,
                    "transport": "COOKIE",
                }
            }
            result = await self.site.graphql.run(request, "RegisterWithConnectedLogin", variables)
            payload = result.data["registerWithConnectedLogin"]
            if not payload["errors"]:
                return self.site.redirect(request, REGISTERED_NEXT)
            if any(error["field"] == "ticket" for error in payload["errors"]):
                return _refused(self.site, page, payload["errors"])
            errors = field_errors(page, payload["errors"])
        return self.site.render(
            page,
            "connected.html",
            status=400,
            refused=False,
            ticket=ticket,
            email=email,
            account_exists=False,
            values=values,
            errors=errors,
        )

    async def link(self, request: Request) -> Response:
        """POST /login/connected/link: the existing account's password links the identity."""
        page = await self.site.page(request)
        form = await self.site.form(request)
        if form is None:
            return self.site.forbidden(page)
        ticket = str(form.get("ticket") or "")
        variables = {
            "input": {
                "ticket": ticket,
                "password": str(form.get("password") or ""),
                "transport": "COOKIE",
            }
        }
        result = await self.site.graphql.run(request, "LinkConnectedLogin", variables)
        payload = result.data["linkConnectedLogin"]
        if not payload["errors"]:
            two_factor = payload["twoFactorRequired"]
            return self.site.redirect(request, "/login/two-factor" if two_factor else "/account")
        if any(error["field"] == "ticket" for error in payload["errors"]):
            return _refused(self.site, page, payload["errors"])
        return self.site.render(
            page,
            "connected.html",
            status=400,
            refused=False,
            ticket=ticket,
            email=str(form.get("email") or ""),
            account_exists=True,
            values={},
            errors=field_errors(page, payload["errors"]),
        )
