"""Staff: the signed-in member's roles and brand scope; for staff.manage, create a member
(with a one-time password shown once) and replace a member's roles."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Final

from starlette.requests import Request
from starlette.responses import Response

from domain.accounts.permissions import Role
from web.backoffice import strings
from web.backoffice.console import Console, Page, first_error, id_field, text_field

AREA: Final = "staff"
ROLES: Final = tuple(role.name for role in Role)
MEMBERS_MAX: Final = 200
SEARCH_CHARS_MAX: Final = 100


def _roles(values: Sequence[object]) -> list[str]:
    return [value for value in values if isinstance(value, str) and value in ROLES]


class StaffPages:
    def __init__(self, console: Console) -> None:
        self.console = console

    async def overview(self, request: Request) -> Response:
        page, refused = await self.console.open_area(request, AREA)
        if refused is not None:
            return refused
        return await self._render(
            request, page, notice=strings.TEXT.get(request.query_params.get("notice", ""))
        )

    async def _render(
        self, request: Request, page: Page, *, status: int = 200, **values: Any
    ) -> Response:
        search = request.query_params.get("q", "").strip()[:SEARCH_CHARS_MAX]
        result = await self.console.run(
            request, "StaffMembers", {"search": search or None, "first": MEMBERS_MAX}
        )
        return self.console.render(
            page, "staff.html", status=status, roles=ROLES,
            brand_slugs=sorted(self.console.registry.by_slug),
            members=result.data.get("staffMembers") or [], search=search, **values,
        )  # fmt: skip

    async def create(self, request: Request) -> Response:
        page, form, refused = await self.console.act(request, AREA, "CreateStaffMember")
        if refused is not None:
            return refused
        brands = [value for value in form.getlist("brands") if isinstance(value, str)]
        result = await self.console.run(
            request,
            "CreateStaffMember",
            {"input": {"email": text_field(form, "email", 320),
                       "roles": _roles(form.getlist("roles")), "brands": brands or None}},
        )  # fmt: skip
        payload = result.data["createStaffMember"]
        error = first_error(payload)
        if error is not None:
            return await self._render(request, page, status=400, error=error)
        return await self._render(
            request,
            page,
            created=payload["staffMember"],
            one_time_password=payload["oneTimePassword"],
        )

    async def set_roles(self, request: Request) -> Response:
        page, form, refused = await self.console.act(request, AREA, "SetStaffRoles")
        if refused is not None:
            return refused
        staff_id = id_field(form, "staff", "StaffMember")
        if staff_id is None:
            invalid = strings.TEXT["invalid_input"]
            return await self._render(request, page, status=400, error=invalid)
        result = await self.console.run(
            request,
            "SetStaffRoles",
            {"input": {"staffId": staff_id,
                       "roles": _roles(form.getlist("roles"))}},
        )  # fmt: skip
        error = first_error(result.data["setStaffRoles"])
        if error is not None:
            return await self._render(request, page, status=400, error=error)
        return self.console.redirect(request, "/staff?notice=roles_set")
