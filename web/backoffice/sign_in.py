"""Staff sign-in: password (or seed's one-time password), then the second factor — a TOTP
code, or enrolment for staff who have none — then a new password where one is owed.
Also sign-out and the brand switcher."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from web.backoffice.console import Console, Page, text_field
from web.backoffice.security import BRAND_COOKIE_MAX_AGE_S, set_cookie
from web.middleware import ADMIN_BRAND_COOKIE
from web.site.site import local_path


class SignInPages:
    def __init__(self, console: Console) -> None:
        self.console = console

    async def _page(self, request: Request) -> Page:
        return self.console.page_for(request, await self.console.viewer(request))

    async def _checked_form(self, request: Request, page: Page) -> tuple[dict[str, str], bool]:
        form = await request.form(max_files=0, max_fields=10)
        fields = {key: value for key, value in form.items() if isinstance(value, str)}
        return fields, self.console.csrf.check(request, form)

    async def login(self, request: Request) -> Response:
        page = await self._page(request)
        next_path = local_path(request.query_params.get("next"), "/")
        if request.method == "GET":
            if page.viewer.signed_in:
                return self.console.redirect(request, next_path)
            return self.console.render(page, "login.html", next_path=next_path)
        fields, valid = await self._checked_form(request, page)
        if not valid:
            return self.console.forbidden(page)
        result = await self.console.run(
            request,
            "StaffLogin",
            {
                "input": {
                    "email": fields.get("email", "")[:320],
                    "password": fields.get("password", "")[:200],
                    "transport": "COOKIE",
                }
            },
        )
        if result.data["staffLogin"]["errors"]:
            return self.console.render(
                page, "login.html", status=400, next_path=next_path, failed=True,
                email=fields.get("email", "")[:320],
            )  # fmt: skip
        # Where the second factor is owed: enrolment or a code (the viewer says which).
        viewer = await self.console.viewer(request)
        unfinished = self.console.unfinished_sign_in(request, viewer)
        return unfinished or self.console.redirect(request, next_path)

    async def two_factor(self, request: Request) -> Response:
        """The second factor: a code, or for staff without one (seed's admin, a new member)
        enrolment first: a new key is shown each time the page is, and the last one shown
        is the one its first code confirms."""
        page = await self._page(request)
        if not page.viewer.present or not page.viewer.two_factor_pending:
            return self.console.redirect(request, "/login")
        failed = False
        if request.method == "POST":
            fields, valid = await self._checked_form(request, page)
            if not valid:
                return self.console.forbidden(page)
            code = fields.get("code", "")[:12]
            enrolling = fields.get("step") == "enrol"
            operation = "ConfirmTwoFactorEnrolment" if enrolling else "StaffCompleteTwoFactor"
            result = await self.console.run(request, operation, {"input": {"code": code}})
            field = "confirmTwoFactorEnrolment" if enrolling else "completeTwoFactor"
            if not result.data[field]["errors"]:
                return await self._after_second_factor(request)
            failed = True
        begun = await self.console.run(request, "BeginTwoFactorEnrolment")
        enrolment = begun.data["beginTwoFactorEnrolment"]
        status = 400 if failed else 200
        if enrolment["secret"]:
            return self.console.render(
                page, "enrol.html", status=status, failed=failed,
                secret=enrolment["secret"], provisioning_uri=enrolment["provisioningUri"],
            )  # fmt: skip
        return self.console.render(page, "two_factor.html", status=status, failed=failed)

    async def _after_second_factor(self, request: Request) -> Response:
        viewer = await self.console.viewer(request)
        unfinished = self.console.unfinished_sign_in(request, viewer)
        return unfinished or self.console.redirect(request, "/")

    async def password(self, request: Request) -> Response:
        page = await self._page(request)
        if not page.viewer.signed_in:
            return self.console.redirect(request, "/login")
        if request.method == "GET":
            return self.console.render(page, "password.html")
        fields, valid = await self._checked_form(request, page)
        if not valid:
            return self.console.forbidden(page)
        result = await self.console.run(
            request,
            "ChangePassword",
            {
                "input": {
                    "currentPassword": fields.get("current_password", "")[:200],
                    "newPassword": fields.get("new_password", "")[:200],
                }
            },
        )
        errors = result.data["changePassword"]["errors"]
        if errors:
            return self.console.render(
                page, "password.html", status=400, error=errors[0]["message"]
            )
        return self.console.redirect(request, "/")

    async def logout(self, request: Request) -> Response:
        page = await self._page(request)
        _, valid = await self._checked_form(request, page)
        if not valid:
            return self.console.forbidden(page)
        if page.viewer.staff is not None:
            await self.console.run(request, "StaffLogout")
        return self.console.redirect(request, "/login")

    async def switch_brand(self, request: Request) -> Response:
        """The brand the console works on: one of the staff member's brands only."""
        page = await self._page(request)
        form = await request.form(max_files=0, max_fields=10)
        if not self.console.csrf.check(request, form) or not page.viewer.signed_in:
            return self.console.forbidden(page)
        chosen = text_field(form, "brand", 64)
        if chosen not in {brand.slug for brand in page.brands}:
            return self.console.forbidden(page)
        response = self.console.redirect(request, local_path(form.get("next"), "/"))
        set_cookie(response, ADMIN_BRAND_COOKIE, chosen, BRAND_COOKIE_MAX_AGE_S)
        return response
