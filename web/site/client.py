"""The site as a GraphQL client of its own schema, in process.

Every read and write of a page is one of the named operations in `documents/*.graphql`,
executed against the same schema, permissions and resolvers as `/graphql`, with a context
whose credentials are the site's session cookie. So the site can do nothing the API cannot;
those files are also the list of trusted documents the site sends.

A cookie reaches the schema only through here, after the page's own CSRF and Origin checks
for unsafe requests (web.site.security).
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from graphql import OperationDefinitionNode, parse
from starlette.requests import Request
from strawberry.schema.base import BaseSchema

from domain.accounts.models import SessionTransport
from domain.kernel.settings import Settings
from resolvers.context import SESSION_COOKIE, Credentials
from web.graphql import GraphQLContext

DOCUMENTS_DIR: Final = Path(__file__).parent / "documents"
_CONTEXT_KEY: Final = "site_graphql_context"


class UnexpectedGraphQLError(Exception):
    """The schema answered with errors a page does not expect (already masked and logged)."""


@dataclass
class OperationResult:
    data: dict[str, Any]
    # `extensions.code` of each error (e.g. NOT_AUTHENTICATED), in order.
    error_codes: list[str] = field(default_factory=list)


def load_documents(folder: Path = DOCUMENTS_DIR) -> dict[str, str]:
    """Operation name -> the text of the file that holds it (one named operation a file)."""
    documents: dict[str, str] = {}
    for path in sorted(folder.glob("*.graphql")):
        text = path.read_text(encoding="utf-8")
        for definition in parse(text).definitions:
            if isinstance(definition, OperationDefinitionNode):
                assert definition.name is not None, f"{path}: every operation is named"
                name = definition.name.value
                assert name not in documents, f"{path}: operation {name} is defined twice"
                documents[name] = text
    return documents


class SiteGraphQL:
    def __init__(self, schema: BaseSchema, settings: Settings) -> None:
        self.schema = schema
        self.settings = settings
        self.documents = load_documents()

    def context(self, request: Request, *, long_lived: bool = False) -> GraphQLContext:
        """The request's context (one per request: a sign-in updates its credentials)."""
        state = request.scope["state"]
        existing: GraphQLContext | None = state.get(_CONTEXT_KEY)
        if existing is not None:
            if long_lived and existing.cache_principal:
                existing.cache_principal = False
                existing.forget_principal()
            return existing
        cookie = request.cookies.get(SESSION_COOKIE)
        client = request.client
        context = GraphQLContext(
            db=state["db"],
            brand=state["brand"],
            registry=state["registry"],
            settings=self.settings,
            hub=state["hub"],
            request_id=state["request_id"],
            client_address=client.host if client else None,
            user_agent=request.headers.get("user-agent"),
            credentials=Credentials(cookie, SessionTransport.COOKIE) if cookie else None,
            request=request,
            # A live stream outlasts sessions: look the principal up again for each event.
            cache_principal=not long_lived,
        )
        state[_CONTEXT_KEY] = context
        return context

    async def run(
        self, request: Request, operation: str, variables: dict[str, Any] | None = None
    ) -> OperationResult:
        """Execute a named operation. Errors: UnexpectedGraphQLError for errors without a
        code the caller can act on (codes such as NOT_AUTHENTICATED come back as values)."""
        result = await self.schema.execute(
            self.documents[operation],
            variable_values=variables or {},
            context_value=self.context(request),
            operation_name=operation,
        )
        codes = []
        for error in result.errors or []:
            code = (error.extensions or {}).get("code")
            if not code or code == "INTERNAL" or result.data is None:
                raise UnexpectedGraphQLError(f"{operation}: {error.message}")
            codes.append(str(code))
        return OperationResult(data=result.data or {}, error_codes=codes)

    async def subscribe(
        self, request: Request, operation: str, variables: dict[str, Any] | None = None
    ) -> AsyncGenerator[dict[str, Any], None]:
        """The events of a subscription document; ends when the schema's stream ends."""
        stream = await self.schema.subscribe(
            self.documents[operation],
            variable_values=variables or {},
            context_value=self.context(request, long_lived=True),
            operation_name=operation,
        )
        try:
            async for result in stream:
                if result.errors:
                    return  # refused (not signed in) or failed: the stream ends
                yield result.data or {}
        finally:
            await stream.aclose()
