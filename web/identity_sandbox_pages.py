"""The built-in test OpenID Connect provider's HTTP side (dev and tests; none in
production), under /test-idp on each brand host: discovery document, signing keys, its own
sign-in page and the token endpoint. The keys and codes are domain.integrations.
identity_sandbox's; the app's connected login reaches the same answers in process.

Its sign-in page asks only for an e-mail address (a test provider vouches for whoever
types one) and answers with a code for the redirect URI the request named, which must be
the brand's own callback.
"""

from __future__ import annotations

import html
import secrets
from typing import Final
from urllib.parse import urlencode, urlsplit

from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from domain.accounts.connected_login import CALLBACK_PATH
from domain.accounts.identifiers import normalise_email
from domain.brands.service import Brand
from domain.integrations import identity_sandbox
from domain.integrations.identity_provider import AuthorizationRefused
from domain.kernel.errors import DomainError
from domain.kernel.settings import Settings
from web.graphql import site_origin

PARAMETER_LENGTH_MAX: Final = 512
_FIELDS: Final = ("client_id", "redirect_uri", "state", "nonce", "code_challenge")
_PAGE: Final = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Test identity provider</title></head>
<body><main>
<h1>Test identity provider</h1>
<p>Sign in to continue to {brand}. This provider exists only in development and tests.</p>
{error}
<form method="get" action="{path}/approve">
{hidden}
<label for="email">E-mail address</label>
<input id="email" name="email" type="email" autocomplete="email" required>
<button type="submit">Sign in and continue</button>
</form>
</main></body></html>
"""


def _brand(request: Request) -> Brand | None:
    return request.scope["state"].get("brand")  # type: ignore[no-any-return]


def _issuer(request: Request, brand: Brand) -> str | None:
    origin = site_origin(request, brand)
    return identity_sandbox.issuer_for(origin) if origin else None


def _authorization(request: Request, brand: Brand) -> dict[str, str] | None:
    """The authorization request's parameters when they are ones this provider serves:
    the brand's client, a code with S256 PKCE, and the brand's own callback."""
    query = request.query_params
    values = {name: query.get(name, "") for name in _FIELDS}
    if any(not value or len(value) > PARAMETER_LENGTH_MAX for value in values.values()):
        return None
    redirect = urlsplit(values["redirect_uri"])
    if (
        query.get("response_type", "code") != "code"
        or query.get("code_challenge_method", "S256") != "S256"
        or values["client_id"] != identity_sandbox.client_id_for(brand.slug)
        or redirect.hostname not in brand.domains
        or redirect.path != CALLBACK_PATH
    ):
        return None
    return values


def identity_sandbox_routes(settings: Settings) -> list[Route]:
    if settings.is_production:
        return []

    async def configuration(request: Request) -> Response:
        brand = _brand(request)
        issuer = _issuer(request, brand) if brand else None
        if issuer is None:
            return Response(status_code=404)
        return JSONResponse(identity_sandbox.discovery(issuer))

    async def keys(request: Request) -> Response:
        if _brand(request) is None:
            return Response(status_code=404)
        return JSONResponse(identity_sandbox.jwks())

    async def authorize(request: Request) -> Response:
        brand = _brand(request)
        values = _authorization(request, brand) if brand else None
        if brand is None or values is None:
            return HTMLResponse("<p>Invalid authorization request.</p>", status_code=400)
        hidden = "\n".join(
            f'<input type="hidden" name="{name}" value="{html.escape(value)}">'
            for name, value in values.items()
        )
        return HTMLResponse(
            _PAGE.format(
                brand=html.escape(brand.name),
                path=identity_sandbox.PATH,
                hidden=hidden,
                error="",
            )
        )

    async def approve(request: Request) -> Response:
        brand = _brand(request)
        values = _authorization(request, brand) if brand else None
        issuer = _issuer(request, brand) if brand else None
        if brand is None or values is None or issuer is None:
            return HTMLResponse("<p>Invalid authorization request.</p>", status_code=400)
        try:
            email = normalise_email(request.query_params.get("email", ""))
        except DomainError:
            return HTMLResponse("<p>Enter an e-mail address.</p>", status_code=400)
        code = identity_sandbox.issue_code(
            issuer=issuer,
            client_id=values["client_id"],
            redirect_uri=values["redirect_uri"],
            email=email,
            nonce=values["nonce"],
            code_challenge=values["code_challenge"],
        )
        answer = urlencode({"code": code, "state": values["state"]})
        return RedirectResponse(f"{values['redirect_uri']}?{answer}", status_code=303)

    async def token(request: Request) -> Response:
        brand = _brand(request)
        issuer = _issuer(request, brand) if brand else None
        form = await request.form(max_files=0, max_fields=10)
        if brand is None or issuer is None or form.get("grant_type") != "authorization_code":
            return JSONResponse({"error": "invalid_request"}, status_code=400)
        try:
            id_token = identity_sandbox.redeem_code(
                issuer=issuer,
                client_id=identity_sandbox.client_id_for(brand.slug),
                code=str(form.get("code") or ""),
                code_verifier=str(form.get("code_verifier") or ""),
                redirect_uri=str(form.get("redirect_uri") or ""),
            )
        except AuthorizationRefused:
            return JSONResponse({"error": "invalid_grant"}, status_code=400)
        return JSONResponse(
            {
                "id_token": id_token,
                "access_token": secrets.token_urlsafe(24),
                "token_type": "Bearer",
                "expires_in": identity_sandbox.ID_TOKEN_SECONDS,
            },
            headers={"cache-control": "no-store"},
        )

    path = identity_sandbox.PATH
    return [
        Route(f"{path}/.well-known/openid-configuration", configuration, methods=["GET"]),
        Route(f"{path}/jwks", keys, methods=["GET"]),
        Route(f"{path}/authorize", authorize, methods=["GET"]),
        Route(f"{path}/approve", approve, methods=["GET"]),
        Route(f"{path}/token", token, methods=["POST"]),
    ]
