"""ASGI middleware: request id and log context, metrics, brand resolution, body limits,
security headers. Pure ASGI (no BaseHTTPMiddleware) so WebSockets pass through too."""

from __future__ import annotations

import contextlib
import json
import logging
import re
import secrets
import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any, Final

from opentelemetry import trace
from starlette.requests import Request, cookie_parser
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from domain.brands.errors import UnknownBrand
from domain.brands.service import Brand, BrandRegistry, normalise_host, resolve_request_brand
from domain.kernel import telemetry
from web.observability import HTTP_LATENCY, HTTP_REQUESTS, bind_log_context, reset_log_context

log = logging.getLogger("stakehouse.http")

BRAND_HEADER = "x-stakehouse-brand"
# On an admin (back office) host the brand is the staff member's choice, kept in this cookie;
# the API still checks every read and write against their brands.
ADMIN_BRAND_COOKIE = "__Host-stakehouse_staff_brand"
REQUEST_ID_HEADER = "x-request-id"
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")
# Paths that answer on any host: probes from the cluster address pods by IP.
PROBE_PATHS = frozenset({"/livez", "/readyz", "/metrics"})
# The odds feed's endpoints (web/feed.py): the catalogue is shared by every brand, and
# producers are authenticated by their signature, not by a brand.
FEED_PATHS = frozenset({"/feed/v1/messages", "/feed/v1/recovery", "/feed/v1/schema.json"})
BRANDLESS_PATHS = PROBE_PATHS | FEED_PATHS
# Operational detail for the cluster only: never served on a public (brand or API) host.
INTERNAL_PATHS = frozenset({"/metrics"})


# Headers this app reads as one value. Sent twice, the first would silently win here while
# a proxy in front may have acted on the other (request smuggling, brand confusion).
SINGLE_VALUED_HEADERS = (
    b"host",
    b"authorization",
    b"origin",
    b"content-type",
    BRAND_HEADER.encode(),
)
# A Host is a DNS name, an IPv4 address or a bracketed IPv6 literal, and an optional port.
_LABEL = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
_HOST = re.compile(
    rf"^(?:{_LABEL}(?:\.{_LABEL})*|\[[0-9a-f:.]+\])(?::[0-9]{{1,5}})?$", re.IGNORECASE
)


def header_problem(scope: Scope) -> tuple[str, str] | None:
    """(header, why) when the request's headers are ambiguous or the Host is malformed."""
    counts: dict[bytes, int] = {}
    host = b""
    for key, value in scope.get("headers", []):
        if key in SINGLE_VALUED_HEADERS:
            counts[key] = counts.get(key, 0) + 1
            if key == b"host":
                host = value
    for key, count in counts.items():
        if count > 1:
            return key.decode(), f"The {key.decode()} header must be sent once."
    if not _HOST.match(host.decode("latin-1")):
        return "host", "The Host header is missing or malformed."
    return None


def _header(scope: Scope, name: str) -> str | None:
    wanted = name.encode()
    for key, value in scope.get("headers", []):
        if key == wanted:
            return str(value.decode("latin-1"))
    return None


async def send_text(send: Send, status: int, text: str) -> None:
    payload = text.encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"text/plain; charset=utf-8"),
                (b"content-length", str(len(payload)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": payload})


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


async def refuse(
    scope: Scope, send: Send, status: int, code: str, message: str, *, field: str | None
) -> None:
    """Refuse a request before the app sees it: a typed JSON error over HTTP; a socket is
    closed before its handshake completes (1008, which the client sees as a 403)."""
    if scope["type"] == "websocket":
        await send({"type": "websocket.close", "code": 1008, "reason": code})
        return
    await send_json(send, status, {"error": {"code": code, "message": message, "field": field}})


class TracingMiddleware:
    """A server span per HTTP request and WebSocket while tracing is on (an incoming
    `traceparent` continues the caller's trace); otherwise a pass-through that costs one
    flag read. Probes and scrapes are not traced."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self._traced: ASGIApp | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not telemetry.tracing_enabled() or scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        if self._traced is None:
            # Loaded when tracing is first on: the instrumentation is not needed otherwise.
            from opentelemetry.instrumentation.asgi import (  # noqa: PLC0415
                OpenTelemetryMiddleware,
            )

            self._traced = OpenTelemetryMiddleware(
                self.app,
                excluded_urls=",".join(PROBE_PATHS),
                exclude_spans=["receive", "send"],
            )
        await self._traced(scope, receive, send)


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
        if telemetry.tracing_enabled():
            trace.get_current_span().set_attribute("stakehouse.request_id", request_id)
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
            if scope["path"] not in PROBE_PATHS:
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
    """Resolve the brand from an allow-listed Host, or the brand header on an API host, or
    on an admin host the brand chosen in the back office (else the first brand by slug).
    Unknown hosts get 421 and never a default brand."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        registry_of: Any,
        api_hosts: list[str],
        admin_hosts: Iterable[str] = (),
    ) -> None:
        self.app = app
        self.registry_of = registry_of
        self.api_hosts = api_hosts
        self.admin_hosts = frozenset(host.lower() for host in admin_hosts)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        if (problem := header_problem(scope)) is not None:
            await refuse(scope, send, 400, "INVALID_HEADER", problem[1], field=problem[0])
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
            brand = self._admin_brand(registry, scope) or resolve_request_brand(
                registry,
                host=_header(scope, "host") or "",
                api_hosts=self.api_hosts,
                brand_header=_header(scope, BRAND_HEADER),
            )
        except UnknownBrand as error:
            await refuse(scope, send, 421, error.code, error.message, field=error.field)
            return
        scope["state"]["brand"] = brand
        token = bind_log_context(brand=brand.slug)
        try:
            await self.app(scope, receive, send)
        finally:
            reset_log_context(token)

    def _admin_brand(self, registry: BrandRegistry, scope: Scope) -> Brand | None:
        if normalise_host(_header(scope, "host") or "") not in self.admin_hosts:
            return None
        chosen = cookie_parser(_header(scope, "cookie") or "").get(ADMIN_BRAND_COOKIE, "")
        brand = registry.by_slug.get(chosen)
        return brand if brand is not None else registry.by_slug[min(registry.by_slug)]

    def _public(self, registry: BrandRegistry, scope: Scope) -> bool:
        """Whether the request came by a public name (a brand's or the API's), i.e. through
        the ingress; scrapers and probes address the pod directly."""
        host = _header(scope, "host") or ""
        api_hosts = {name.lower() for name in self.api_hosts}
        return registry.for_host(host) is not None or normalise_host(host) in api_hosts


def unexpected_error_body(request_id: str) -> dict[str, object]:
    """What an unexpected error answers to an API client: typed, with the request id that
    finds the details in the log (never the details themselves)."""
    return {
        "error": {
            "code": "INTERNAL",
            "message": f"Unexpected error (request id {request_id}).",
            "requestId": request_id,
        }
    }


class ErrorPageMiddleware:
    """An exception that escapes the app is answered here, inside the request id, security
    header and metrics middleware: `server_error(request)` (the site's themed 500 on a
    brand's host) or the typed JSON 500, logged with the request id, and the keep-alive
    connection stays usable; over WebSocket a 1011 close. Left to Starlette's handler (outside
    every middleware) or the server, it was a bare `text/plain` 500 without request id and a
    dropped connection, or a 1006."""

    def __init__(
        self, app: ASGIApp, *, server_error: Callable[[Request], Response] | None = None
    ) -> None:
        self.app = app
        self.server_error = server_error

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        started = False

        async def tracked_send(message: Message) -> None:
            nonlocal started
            if message["type"] in ("http.response.start", "websocket.close"):
                started = True
            await send(message)

        try:
            await self.app(scope, receive, tracked_send)
        except Exception:
            request_id = scope.get("state", {}).get("request_id", "unknown")
            log.exception(
                "unexpected error in %s %s",
                scope.get("method", "WEBSOCKET"),
                scope["path"],
                extra={"request_id": request_id},
            )
            if scope["type"] == "websocket":
                with contextlib.suppress(Exception):
                    await send({"type": "websocket.close", "code": 1011})
                return
            if started:
                raise  # part of a response is out: only the server can end the connection
            if self.server_error is None:
                await send_json(send, 500, unexpected_error_body(request_id))
                return
            response = self.server_error(Request(scope, receive))
            await response(scope, receive, send)


class BodyLimitMiddleware:
    """Refuse request bodies over `limit_bytes` with 413, counted as they stream in; and
    WebSocket messages over the same limit (a GraphQL document is no bigger on a socket)
    by closing the socket with 1009, Message Too Big, before the app decodes them.

    `raised`: the few console endpoints (path on an admin host, in `raised_hosts`) whose
    forms carry uploads get their own, documented limit and a plain message naming it;
    every other request keeps `limit_bytes`."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        limit_bytes: int,
        raised: Mapping[str, int] | None = None,
        raised_hosts: Iterable[str] = (),
    ) -> None:
        self.app = app
        self.limit_bytes = limit_bytes
        self.raised = dict(raised or {})
        self.raised_hosts = frozenset(normalise_host(host) for host in raised_hosts)

    def _raised_limit(self, scope: Scope) -> int | None:
        limit = self.raised.get(scope.get("path", ""))
        if limit is None or scope.get("method") != "POST":
            return None
        host = normalise_host(_header(scope, "host") or "")
        return limit if host in self.raised_hosts else None

    async def _refuse(self, send: Send, raised: int | None) -> None:
        if raised is None:
            await send_json(
                send,
                413,
                {"error": {"code": "BODY_TOO_LARGE", "message": "Request body too large."}},
            )
            return
        await send_text(
            send,
            413,
            f"This form is too large: at most {raised // 1024} KiB, pages and uploads "
            "together. Make the files or pages smaller and save again.",
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket":
            await self.app(scope, self._capped_messages(receive, send), send)
            return
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        raised = self._raised_limit(scope)
        limit = raised if raised is not None else self.limit_bytes
        declared = _header(scope, "content-length")
        if declared and declared.isdigit() and int(declared) > limit:
            await self._refuse(send, raised)
            return
        received = 0

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge()
            return message

        try:
            await self.app(scope, limited_receive, send)
        except BodyTooLarge:
            await self._refuse(send, raised)

    def _capped_messages(self, receive: Receive, send: Send) -> Receive:
        async def capped_receive() -> Message:
            message = await receive()
            if message["type"] == "websocket.receive" and self._too_large(message):
                await send({"type": "websocket.close", "code": 1009, "reason": "Message too large"})
                # The app sees the peer gone and ends the socket's operations.
                return {"type": "websocket.disconnect", "code": 1009}
            return message

        return capped_receive

    def _too_large(self, message: Message) -> bool:
        data = message.get("bytes")
        if data is not None:
            return len(data) > self.limit_bytes
        text: str = message.get("text") or ""
        # Characters never outnumber UTF-8 bytes: count bytes only where it can matter.
        return len(text) > self.limit_bytes or (
            len(text) * 4 > self.limit_bytes and len(text.encode()) > self.limit_bytes
        )


class BodyTooLarge(Exception):
    pass


# Set to True in the request's scope state by a handler whose response may be framed by the
# hosts its CSP `frame-ancestors` names (the signed theme preview): that response goes
# without X-Frame-Options, whose DENY would otherwise forbid what the CSP allows.
FRAMING_BY_CSP_ONLY: Final = "framing_by_csp_only"


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
                if (scope.get("state") or {}).get(FRAMING_BY_CSP_ONLY):
                    present.add(b"x-frame-options")
                message["headers"] = [
                    *message.get("headers", []),
                    *(item for item in self.extra if item[0] not in present),
                ]
            await send(message)

        await self.app(scope, receive, send_with_headers)
