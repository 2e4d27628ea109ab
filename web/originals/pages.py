"""Rendering the game pages: Jinja2 with autoescape, an inline script and style allowed by
a per-response nonce, and framing allowed to the brand's own origins only."""

from __future__ import annotations

import secrets
from decimal import Decimal
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse

from domain.brands.service import Brand
from domain.kernel.money import from_minor

TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"
_ENVIRONMENT = Environment(
    loader=FileSystemLoader(TEMPLATES_DIR), autoescape=True, undefined=StrictUndefined
)


def frame_ancestors(brand: Brand, *, production: bool) -> str:
    """The brand's site may frame its games; nobody else may."""
    sources = ["'self'", *(f"https://{domain}" for domain in brand.domains)]
    if not production:
        # Dev sites run on http and any port (aurora.localhost:8000).
        sources += [f"http://{domain}:*" for domain in brand.domains]
    return " ".join(sources)


def page_headers(request: Request, nonce: str) -> dict[str, str]:
    settings = request.state.settings
    ancestors = frame_ancestors(request.state.brand, production=settings.is_production)
    csp = (
        f"default-src 'none'; script-src 'nonce-{nonce}'; style-src 'nonce-{nonce}'; "
        "img-src 'self' data:; connect-src 'self'; form-action 'self'; base-uri 'none'; "
        f"frame-ancestors {ancestors}"
    )
    return {
        "content-security-policy": csp,
        # For browsers without CSP frame-ancestors (the others ignore it when CSP is set);
        # present, so the site-wide DENY is not added.
        "x-frame-options": "SAMEORIGIN",
        # Game URLs carry a session key: never leak it in a Referer.
        "referrer-policy": "no-referrer",
        "cache-control": "no-store",
    }


def render(
    request: Request, template: str, context: dict[str, Any], *, status: int = 200
) -> HTMLResponse:
    nonce = secrets.token_urlsafe(16)
    html = _ENVIRONMENT.get_template(template).render(
        csp_nonce=nonce, brand_name=request.state.brand.name, **context
    )
    return HTMLResponse(html, status_code=status, headers=page_headers(request, nonce))


def error_page(request: Request, status: int, title: str, message: str) -> HTMLResponse:
    return render(request, "error.html", {"title": title, "message": message}, status=status)


def json_reply(body: dict[str, Any], status: int = 200) -> JSONResponse:
    return JSONResponse(body, status, headers={"cache-control": "no-store"})


def money(amount_minor: int | None, currency: str) -> str | None:
    if amount_minor is None:
        return None
    value: Decimal = from_minor(amount_minor, currency)
    return str(value)
