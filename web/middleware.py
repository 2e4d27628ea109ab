"""ASGI middleware: request id and log context, metrics, brand resolution, body limits,
security headers. Pure ASGI (no BaseHTTPMiddleware) so WebSockets pass through too."""

from __future__ import annotations

import json
import logging
import re
import secrets
import time
from collections.abc import Callable, Iterable
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from domain.brands.errors import UnknownBrand
from domain.brands.service import BrandRegistry, normalise_host, resolve_request_brand
from web.observability import HTTP_LATENCY, HTTP_REQUESTS, bind_log_context, reset_log_context

log = logging.getLogger("stakehouse.http")

BRAND_HEADER = "x-stakehouse-brand"
REQUEST_ID_HEADER = "x-request-id"
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")
# Paths that answer on any host: probes from the cluster address pods by IP.
BRANDLESS_PATHS = frozenset({"/livez", "/readyz", "/metrics"})
# Operational detail for the cluster only: never served on a public (brand or API) host.
INTERNAL_PATHS = frozenset({"/metrics"})


def _header(scope: Scope, name: str) -> str | None:
    wanted = name.encode()
    for key, value in scope.get("headers", []):
        if key == wanted:
            return str(value.decode("latin-1"))
    return None


async def send_json(
    send: Send, status: int, body: dict[str, Any], headers: Iterable[tuple[bytes, bytes]] = ()
) -> None:
    payload = json.dumps(body).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(payload)).encode()),
                *headers,
            ],
        }
    )
    await send({"type": "http.response.body", "body": payload})


class RequestContextMiddleware:
    """Request id (kept from a sane `X-Request-Id`, else new), log context, access log, metrics."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        incoming = _header(scope, REQUEST_ID_HEADER)
        request_id = incoming if incoming and _REQUEST_ID.match(incoming) else secrets.token_hex(8)
        scope.setdefault("state", {})["request_id"] = request_id
        token = bind_log_context(request_id=request_id)
        started = time.perf_counter()
        status_holder = {"status": 101 if scope["type"] == "websocket" else 500}

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                status_holder["status"] = message["status"]
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], (b"x-request-id", request_id.encode())]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            elapsed = time.perf_counter() - started
            route = _route_label(scope)
            method = scope.get("method", "WS")
            HTTP_REQUESTS.labels(method, route, str(status_holder["status"])).inc()
            HTTP_LATENCY.labels(method, route).observe(elapsed)
            if scope["path"] not in BRANDLESS_PATHS:
                log.info(
                    "%s %s %s %.1fms",
                    method,
                    scope["path"],
                    status_holder["status"],
                    elapsed * 1000,
                    extra={
                        "status": status_holder["status"],
                        "duration_ms": round(elapsed * 1000, 2),
                        # The brand's log context ended with the inner middleware.
                        "brand": getattr(scope["state"].get("brand"), "slug", None),
                    },
                )
            reset_log_context(token)


def _route_label(scope: Scope) -> str:
    # Bounded label values: unknown paths collapse into one series.
    path = scope.get("path", "")
    for prefix in ("/graphql", "/graphiql", "/livez", "/readyz", "/metrics", "/static"):
        if path == prefix or path.startswith(prefix + "/"):
            return prefix
    return "other"


class BrandMiddleware:
    """Resolve the brand from an allow-listed Host, or the brand header on an API host.
    Unknown hosts get 421 and never a default brand."""

    def __init__(self, app: ASGIApp, *, registry_of: Any, api_hosts: list[str]) -> None:
        self.app = app
        self.registry_of = registry_of
        self.api_hosts = api_hosts

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        registry: BrandRegistry = self.registry_of()
        if scope["path"] in BRANDLESS_PATHS:
            if scope["path"] in INTERNAL_PATHS and self._public(registry, scope):
                await send_json(
                    send, 404, {"error": {"code": "NOT_FOUND", "message": "Not found."}}
                )
                return
            await self.app(scope, receive, send)
            return
        try:
            brand = resolve_request_brand(
                registry,
                host=_header(scope, "host") or "",
                api_hosts=self.api_hosts,
                brand_header=_header(scope, BRAND_HEADER),
            )
        except UnknownBrand as error:
            if scope["type"] == "websocket":
                await send({"type": "websocket.close", "code": 1008, "reason": error.code})
                return
            await send_json(
                send,
                421,
                {"error": {"code": error.code, "message": error.message, "field": error.field}},
            )
            return
        scope["state"]["brand"] = brand
        token = bind_log_context(brand=brand.slug)
        try:
            await self.app(scope, receive, send)
        finally:
            reset_log_context(token)

    def _public(self, registry: BrandRegistry, scope: Scope) -> bool:
        """Whether the request came by a public name (a brand's or the API's), i.e. through
        the ingress; scrapers and probes address the pod directly."""
        host = _header(scope, "host") or ""
        api_hosts = {name.lower() for name in self.api_hosts}
        return registry.for_host(host) is not None or normalise_host(host) in api_hosts


class ErrorPageMiddleware:
    """The innermost middleware: an unexpected error becomes `server_error(request)` (the
    themed 500 or JSON), logged with the request id, so the answer still passes through
    the request id, security header and metrics middleware outside it. Starlette's own
    handler sits outside every middleware and answered a bare `text/plain` 500."""

    def __init__(self, app: ASGIApp, *, server_error: Callable[[Request], Response]) -> None:
        self.app = app
        self.server_error = server_error

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracked_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, tracked_send)
        except Exception:
            log.exception("unexpected error in %s %s", scope.get("method"), scope["path"])
            if started:
                raise  # part of a response is out: only closing the connection is left
            response = self.server_error(Request(scope, receive))
            await response(scope, receive, send)


class BodyLimitMiddleware:
    """Refuse request bodies over `limit_bytes` with 413, counted as they stream in."""

    def __init__(self, app: ASGIApp, *, limit_bytes: int) -> None:
        self.app = app
        self.limit_bytes = limit_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = _header(scope, "content-length")
        if declared and declared.isdigit() and int(declared) > self.limit_bytes:
            await send_json(
                send,
                413,
                {"error": {"code": "BODY_TOO_LARGE", "message": "Request body too large."}},
            )
            return
        received = 0

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.limit_bytes:
                    raise BodyTooLarge()
            return message

        try:
            await self.app(scope, limited_receive, send)
        except BodyTooLarge:
            await send_json(
                send,
                413,
                {"error": {"code": "BODY_TOO_LARGE", "message": "Request body too large."}},
            )


class BodyTooLarge(Exception):
    pass


class SecurityHeadersMiddleware:
    """Headers every response carries. The HTML site adds its nonce-based CSP per page."""

    HEADERS = (
        (b"x-content-type-options", b"nosniff"),
        (b"referrer-policy", b"strict-origin-when-cross-origin"),
        (b"x-frame-options", b"DENY"),
        (b"cross-origin-opener-policy", b"same-origin"),
    )

    def __init__(self, app: ASGIApp, *, hsts: bool) -> None:
        self.app = app
        self.extra = (
            (*self.HEADERS, (b"strict-transport-security", b"max-age=63072000; includeSubDomains"))
            if hsts
            else self.HEADERS
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {key.lower() for key, _ in message.get("headers", [])}
                message["headers"] = [
                    *message.get("headers", []),
                    *(item for item in self.extra if item[0] not in present),
                ]
            await send(message)

        await self.app(scope, receive, send_with_headers)
