"""Account recovery pages: "forgot password", "reset password" (the reset e-mail's link)
and "verify e-mail" (the verification e-mail's link).

The links' pages only show a form: the token is used by the POST, so a mail scanner or
link preview that fetches the link uses up nothing. "Forgot password" shows one answer for
every well-formed address, with or without an account.
"""

from __future__ import annotations

from typing import Final

from starlette.requests import Request
from starlette.responses import Response

from web.site.refusals import field_errors
from web.site.site import Site

# A token longer than any we issue is not passed on (accounts.recovery.TOKEN_LENGTH_MAX).
TOKEN_LENGTH_MAX: Final = 64


def _token(value: object) -> str:
    token = str(value or "").strip()
    return token if len(token) <= TOKEN_LENGTH_MAX else ""


class RecoveryPages:
    def __init__(self, site: Site) -> None:
        self.site = site

    async def forgot_password(self, request: Request) -> Response:
        page = await self.site.page(request)
        if request.method == "GET":
            return self.site.render(page, "forgot_password.html", errors={}, email="", sent=False)
        form = await self.site.form(request)
        if form is None:
            return self.site.forbidden(page)
        email = str(form.get("email") or "").strip()
        result = await self.site.graphql.run(
            request, "RequestPasswordReset", {"input": {"email": email}}
        )
        payload = result.data["requestPasswordReset"]
        if payload["errors"]:
            return self.site.render(
                page,
                "forgot_password.html",
                status=400,
                errors=field_errors(page, payload["errors"]),
                email=email,
                sent=False,
            )
        return self.site.render(page, "forgot_password.html", errors={}, email=email, sent=True)

    async def reset_password(self, request: Request) -> Response:
        page = await self.site.page(request)
        if request.method == "GET":
            token = _token(request.query_params.get("token"))
            return self.site.render(page, "reset_password.html", errors={}, token=token)
        form = await self.site.form(request)
        if form is None:
            return self.site.forbidden(page)
        token = _token(form.get("token"))
        variables = {"input": {"token": token, "newPassword": str(form.get("password") or "")}}
        result = await self.site.graphql.run(request, "ResetPassword", variables)
        payload = result.data["resetPassword"]
        if payload["errors"]:
            errors = field_errors(page, payload["errors"])
            if "newPassword" in errors:
                errors["password"] = errors.pop("newPassword")
            return self.site.render(
                page, "reset_password.html", status=400, errors=errors, token=token
            )
        # Every session ended with the reset, this browser's too (its cookie is cleared).
        return self.site.redirect(request, "/login?reset=1")

    async def verify_email(self, request: Request) -> Response:
        page = await self.site.page(request)
        if request.method == "GET":
            token = _token(request.query_params.get("token"))
            return self.site.render(
                page, "verify_email.html", errors={}, token=token, verified=False
            )
        form = await self.site.form(request)
        if form is None:
            return self.site.forbidden(page)
        token = _token(form.get("token"))
        result = await self.site.graphql.run(request, "VerifyEmail", {"input": {"token": token}})
        payload = result.data["verifyEmail"]
        if payload["errors"]:
            return self.site.render(
                page,
                "verify_email.html",
                status=400,
                errors=field_errors(page, payload["errors"]),
                token=token,
                verified=False,
            )
        return self.site.render(page, "verify_email.html", errors={}, token="", verified=True)
