"""The site as a GraphQL client of its own schema, in process.

Every read and write of a page is one of the named operations in `documents/*.graphql`,
executed against the same schema, permissions and resolvers as `/graphql`, with a context
whose credentials are the site's session cookie. So the site can do nothing the API cannot;
those files are also the list of trusted documents the site sends.

A cookie reaches the schema only through here, after the page's own CSRF and Origin checks
for unsafe requests (web.site.security).

`run_shared` answers a visitor without a session (no credentials reach the schema, so the
answer is the same for every signed-out visitor of the brand) from a per-brand cache for a
few seconds: the signed-out lobby and event list, the pages a first visit lands on.
"""

from __future__ import annotations

import json
import time
from collections.abc import AsyncGenerator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from graphql import OperationDefinitionNode, parse
from starlette.requests import Request
from strawberry.schema.base import BaseSchema

from domain.accounts.models import SessionTransport
from domain.kernel.settings import Environment, Settings
from resolvers.context import SESSION_COOKIE, Credentials
from schema.telemetry import know_operations
from web.graphql import GraphQLContext, site_origin

DOCUMENTS_DIR: Final = Path(__file__).parent / "documents"
_CONTEXT_KEY: Final = "site_graphql_context"
# Answers kept by `run_shared` (per brand, document and variables); the pages that use it
# pass fixed variables, so a few per brand.
SHARED_ENTRIES_MAX: Final = 256


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


@dataclass(frozen=True)
class _SharedAnswer:
    expires_s: float  # time.monotonic()
    result: OperationResult


class SiteGraphQL:
    def __init__(
        self,
        schema: BaseSchema,
        settings: Settings,
        *,
        documents: Path = DOCUMENTS_DIR,
        session_cookie: str = SESSION_COOKIE,
    ) -> None:
        self.schema = schema
        self.settings = settings
        # The back office runs its own documents with its own cookie (web/backoffice).
        self.documents = load_documents(documents)
        self.session_cookie = session_cookie
        # The site's operations are the known set that GraphQL metrics label by name.
        know_operations(self.documents)
        self._shared: dict[tuple[str, ...], _SharedAnswer] = {}
        # Off under test, where each test changes the data and reads the page at once; the
        # tests of `run_shared` turn it on.
        self.shares_answers = settings.env is not Environment.TEST

    def context(self, request: Request, *, long_lived: bool = False) -> GraphQLContext:
        """The request's context (one per request: a sign-in updates its credentials)."""
        state = request.scope["state"]
        existing: GraphQLContext | None = state.get(_CONTEXT_KEY)
        if existing is not None:
            if long_lived and existing.cache_principal:
                existing.cache_principal = False
                existing.forget_principal()
            return existing
        cookie = request.cookies.get(self.session_cookie)
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
            site_origin=site_origin(request, state["brand"]),
            dead_letters=state.get("dead_letters"),
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
            # A typed error on a non-null root field (a forged `after` cursor on a list)
            # nulls the whole answer: still an expected failure the page explains, with no
            # data to show, not an unexpected one.
            if not code or code == "INTERNAL":
                raise UnexpectedGraphQLError(f"{operation}: {error.message}")
            codes.append(str(code))
        return OperationResult(data=result.data or {}, error_codes=codes)

    async def run_shared(
        self,
        request: Request,
        operation: str,
        variables: dict[str, Any] | None = None,
        *,
        max_age_s: float,
    ) -> OperationResult:
        """`run`, answered for a visitor without credentials from what the same document
        and variables answered on this brand at most `max_age_s` seconds ago. Anonymous
        answers depend only on the brand (its data and jurisdiction): no locale, no
        principal reaches the schema. A signed-in visitor always gets a fresh `run`. The
        result may be shared between requests: read only. Errors: as `run`."""
        context = self.context(request)
        if context.credentials is not None or not self.shares_answers:
            return await self.run(request, operation, variables)
        key = (
            context.brand.slug,
            context.brand.jurisdiction,
            operation,
            json.dumps(variables or {}, sort_keys=True),
        )
        now_s = time.monotonic()
        cached = self._shared.get(key)
        if cached is not None and cached.expires_s > now_s:
            return cached.result
        result = await self.run(request, operation, variables)
        if not result.error_codes:
            self._keep(key, _SharedAnswer(now_s + max_age_s, result))
        return result

    def _keep(self, key: tuple[str, ...], answer: _SharedAnswer) -> None:
        self._shared.pop(key, None)  # re-inserted last: the dict is oldest first
        if len(self._shared) >= SHARED_ENTRIES_MAX:
            now_s = time.monotonic()
            self._shared = {k: v for k, v in self._shared.items() if v.expires_s > now_s}
        while len(self._shared) >= SHARED_ENTRIES_MAX:
            del self._shared[next(iter(self._shared))]
        self._shared[key] = answer

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
