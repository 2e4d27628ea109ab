"""Schema extensions: request limits, error masking with a request id, request-error flag."""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Callable, Iterator
from functools import partial
from typing import Any

import strawberry
from graphql import DocumentNode, GraphQLError
from strawberry.exceptions import StrawberryGraphQLError
from strawberry.extensions import (
    AddValidationRules,
    DisableIntrospection,
    MaskErrors,
    MaxAliasesLimiter,
    MaxTokensLimiter,
    QueryDepthLimiter,
    SchemaExtension,
    ValidationCache,
)
from strawberry.types.graphql import OperationType

from domain.kernel.errors import DomainError
from domain.kernel.settings import Settings

log = logging.getLogger("stakehouse.graphql")


class StakehouseSchema(strawberry.Schema):
    """`execute` serves HTTP (and in-process callers) for queries and mutations only:
    subscriptions run over `graphql-transport-ws` alone (DESIGN.md section 5). Asking for
    one over HTTP is a request error (400), not an unexpected failure."""

    async def execute(self, *args: Any, **kwargs: Any) -> Any:
        kwargs["allowed_operation_types"] = (
            set(kwargs.get("allowed_operation_types") or _QUERY_AND_MUTATION) & _QUERY_AND_MUTATION
        )
        return await super().execute(*args, **kwargs)


_QUERY_AND_MUTATION = frozenset({OperationType.QUERY, OperationType.MUTATION})


class RequestErrors(SchemaExtension):
    """Marks the context when a request fails before execution (the document does not
    parse or validate, or its variables do not coerce), so the HTTP layer can answer 4xx
    for `application/graphql-response+json` (GraphQL over HTTP)."""

    def on_validate(self) -> Iterator[None]:
        yield
        if self.execution_context.pre_execution_errors:
            _mark(self.execution_context.context)

    def on_parse(self) -> Iterator[None]:
        yield
        if self.execution_context.pre_execution_errors:
            _mark(self.execution_context.context)

    def on_execute(self) -> Iterator[None]:
        yield
        result = self.execution_context.result
        # Errors without a path and no data: variable coercion failed, nothing ran.
        errors = getattr(result, "errors", None)
        if errors and getattr(result, "data", None) is None and all(e.path is None for e in errors):
            _mark(self.execution_context.context)


# Parsed documents by their text: clients send the same few documents over and over.
DOCUMENTS_CACHED_MAX = 256
DOCUMENT_CACHED_LENGTH_MAX = 10_000


class ParsedDocuments(SchemaExtension):
    """Reuse the parse of a document seen before (bounded LRU). Only documents that parsed
    are kept, so a syntax error still goes through the normal path (and its 400)."""

    _documents: OrderedDict[str, DocumentNode] = OrderedDict()

    def on_parse(self) -> Iterator[None]:
        context = self.execution_context
        query = context.query
        cached = self._documents.get(query) if query else None
        if cached is not None:
            self._documents.move_to_end(query)  # type: ignore[arg-type]
            context.graphql_document = cached
        yield
        document = context.graphql_document
        if (
            cached is None
            and query
            and document is not None
            and not context.pre_execution_errors
            and len(query) <= DOCUMENT_CACHED_LENGTH_MAX
        ):
            self._documents[query] = document
            if len(self._documents) > DOCUMENTS_CACHED_MAX:
                self._documents.popitem(last=False)


def _mark(context: object) -> None:
    if hasattr(context, "request_error"):
        context.request_error = True


def _is_expected(error: GraphQLError) -> bool:
    original = error.original_error
    # No original error: a syntax or validation error; a GraphQLError inside: a variable
    # that does not coerce. Both are about the request, safe and useful to show.
    return original is None or isinstance(
        original, DomainError | StrawberryGraphQLError | GraphQLError
    )


class MaskUnexpectedErrors(MaskErrors):
    """Replace unexpected errors by "Unexpected error" and the request id; log the details."""

    def __init__(self) -> None:
        super().__init__(should_mask_error=lambda error: not _is_expected(error))

    def anonymise_error(self, error: GraphQLError) -> GraphQLError:
        request_id = getattr(self.execution_context.context, "request_id", "unknown")
        log.error(
            "unexpected error in %s",
            ".".join(str(part) for part in error.path or []),
            exc_info=error.original_error,
            extra={"request_id": request_id},
        )
        masked = super().anonymise_error(error)
        return GraphQLError(
            message=f"Unexpected error (request id {request_id}).",
            nodes=masked.nodes,
            path=masked.path,
            extensions={"code": "INTERNAL", "requestId": request_id},
        )


def extensions_for(settings: Settings) -> list[Callable[[], SchemaExtension]]:
    """Factories, so every request gets fresh extension instances (they hold request state)."""
    # Validating a document costs more CPU than executing a small mutation (see
    # bench/ledger_debit.py), and clients send the same few documents: validation is cached
    # (a bounded LRU, so distinct documents only evict) per (schema, document, rule
    # classes), so the limiters' rule classes are built once here: each limiter instance
    # would otherwise make new ones. Parses are cached too (ParsedDocuments, not
    # strawberry's ParserCache: a syntax error raised from its hook would skip RequestErrors).
    limit_rules = [
        *MaxAliasesLimiter(max_alias_count=settings.graphql_max_aliases).validation_rules,
        *QueryDepthLimiter(max_depth=settings.graphql_max_depth).validation_rules,
    ]
    extensions: list[Callable[[], SchemaExtension]] = [
        RequestErrors,
        ParsedDocuments,
        partial(MaxTokensLimiter, max_token_count=settings.graphql_max_tokens),
        partial(AddValidationRules, limit_rules),
        ValidationCache,
        MaskUnexpectedErrors,
    ]
    if settings.is_production:
        extensions.append(DisableIntrospection)
    return extensions
