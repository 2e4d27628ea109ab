"""The GraphQL endpoint: HTTP (GraphQL over HTTP, POST only) and `graphql-transport-ws`.

Authentication: `Authorization: Bearer <token>` for API clients, the `__Host-` session cookie
for the site. A cookie-authenticated request must come from the brand's own origin (the
CSRF rule for GraphQL); bearer requests carry no ambient authority and need no such check.
"""

from __future__ import annotations

import contextvars
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from cross_web import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.exceptions import ConnectionRejectionError
from strawberry.http import GraphQLHTTPResponse
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import (
    BaseGraphQLTransportWSHandler,
    Operation,
)
from strawberry.subscriptions.protocols.graphql_transport_ws.types import Message
from strawberry.types import ExecutionResult

from domain.accounts.models import SessionTransport
from domain.brands.service import Brand
from domain.kernel.settings import Settings
from resolvers.context import SESSION_COOKIE, Context, Credentials
from schema import build_schema
from web.graphql_requests import RequestRejected, decode_json, message_problem, parse_http_request
from web.graphql_shared import run_shared, shared
from web.trusted_documents import TrustedDocuments

# The host of the HTTP request being decoded (parse_json sees only the body).
_REQUEST_HOST: contextvars.ContextVar[str] = contextvars.ContextVar("graphql_request_host")
BACK_OFFICE_DOCUMENTS = Path(__file__).parent / "backoffice" / "documents"

GRAPHQL_RESPONSE_MEDIA_TYPE = "application/graphql-response+json"


@dataclass
class GraphQLContext(Context):
    # Set by schema.extensions.RequestErrors when the document fails to parse or validate.
    request_error: bool = False


def bearer_token(authorization: str | None) -> str | None:
    if authorization and authorization[:7].lower() == "bearer ":
        return authorization[7:].strip() or None
    return None


def brand_origins(brand: Brand, scheme: str, port: int | None) -> set[str]:
    """The origins a brand's pages are served from: its hosts, on HTTPS or on the scheme
    and port this request came in on (a WebSocket's page is on the matching http scheme)."""
    page_scheme = {"ws": "http", "wss": "https"}.get(scheme, scheme)
    origins = set()
    for domain in brand.domains:
        for candidate in {"https", page_scheme}:
            origins.add(f"{candidate}://{domain}")
            if port:
                origins.add(f"{candidate}://{domain}:{port}")
    return origins


def site_origin(request: Request | WebSocket, brand: Brand) -> str | None:
    """The origin of a request that came to one of the brand's own hosts (the brand
    middleware allow-lists hosts, so this is never an attacker's name); None otherwise."""
    if request.url.hostname not in brand.domains:
        return None
    scheme = {"ws": "http", "wss": "https"}.get(request.url.scheme, request.url.scheme)
    return f"{scheme}://{request.url.netloc}"


def same_origin(request: Request | WebSocket, brand: Brand) -> bool:
    origin = request.headers.get("origin")
    if not origin:
        return False
    return origin in brand_origins(brand, request.url.scheme, request.url.port)


class TransportWSHandler(BaseGraphQLTransportWSHandler[Context, None]):
    """graphql-transport-ws with every malformed message closed as the protocol says
    (4400 and the reason), where strawberry's handler would raise on a message that is
    JSON but not the expected object and drop the socket (1006)."""

    async def handle_message(self, message: Message) -> None:
        if (problem := message_problem(message)) is not None:
            await self.handle_invalid_message(problem)
            return
        if message["type"] == "subscribe":
            request = self.context.request
            trusted: TrustedDocuments = self.view.trusted  # type: ignore[attr-defined]
            try:
                payload = trusted.resolve(dict(message["payload"]), request.url.hostname or "")
            except RequestRejected as error:
                await self.send_message(
                    {
                        "id": message["id"],
                        "type": "error",
                        "payload": [{"message": error.reason, "extensions": {"code": error.code}}],
                    }
                )
                return
            message = {**message, "payload": payload}  # type: ignore[assignment,misc]
        await super().handle_message(message)

    async def run_operation(self, operation: Operation[Context, None]) -> None:
        """Identical viewer-independent subscriptions share one execution and one
        serialised payload per result (web/graphql_shared.py); the rest run per socket."""
        group = await shared(
            self.context, operation.query, operation.variables, operation.operation_name
        )
        if group is None:
            await super().run_operation(operation)
        else:
            await run_shared(self, operation, group)


class StakehouseGraphQL(GraphQL[Context, None]):
    graphql_transport_ws_handler_class = TransportWSHandler

    def __init__(self, settings: Settings) -> None:
        super().__init__(
            build_schema(settings),
            graphql_ide=None,  # the dev explorer is self-hosted at /graphiql
            allow_queries_via_get=False,
            subscription_protocols=(GRAPHQL_TRANSPORT_WS_PROTOCOL,),
            connection_init_wait_timeout=timedelta(seconds=settings.websocket_init_timeout_seconds),
            max_subscriptions_per_connection=20,
        )
        self.settings = settings
        # Here: the site's client imports this module.
        from web.site.client import DOCUMENTS_DIR, load_documents  # noqa: PLC0415

        own = {
            text
            for folder in (DOCUMENTS_DIR, BACK_OFFICE_DOCUMENTS)
            for text in load_documents(folder).values()
        }
        self.trusted = TrustedDocuments.for_settings(settings, own)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await super().__call__(scope, receive, send)
            return
        request = Request(scope=scope, receive=receive)
        _REQUEST_HOST.set(request.url.hostname or "")
        try:
            response = await self.run(request)
        except HTTPException as error:
            # Strawberry answers its refusals in plain text; clients get a GraphQL-shaped
            # body with a code instead (the request id comes from the middleware).
            response = rejection(error, scope["state"].get("request_id"))
        await response(scope, receive, send)

    def decode_json(self, data: str | bytes) -> object:
        # WebSocket messages: an undecodable one is a JSONDecodeError, which strawberry's
        # handler answers with a 4400 close.
        return decode_json(data)

    def parse_json(self, data: str | bytes) -> Any:
        # HTTP bodies: decoded and shape-checked, or refused with a typed 400; a trusted
        # document's id becomes its text, and trusted-only hosts refuse any other text.
        request = parse_http_request(data.encode() if isinstance(data, str) else data)
        return self.trusted.resolve(request, _REQUEST_HOST.get(""))

    def _check_websocket_origin(self, request: Any) -> bool:
        """Browsers may open sockets only from a brand's own origin or a configured one;
        clients that send no Origin (servers, CLIs) authenticate by token."""
        origin = request.headers.get("origin")
        if origin is None:
            return True
        brand: Brand | None = request.scope.get("state", {}).get("brand")
        if brand is not None and same_origin(request, brand):
            return True
        return origin in self.settings.websocket_origins

    async def get_context(self, request: Request | WebSocket, response: Any) -> Context:
        state = request.scope["state"]
        brand: Brand = state["brand"]
        credentials = None
        token = bearer_token(request.headers.get("authorization"))
        if token:
            credentials = Credentials(token, SessionTransport.BEARER)
        elif (cookie := request.cookies.get(SESSION_COOKIE)) and (
            isinstance(request, WebSocket) or same_origin(request, brand)
        ):
            credentials = Credentials(cookie, SessionTransport.COOKIE)
        client = request.client
        context = GraphQLContext(
            db=state["db"],
            brand=brand,
            registry=state["registry"],
            settings=self.settings,
            hub=state["hub"],
            request_id=state["request_id"],
            client_address=client.host if client else None,
            user_agent=request.headers.get("user-agent"),
            credentials=credentials,
            site_origin=site_origin(request, brand),
            dead_letters=state.get("dead_letters"),
            request=request,
            response=response,
            cache_principal=not isinstance(request, WebSocket),
        )
        state["graphql_context"] = context
        if isinstance(response, Response):
            response.stakehouse_context = context  # type: ignore[attr-defined]
        return context

    async def on_ws_connect(self, context: Context) -> Any:
        """graphql-transport-ws `connection_init`: `{"authorization": "Bearer <token>"}`."""
        params = context.connection_params or {}
        token = bearer_token(str(params.get("authorization") or params.get("Authorization") or ""))
        if token:
            context.use_credentials(Credentials(token, SessionTransport.BEARER))
        credentials = context.credentials
        if (
            credentials is not None
            and credentials.transport is SessionTransport.BEARER
            and await context.principal() is None
        ):
            # A token that does not sign in (unknown, expired, revoked) is refused with
            # 4403 rather than acknowledged as a signed-out socket. No token at all is a
            # signed-out socket, as over HTTP.
            raise ConnectionRejectionError
        return await super().on_ws_connect(context)

    async def process_result(
        self, request: Request, result: ExecutionResult
    ) -> GraphQLHTTPResponse:
        data = await super().process_result(request, result)
        context = request.scope["state"].get("graphql_context")
        if isinstance(context, GraphQLContext) and context.request_error:
            # A request error: the document never executed, so there is no data entry.
            data.pop("data", None)
        return data

    def create_response(
        self, response_data: GraphQLHTTPResponse | list[GraphQLHTTPResponse], sub_response: Response
    ) -> Response:
        response = super().create_response(response_data, sub_response)
        context: GraphQLContext | None = getattr(sub_response, "stakehouse_context", None)
        if context is None:
            return response
        if GRAPHQL_RESPONSE_MEDIA_TYPE in context.request.headers.get("accept", ""):
            response.headers["content-type"] = GRAPHQL_RESPONSE_MEDIA_TYPE
            if context.request_error:
                response.status_code = 400
        if context.pending_cookie is not None:
            token, max_age = context.pending_cookie
            set_session_cookie(response, token, max_age)
        return response


REJECTION_CODES = {400: "INVALID_REQUEST", 404: "NOT_FOUND", 405: "METHOD_NOT_ALLOWED"}


def rejection(error: HTTPException, request_id: str | None) -> Response:
    """A request refused before execution, as a GraphQL response with a code."""
    if isinstance(error, RequestRejected):
        code = error.code
    else:
        code = REJECTION_CODES.get(error.status_code, "INVALID_REQUEST")
    extensions = {"code": code, "requestId": request_id}
    return JSONResponse(
        {"errors": [{"message": error.reason, "extensions": extensions}]},
        status_code=error.status_code,
    )


def set_session_cookie(response: Response, token: str | None, max_age: int) -> None:
    """The site's session cookie: `__Host-` (Secure, Path=/, no Domain), HttpOnly, Lax."""
    if token is None:
        response.delete_cookie(SESSION_COOKIE, path="/", secure=True, httponly=True, samesite="lax")
    else:
        response.set_cookie(
            SESSION_COOKIE,
            token,
            max_age=max_age,
            path="/",
            secure=True,
            httponly=True,
            samesite="lax",
        )
