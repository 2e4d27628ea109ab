"""The back office's core: who is signed in (with which permissions, on which brand), the
guard of every page and action, and rendering with the console's security headers."""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, ClassVar, Final
from urllib.parse import quote

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from strawberry import relay
from strawberry.schema.base import BaseSchema

from domain.brands.service import Brand, BrandRegistry
from domain.kernel.settings import Settings
from schema.ids import int_key, uuid_key
from schema.inputs import TEXT_LENGTH_MAX
from web.backoffice import strings
from web.backoffice.access import Area, Permissions
from web.backoffice.security import (
    BRAND_COOKIE_MAX_AGE_S,
    CSRF_COOKIE_MAX_AGE_S,
    CSRF_FIELD,
    STAFF_CSRF_COOKIE,
    STAFF_SESSION_COOKIE,
    StaffCsrfGuard,
    content_security_policy,
    set_cookie,
)
from web.middleware import ADMIN_BRAND_COOKIE
from web.site.client import OperationResult, SiteGraphQL

PACKAGE_DIR: Final = Path(__file__).parent
DOCUMENTS_DIR: Final = PACKAGE_DIR / "documents"
TEMPLATES_DIR: Final = PACKAGE_DIR / "templates"
# Form fields a console form may carry (a reason, an amount, ids...).
FORM_FIELDS_MAX: Final = 30
REASON_CHARS_MAX: Final = 500


@dataclass
class StaffViewer:
    # A session answered (a staff member, perhaps with the second factor still owed).
    present: bool
    # Null until the second factor is done (the API shows nothing more before it).
    staff: dict[str, Any] | None
    two_factor_pending: bool
    # The permissions the API reports (for navigation and forms; the API enforces them).
    granted: frozenset[str]

    @property
    def signed_in(self) -> bool:
        return self.staff is not None and not self.two_factor_pending


NOBODY: Final = StaffViewer(False, None, two_factor_pending=False, granted=frozenset())


@dataclass
class Page:
    """What every console template sees."""

    request: Request
    viewer: StaffViewer
    brand: Brand
    brands: list[Brand]
    navigation: list[Area]
    csrf_token: str
    nonce: str
    fresh_csrf_secret: str | None
    notices: list[str] = field(default_factory=list)

    def can(self, *held: str) -> bool:
        return set(held) <= self.viewer.granted


class Console:
    """Shared by every console page: the GraphQL client, the permissions of its documents,
    CSRF, templates."""

    def __init__(
        self,
        settings: Settings,
        schema: BaseSchema,
        registry: BrandRegistry,
        areas: list[Area],
    ) -> None:
        self.settings = settings
        self.registry = registry
        self.graphql = SiteGraphQL(
            schema, settings, documents=DOCUMENTS_DIR, session_cookie=STAFF_SESSION_COOKIE
        )
        self.needs = Permissions(schema, self.graphql.documents)
        self.areas = areas
        self.requirements = {area.slug: self.needs.requirement(area) for area in areas}
        self.csrf = StaffCsrfGuard(settings.secret_key, settings.admin_hosts)
        self.templates = Environment(
            loader=FileSystemLoader(TEMPLATES_DIR),
            autoescape=select_autoescape(default=True, default_for_string=True),
            auto_reload=False,
        )
        self.templates.globals["text"] = strings.TEXT

    # -- who is signed in ------------------------------------------------------------

    async def viewer(self, request: Request) -> StaffViewer:
        """The signed-in staff member. A staff member limited to some brands reads nothing
        on another brand (the API answers nobody there): the console then moves to the
        first of the registry's brands where their session answers."""
        if self.graphql.context(request).credentials is None:
            return NOBODY  # no cookie, and no sign-in during this request
        viewer = await self._viewer_here(request)
        if viewer.present:
            return viewer
        current = request.scope["state"]["brand"].slug
        for slug in sorted(self.registry.by_slug):
            if slug == current:
                continue
            self._switch_brand(request, self.registry.by_slug[slug])
            viewer = await self._viewer_here(request)
            if viewer.present:
                request.scope["state"]["brand_moved"] = True
                return viewer
        self._switch_brand(request, self.registry.by_slug[current])
        return NOBODY

    async def _viewer_here(self, request: Request) -> StaffViewer:
        result = await self.graphql.run(request, "StaffViewer")
        data = result.data.get("viewer")
        if data is None:
            return NOBODY
        return StaffViewer(
            True,
            data.get("staff"),
            bool(data.get("twoFactorPending")),
            frozenset(data.get("permissions") or ()),
        )

    def _switch_brand(self, request: Request, brand: Brand) -> None:
        request.scope["state"]["brand"] = brand
        context = self.graphql.context(request)
        context.brand = brand
        context.forget_principal()

    def page_for(self, request: Request, viewer: StaffViewer) -> Page:
        token, fresh = self.csrf.token(request)
        staff_brands = (viewer.staff or {}).get("brands")
        brands = [
            brand
            for slug, brand in sorted(self.registry.by_slug.items())
            if staff_brands is None or slug in staff_brands
        ]
        navigation = [
            area
            for area in self.areas
            if viewer.signed_in and self.requirements[area.slug].met_by(viewer.granted)
        ]
        return Page(
            request=request,
            viewer=viewer,
            brand=request.scope["state"]["brand"],
            brands=brands,
            navigation=navigation,
            csrf_token=token,
            nonce=secrets.token_urlsafe(18),
            fresh_csrf_secret=fresh,
        )

    # -- guards ------------------------------------------------------------------------

    async def open_area(self, request: Request, slug: str) -> tuple[Page, Response | None]:
        """The page of area `slug`, or the response instead: sign in first (or finish the
        second factor, or replace a one-time password), or 403 for a role without the
        permissions the area's documents need."""
        viewer = await self.viewer(request)
        page = self.page_for(request, viewer)
        if (unfinished := self.unfinished_sign_in(request, viewer)) is not None:
            return page, unfinished
        if not self.requirements[slug].met_by(viewer.granted):
            return page, self.forbidden(page)
        return page, None

    def unfinished_sign_in(self, request: Request, viewer: StaffViewer) -> Response | None:
        if not viewer.present:
            return self.redirect(request, "/login?next=" + quote(request.url.path, safe="/"))
        if viewer.two_factor_pending or viewer.staff is None:
            return self.redirect(request, "/login/two-factor")
        if viewer.staff.get("passwordChangeRequired"):
            return self.redirect(request, "/password")
        return None

    async def act(
        self, request: Request, slug: str, operation: str, *, files_max: int = 0
    ) -> tuple[Page, FormData, Response | None]:
        """A POSTed action of an area: its page and form (with at most `files_max` uploaded
        files), or the refusal (403) when the form fails the CSRF check or the role lacks
        the action's permissions."""
        page, refused = await self.open_area(request, slug)
        form = await request.form(max_files=files_max, max_fields=FORM_FIELDS_MAX)
        if refused is not None:
            return page, form, refused
        if not self.csrf.check(request, form) or not self.needs.allows(
            operation, page.viewer.granted
        ):
            return page, form, self.forbidden(page)
        return page, form, None

    async def run(
        self, request: Request, operation: str, variables: Mapping[str, Any] | None = None
    ) -> OperationResult:
        return await self.graphql.run(request, operation, dict(variables or {}))

    # -- responses ---------------------------------------------------------------------

    def render(
        self,
        page: Page,
        template: str,
        *,
        status: int = 200,
        frame_sources: tuple[str, ...] = (),
        **values: Any,
    ) -> Response:
        html = self.templates.get_template(template).render(
            page=page, csrf_field=CSRF_FIELD, money_of=money, **values
        )
        response = HTMLResponse(html, status_code=status)
        response.headers["content-security-policy"] = content_security_policy(
            page.nonce, frame_sources
        )
        # Player data and balances: never kept by any cache, the browser's included.
        response.headers["cache-control"] = "no-store"
        if page.fresh_csrf_secret:
            set_cookie(response, STAFF_CSRF_COOKIE, page.fresh_csrf_secret, CSRF_COOKIE_MAX_AGE_S)
        self._cookies(page.request, response)
        return response

    def redirect(self, request: Request, location: str) -> Response:
        response = RedirectResponse(location, status_code=303)
        response.headers["cache-control"] = "no-store"
        self._cookies(request, response)
        return response

    def _cookies(self, request: Request, response: Response) -> None:
        context = request.scope["state"].get("site_graphql_context")
        if context is not None and context.pending_cookie is not None:
            token, max_age = context.pending_cookie
            set_cookie(response, STAFF_SESSION_COOKIE, token, max_age)
        if request.scope["state"].get("brand_moved"):
            brand: Brand = request.scope["state"]["brand"]
            set_cookie(response, ADMIN_BRAND_COOKIE, brand.slug, BRAND_COOKIE_MAX_AGE_S)

    def forbidden(self, page: Page) -> Response:
        return self.render(
            page,
            "message.html",
            status=403,
            title=strings.TEXT["forbidden_title"],
            message=strings.TEXT["forbidden"],
        )

    def not_found(self, page: Page) -> Response:
        return self.render(
            page,
            "message.html",
            status=404,
            title=strings.TEXT["not_found_title"],
            message=strings.TEXT["not_found"],
        )


def money(value: Mapping[str, Any] | None) -> str:
    """A Money object as staff read it: the amount with its currency code."""
    if not value:
        return "-"
    amount = Decimal(str(value["amount"]))
    return f"{amount:,} {value['currency']}"


def is_global_id(text: str, type_name: str) -> bool:
    """Whether `text` is a global id of `type_name` with a well-formed key: the schema
    refuses anything else as a malformed document, which no page should send."""
    try:
        decoded_type, node_id = relay.from_base64(text)
    except ValueError:
        return False
    if decoded_type != type_name:
        return False
    return int_key(node_id) is not None or uuid_key(node_id) is not None


def id_field(form: FormData, name: str, type_name: str) -> str | None:
    """A form's global id of `type_name`, or None when it is missing or malformed."""
    value = text_field(form, name, 200)
    return value if is_global_id(value, type_name) else None


def cursor_param(request: Request, name: str = "after") -> str | None:
    """A page's `after` cursor from its link: None for the first page. Cut to the longest
    text the API reads, so an overlong forged link is refused as a cursor (INVALID_CURSOR)
    rather than as an overlong string; no cursor the API issues is that long."""
    value = request.query_params.get(name, "")
    return value[:TEXT_LENGTH_MAX] or None


# Codes of a list read refused for its cursor: a link edited by hand or copied from
# another list.
CURSOR_CODES: Final = frozenset({"INVALID_CURSOR"})


def read_problem(result: OperationResult) -> str | None:
    """What a list page says when its read was refused: a page link the API did not issue,
    or another typed refusal by its code; None when the read answered."""
    if not result.error_codes:
        return None
    if set(result.error_codes) <= CURSOR_CODES:
        return strings.TEXT["stale_page_link"]
    return strings.TEXT["read_refused"].format(code=", ".join(result.error_codes))


def text_field(form: FormData, name: str, chars_max: int = 200) -> str:
    value = form.get(name)
    return value.strip()[:chars_max] if isinstance(value, str) else ""


def reason_of(form: FormData) -> str:
    return text_field(form, "reason", REASON_CHARS_MAX)


def first_error(payload: Mapping[str, Any] | None) -> str | None:
    errors = (payload or {}).get("errors") or []
    return str(errors[0]["message"]) if errors else None


class QueuePages:
    """A staff work queue of one area: its list page, read by one named document, and its
    actions, each a form POST that runs one named mutation and returns to the list with a
    notice, or shows the list again with the refusal (status 400).

    Subclasses name the `area` and `template` and say what the list `read`s; an action
    validates its form, then calls `refuse` or `perform`."""

    area: ClassVar[str]
    template: ClassVar[str]

    def __init__(self, console: Console) -> None:
        self.console = console

    async def read(self, request: Request) -> tuple[OperationResult, dict[str, Any]]:
        """The list's read and the template values made from it."""
        raise NotImplementedError

    async def queue(self, request: Request) -> Response:
        page, refused = await self.console.open_area(request, self.area)
        if refused is not None:
            return refused
        return await self.show(request, page)

    async def show(
        self, request: Request, page: Page, *, status: int = 200, error: str | None = None
    ) -> Response:
        result, values = await self.read(request)
        problem = read_problem(result)
        return self.console.render(
            page,
            self.template,
            status=400 if problem else status,
            error=error or problem,
            notice=strings.TEXT.get(request.query_params.get("notice", ""), None),
            **values,
        )

    async def refuse(self, request: Request, page: Page, problem: str) -> Response:
        """The list again with the console's text for `problem` (a form the page did not
        send: a missing reason, a malformed id)."""
        return await self.show(request, page, status=400, error=strings.TEXT[problem])

    async def perform(
        self,
        request: Request,
        page: Page,
        operation: str,
        variables: Mapping[str, Any],
        notice: str,
    ) -> Response:
        """Run mutation `operation` (its payload is the field of the same name, lower-camel
        case, as every console document is named) and go back to the list with `notice`, or
        show the list with the payload's first typed error."""
        result = await self.console.run(request, operation, variables)
        error = first_error(result.data[operation[0].lower() + operation[1:]])
        if error is not None:
            return await self.show(request, page, status=400, error=error)
        return self.console.redirect(request, f"/{self.area}?notice={notice}")
