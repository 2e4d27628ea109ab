"""The site's 404 and 500 pages: in the brand's theme and the visitor's language, with the
request id, answered from inside the middleware stack so they carry every security header
(the error handler outside the middleware once answered a bare `text/plain` 500).

A page here reads nothing from the database (the viewer is nobody): an error page must not
fail for the reason the request did."""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response

from domain.brands.service import BrandRegistry
from web.middleware import unexpected_error_body
from web.site.site import Page, Site


class ErrorPages:
    def __init__(self, site: Site, registry: BrandRegistry) -> None:
        self.site = site
        self.registry = registry

    def _on_brand_host(self, request: Request) -> bool:
        return (
            request.scope.get("state", {}).get("brand") is not None
            and self.registry.for_host(request.headers.get("host", "")) is not None
        )

    def not_found_page(self, request: Request, page: Page | None = None) -> Response:
        """The themed 404 (`page`: the request's own, when a handler has one)."""
        page = page or self.site.signed_out_page(request)
        return self.site.render(
            page,
            "error.html",
            status=404,
            title=page.gettext("Page not found"),
            message=page.gettext("There is no page at this address."),
            request_id=_request_id(request),
        )

    async def not_found(self, request: Request, error: Exception) -> Response:
        """Starlette's handler for a 404 (no route matched): themed on a brand's host."""
        if self._on_brand_host(request):
            return self.not_found_page(request)
        detail = error.detail if isinstance(error, HTTPException) else "Not Found"
        return PlainTextResponse(detail, status_code=404)

    def server_error(self, request: Request) -> Response:
        """What an unexpected error answers: the themed 500 on a brand's host, else JSON."""
        request_id = _request_id(request)
        if self._on_brand_host(request):
            page = self.site.signed_out_page(request)
            return self.site.render(
                page,
                "error.html",
                status=500,
                title=page.gettext("Something went wrong"),
                message=page.gettext(
                    "This page could not be shown. Try again in a moment; if it keeps "
                    "happening, contact support with the request id below."
                ),
                request_id=request_id,
            )
        return JSONResponse(unexpected_error_body(request_id), status_code=500)


def _request_id(request: Request) -> str:
    return str(request.scope.get("state", {}).get("request_id", "unknown"))
