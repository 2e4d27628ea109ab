"""Schema extensions: request limits, error masking with a request id, request-error flag;
the direct resolvers installed into the built schema (see `install_direct_resolvers`); and
every use of strawberry's private API (see "strawberry internals" below)."""

from __future__ import annotations

import logging
import re
from collections import OrderedDict
from collections.abc import Callable, Iterator, Mapping
from functools import partial
from typing import Any, ClassVar

import strawberry
from graphql import (
    DocumentNode,
    GraphQLError,
    GraphQLField,
    GraphQLObjectType,
    GraphQLResolveInfo,
    GraphQLSchema,
)
from graphql.language import Token, TokenKind
from strawberry import relay
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
from strawberry.extensions.validation_cache import DEFAULT_MAXSIZE, _get_validate_cache
from strawberry.relay.types import GlobalIDValueError
from strawberry.relay.utils import to_base64
from strawberry.schema.base import BaseSchema
from strawberry.schema.schema_converter import GraphQLCoreConverter
from strawberry.schema.types.base_scalars import DateTimeDefinition
from strawberry.types import ExecutionContext, Info
from strawberry.types.base import StrawberryList, StrawberryObjectDefinition, StrawberryOptional
from strawberry.types.field import StrawberryField
from strawberry.types.graphql import OperationType
from strawberry.types.scalar import ScalarDefinition

from domain.kernel.errors import DomainError
from domain.kernel.settings import Environment, Settings
from schema.cost import operation_cost
from schema.telemetry import OperationTelemetry

log = logging.getLogger("stakehouse.graphql")


class StakehouseSchema(strawberry.Schema):
    """`execute` serves HTTP (and in-process callers) for queries and mutations only:
    subscriptions run over `graphql-transport-ws` alone (DESIGN.md section 5). Asking for
    one over HTTP is a request error (400), not an unexpected failure.

    `direct_resolvers=False` keeps strawberry's own resolvers everywhere: the reference the
    direct ones are compared with (tests/schema/test_direct_resolvers.py)."""

    def __init__(self, *args: Any, direct_resolvers: bool = True, **kwargs: Any) -> None:
        # Here, not at the top: schema.inputs reads strawberry's internals through this module.
        from schema.inputs import install_input_guards  # noqa: PLC0415

        super().__init__(*args, **kwargs)
        if direct_resolvers:
            install_direct_resolvers(graphql_core_schema(self))
        install_input_guards(graphql_core_schema(self))

    async def execute(self, *args: Any, **kwargs: Any) -> Any:
        kwargs["allowed_operation_types"] = (
            set(kwargs.get("allowed_operation_types") or _QUERY_AND_MUTATION) & _QUERY_AND_MUTATION
        )
        return await super().execute(*args, **kwargs)

    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        """Every error of every result (HTTP, in process, each subscription frame), before
        masking. A malformed global id gets its code here (`code_input_errors`). Expected
        errors (a code, or a refusal the API answers: a domain error, a typed GraphQL error,
        a request error) are logged at INFO without a traceback: a staff member refused a
        brand they do not hold is not an incident. Anything else is unexpected: ERROR with
        its traceback (then masked by MaskUnexpectedErrors)."""
        code_input_errors(errors)
        context = getattr(execution_context, "context", None)
        request_id = getattr(context, "request_id", None)
        for error in errors:
            code = (error.extensions or {}).get("code")
            if code or _is_expected(error):
                log.info(
                    "graphql error %s at %s: %s",
                    code or "-",
                    ".".join(str(part) for part in error.path or []) or "-",
                    error.message,
                    extra={"request_id": request_id, "code": code},
                )
            else:
                log.error(
                    "graphql error at %s: %s",
                    ".".join(str(part) for part in error.path or []) or "-",
                    error.message,
                    exc_info=error.original_error,
                    extra={"request_id": request_id},
                )


# A global id that does not decode (not base64, no "<type>:<key>"): strawberry refuses it
# where it converts the argument, with no code. Ids that decode but name another type or no
# valid key are each caller's NOT_FOUND (schema/ids.py).
BAD_INPUT = "BAD_INPUT"


def code_input_errors(errors: list[GraphQLError]) -> None:
    """Give a malformed global id's error the BAD_INPUT code (in place), wherever it came
    in: an argument, an input object's field, a list item, a subscription's argument."""
    for error in errors:
        if isinstance(error.original_error, GlobalIDValueError) and not (
            error.extensions or {}
        ).get("code"):
            error.extensions = {**(error.extensions or {}), "code": BAD_INPUT}


_QUERY_AND_MUTATION = frozenset({OperationType.QUERY, OperationType.MUTATION})

# ---- direct resolvers --------------------------------------------------------------------------
#
# Strawberry wraps every field's resolver: a field with a resolver builds an `Info`, converts its
# arguments and chains its field extensions on each call, and a plain attribute goes through
# two calls to reach `getattr`. A page of 20 events with their markets and outcomes resolves
# about 1,200 fields, so that wrapping costs as much as graphql-core's own execution. Where the
# wrapper does nothing (no permission classes, field extensions or exception handlers), the
# field's graphql-core resolver is replaced, once, by a direct one with the same answer.

# Field metadata: a function given the field's strawberry-built graphql-core resolver that
# returns the resolver to use instead (see `prefetched` and `direct`).
DIRECT_RESOLVER = "stakehouse.direct_resolver"

GraphQLResolver = Callable[..., Any]


def direct(resolver: GraphQLResolver) -> dict[str, Any]:
    """Field metadata: resolve with `resolver(root, info, **graphql_arguments)` (arguments by
    their GraphQL names, as graphql-core coerced them), bypassing strawberry's wrapper. For
    cheap, pure fields only; the strawberry resolver stays the documented behaviour, and both
    must give the same answer."""
    return {DIRECT_RESOLVER: lambda _wrapped: resolver}


def prefetched(attribute: str) -> dict[str, Any]:
    """Field metadata: when the parent object carries the field's value in `attribute` (not
    None: a list resolver read it for the whole page up front), answer it synchronously;
    otherwise run the field's own resolver (its DataLoader). A nested field that resolves
    synchronously spares graphql-core its asynchronous path for every item of a list."""

    def install(wrapped: GraphQLResolver) -> GraphQLResolver:
        def resolve_prefetched(root: Any, info: Any, **arguments: Any) -> Any:
            value = getattr(root, attribute, None)
            if value is None:
                return wrapped(root, info, **arguments)
            return value

        return resolve_prefetched

    return {DIRECT_RESOLVER: install}


def install_direct_resolvers(schema: GraphQLSchema) -> None:
    """Replace, in the built graphql-core schema: the resolvers of fields that declare a
    direct one (`DIRECT_RESOLVER` metadata); the global `id` of relay nodes that use the
    default id resolution; and plain attribute fields by a one-call `getattr`."""
    for graphql_type in schema.type_map.values():
        if not isinstance(graphql_type, GraphQLObjectType) or graphql_type.name.startswith("__"):
            continue
        definition = strawberry_definition(graphql_type)
        for name, graphql_field in graphql_type.fields.items():
            field = strawberry_field(graphql_field)
            if field is None or field.extensions:
                continue
            metadata: Mapping[str, Any] = field.metadata or {}
            install = metadata.get(DIRECT_RESOLVER)
            if install is not None:
                graphql_field.resolve = install(graphql_field.resolve)
            elif name == "id" and isinstance(definition, StrawberryObjectDefinition):
                resolver = _node_id_resolver(graphql_type.name, definition, graphql_field.resolve)
                if resolver is not None:
                    graphql_field.resolve = resolver
            elif (
                type(field) is StrawberryField
                and field.is_basic_field
                and field.default_resolver is getattr
            ):
                graphql_field.resolve = _attribute_resolver(field.python_name)


# ---- strawberry internals ---------------------------------------------------------------------
#
# Every use of strawberry's private API is below, behind small functions the rest of the code
# calls: an upgrade (capped in pyproject.toml) has one place to check, and
# tests/test_code_quality.py refuses such a use anywhere else. The direct resolvers above
# are checked against strawberry's own on every site document
# (tests/schema/test_direct_resolvers.py).


def graphql_core_schema(schema: BaseSchema) -> GraphQLSchema:
    """The graphql-core schema strawberry built (kept private as `_schema`)."""
    built: GraphQLSchema = schema._schema  # type: ignore[attr-defined]
    return built


def resolve_info(info: Info[Any, Any]) -> GraphQLResolveInfo[Any]:
    """graphql-core's info behind strawberry's `Info`: the field nodes and fragments of the
    document, without converting the selection as `selected_fields` does."""
    return info._raw_info


def strawberry_field(graphql_field: GraphQLField) -> StrawberryField | None:
    """The strawberry field a graphql-core field was built from (None: not strawberry's)."""
    field = (graphql_field.extensions or {}).get(GraphQLCoreConverter.DEFINITION_BACKREF)
    return field if isinstance(field, StrawberryField) else None


def strawberry_definition(graphql_type: GraphQLObjectType) -> StrawberryObjectDefinition | None:
    """The strawberry type definition a graphql-core object type was built from."""
    definition = (graphql_type.extensions or {}).get(GraphQLCoreConverter.DEFINITION_BACKREF)
    return definition if isinstance(definition, StrawberryObjectDefinition) else None


def object_fields(python_type: Any) -> list[StrawberryField]:
    """The fields of a strawberry object type (a class decorated with `strawberry.type`)."""
    definition = getattr(python_type, "__strawberry_definition__", None)
    assert isinstance(definition, StrawberryObjectDefinition), python_type
    return list(definition.fields)


def item_type(annotation: Any) -> Any:
    """The type inside strawberry's list and optional wrappers of a field's type."""
    while isinstance(annotation, StrawberryList | StrawberryOptional):
        annotation = annotation.of_type
    return annotation


def published_value_passes_through(schema: BaseSchema, field_name: str) -> None:
    """Strawberry resolves each value a subscription yields with `lambda event, *_, **__`,
    which breaks on a GraphQL argument called `event`: give that subscription field a
    positional-only pass-through instead."""
    subscription_type = graphql_core_schema(schema).subscription_type
    assert subscription_type is not None
    subscription_type.fields[field_name].resolve = lambda value, /, *_args, **_kwargs: value


# strawberry's `DateTime` scalar, for schema.inputs to bound (not exported by strawberry).
STRAWBERRY_DATETIME: ScalarDefinition = DateTimeDefinition


def validation_cache_hits() -> int:
    """How many validations strawberry's ValidationCache answered from its cache."""
    strawberry_hits = _get_validate_cache(DEFAULT_MAXSIZE).cache_info().hits  # type: ignore[attr-defined]
    return int(strawberry_hits) + Validation.hits


def _attribute_resolver(python_name: str) -> GraphQLResolver:
    def resolve_attribute(root: Any, _info: Any) -> Any:
        return getattr(root, python_name)

    return resolve_attribute


def _node_id_resolver(
    type_name: str, definition: StrawberryObjectDefinition, wrapped: GraphQLResolver | None
) -> GraphQLResolver | None:
    """The global id of a node whose class keeps relay's default `resolve_id` and
    `resolve_typename`: base64("<type name>:<NodeID attribute>"), as `relay.Node` builds it.
    Any other root (or class) keeps strawberry's resolver."""
    origin = definition.origin
    if (
        wrapped is None
        or not (isinstance(origin, type) and issubclass(origin, relay.Node))
        or origin.resolve_id.__func__ is not relay.Node.resolve_id.__func__  # type: ignore[attr-defined]
        or origin.resolve_typename.__func__ is not relay.Node.resolve_typename.__func__  # type: ignore[attr-defined]
    ):
        return None
    attribute = origin.resolve_id_attr()

    def resolve_node_id(root: Any, info: Any, **arguments: Any) -> Any:
        if type(root) is origin:
            return to_base64(type_name, getattr(root, attribute))
        return wrapped(root, info, **arguments)

    return resolve_node_id


# The codes of request errors (Apollo's names, which GraphQL clients already know).
PARSE_FAILED = "GRAPHQL_PARSE_FAILED"
VALIDATION_FAILED = "GRAPHQL_VALIDATION_FAILED"
BAD_USER_INPUT = "BAD_USER_INPUT"


class RequestErrors(SchemaExtension):
    """Marks the context when a request fails before execution (the document does not
    parse or validate, or its variables do not coerce), so the HTTP layer can answer 4xx
    for `application/graphql-response+json` (GraphQL over HTTP); and gives each such
    error a code, as every other error the API answers has one."""

    def on_validate(self) -> Iterator[None]:
        yield
        if errors := self.execution_context.pre_execution_errors:
            _mark(self.execution_context.context, errors, VALIDATION_FAILED)

    def on_parse(self) -> Iterator[None]:
        yield
        if errors := self.execution_context.pre_execution_errors:
            _mark(self.execution_context.context, errors, PARSE_FAILED)

    def on_execute(self) -> Iterator[None]:
        yield
        result = self.execution_context.result
        # Errors without a path and no data: variable coercion failed, nothing ran.
        errors = getattr(result, "errors", None)
        if errors and getattr(result, "data", None) is None and all(e.path is None for e in errors):
            _mark(self.execution_context.context, errors, BAD_USER_INPUT)


# Longer number literals are refused before validation. GraphQL's Int is 32-bit and every
# amount and id travels as a string, so no valid document needs more; and past 4,300
# digits Python's int() raises, which validation would report as an unexpected error.
NUMBER_LITERAL_LENGTH_MAX = 64
# A cheap look at the text first. A number literal is at most three digit runs and four
# other characters, so one over the maximum has a run of at least this many digits.
_LONG_DIGIT_RUN = re.compile(r"[0-9]{21}")
_NUMBER_TOKENS = frozenset({TokenKind.INT, TokenKind.FLOAT})


def long_number_literal(query: str | None, document: DocumentNode) -> GraphQLError | None:
    """The request error for a number literal longer than NUMBER_LITERAL_LENGTH_MAX.
    Reads the parse's own token list (strings and comments are single tokens there)."""
    location = document.loc
    if location is None or (query is not None and not _LONG_DIGIT_RUN.search(query)):
        return None
    token: Token | None = location.start_token
    while token is not None:
        if token.kind in _NUMBER_TOKENS and token.end - token.start > NUMBER_LITERAL_LENGTH_MAX:
            return GraphQLError(
                f"Number literals are at most {NUMBER_LITERAL_LENGTH_MAX} characters long.",
                source=location.source,
                positions=[token.start],
                extensions={"code": VALIDATION_FAILED},
            )
        token = token.next
    return None


class Validation(ValidationCache):
    """Cached validation (see `extensions_for`), after a bound on number literals that
    spares graphql-core's rules literals they cannot convert.

    A document ParsedDocuments handed back is the very object validated before: its result
    is found by identity first. strawberry's cache is keyed by the document's value, and
    graphql-core's nodes hash every field of the tree on each lookup: for placeBet that hash
    was most of the validation step's CPU (about 0.2 ms a call profiled). An entry holds its
    document, so no other document can take its id while the entry lives."""

    _by_document: OrderedDict[
        int, tuple[DocumentNode, GraphQLSchema, tuple[Any, ...], list[GraphQLError]]
    ] = OrderedDict()
    hits = 0

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        document = context.graphql_document
        if document is not None and (error := long_number_literal(context.query, document)):
            context.pre_execution_errors = [error]
            yield
            return
        query = context.query
        if document is None or query is None or len(query) > DOCUMENT_CACHED_LENGTH_MAX:
            yield from super().on_validate()
            return
        schema = graphql_core_schema(context.schema)
        rules = tuple(context.validation_rules)
        known = self._by_document.get(id(document))
        if known is not None and known[0] is document and known[1] is schema and known[2] == rules:
            self._by_document.move_to_end(id(document))
            Validation.hits += 1
            context.pre_execution_errors = known[3]
            yield
            return
        errors = self.cached_validate_document(schema, document, context.validation_rules)
        self._by_document[id(document)] = (document, schema, rules, errors)
        if len(self._by_document) > DOCUMENTS_CACHED_MAX:
            self._by_document.popitem(last=False)
        context.pre_execution_errors = errors
        yield


COST_LIMIT_EXCEEDED = "QUERY_TOO_COSTLY"
COSTS_CACHED_MAX = 512


class QueryCost(SchemaExtension):
    """Refuses an operation whose estimated cost (schema/cost.py: fields resolved, lists and
    pages multiplied) is over the limit, before it runs, as a request error with the cost
    and the limit; and answers every operation's estimate in `extensions.cost`, so a client
    sees how close it is. Estimates are cached per parsed document and page-size values."""

    # (id(document), operation name) -> (document, variables read, {their values: cost}).
    _costs: ClassVar[
        OrderedDict[tuple[int, str | None], tuple[Any, tuple[str, ...], dict[str, int]]]
    ]
    _costs = OrderedDict()

    def __init__(self, *, limit: int) -> None:
        self.limit = limit
        self.cost: int | None = None

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        if not context.pre_execution_errors and context.graphql_document is not None:
            self.cost = self._estimate(context)
            if self.cost > self.limit:
                context.pre_execution_errors = [
                    GraphQLError(
                        f"This operation would cost {self.cost}, over the limit of "
                        f"{self.limit}: ask for smaller pages or fewer nested lists.",
                        extensions={
                            "code": COST_LIMIT_EXCEEDED,
                            "cost": self.cost,
                            "limit": self.limit,
                        },
                    )
                ]
        yield

    def get_results(self) -> dict[str, Any]:
        # Not on a subscription's frames: its cost was told (or refused) when it began,
        # and the same bytes go to every subscriber of a group.
        if self.cost is None or self.execution_context.operation_type is OperationType.SUBSCRIPTION:
            return {}
        return {"cost": {"estimated": self.cost, "limit": self.limit}}

    def _estimate(self, context: Any) -> int:
        document, name = context.graphql_document, context.operation_name
        variables = context.variables or {}
        key = (id(document), name)
        entry = self._costs.get(key)
        if entry is not None and entry[0] is document:
            values = repr([variables.get(read) for read in entry[1]])
            if (known := entry[2].get(values)) is not None:
                return known
        cost = operation_cost(graphql_core_schema(context.schema), document, name, variables)
        values = repr([variables.get(read) for read in cost.variables_read])
        if entry is None or entry[0] is not document:
            entry = self._costs[key] = (document, cost.variables_read, {})
            if len(self._costs) > COSTS_CACHED_MAX:
                self._costs.popitem(last=False)
        if len(entry[2]) < COSTS_CACHED_MAX:
            entry[2][values] = cost.value
        return cost.value


# graphql-core's "Did you mean 'wallets'?" (fields, arguments, types, enum values, input
# fields): names inside are GraphQL names, which never contain "?".
_SUGGESTION = re.compile(r" ?Did you mean [^?]*\?")


class _ErrorMasking(MaskErrors):
    """strawberry's MaskErrors, without its runtime-checkable Protocol: an `isinstance`
    against one walks the protocol's attributes on every call, once per masking extension
    per request (about 2 % of placeBet's profiled CPU for two extensions), for what
    `getattr` answers."""

    def _process_result(self, result: object) -> None:
        errors = getattr(result, "errors", None)
        if errors:
            result.errors = self._process_errors(errors)  # type: ignore[attr-defined]


class HideSuggestions(_ErrorMasking):
    """Outside development, errors do not suggest names: with introspection off, the
    suggestions would otherwise spell out the schema one typo at a time."""

    def __init__(self) -> None:
        super().__init__(should_mask_error=lambda error: "Did you mean" in error.message)

    def anonymise_error(self, error: GraphQLError) -> GraphQLError:
        return GraphQLError(
            _SUGGESTION.sub("", error.message),
            nodes=error.nodes,
            source=error.source,
            positions=error.positions,
            path=error.path,
            original_error=error.original_error,
            extensions=error.extensions,
        )


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


def _mark(context: object, errors: list[GraphQLError], code: str) -> None:
    if hasattr(context, "request_error"):
        context.request_error = True
    for error in errors:
        # In place: a cached validation result carries the same errors next time.
        if not (error.extensions or {}).get("code"):
            error.extensions = {**(error.extensions or {}), "code": code}


def _is_expected(error: GraphQLError) -> bool:
    original = error.original_error
    # No original error: a syntax or validation error; a GraphQLError inside: a variable
    # that does not coerce. Both are about the request, safe and useful to show.
    return original is None or isinstance(
        original, DomainError | StrawberryGraphQLError | GraphQLError
    )


class MaskUnexpectedErrors(_ErrorMasking):
    """Replace unexpected errors by "Unexpected error" and the request id. The details are
    logged once, with the traceback, by the schema's `process_errors`, which sees every
    error before this masks it."""

    def __init__(self) -> None:
        super().__init__(should_mask_error=lambda error: not _is_expected(error))

    def anonymise_error(self, error: GraphQLError) -> GraphQLError:
        request_id = getattr(self.execution_context.context, "request_id", "unknown")
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
        # First, so its span and timing wrap every other extension's work.
        OperationTelemetry,
        RequestErrors,
        ParsedDocuments,
        partial(MaxTokensLimiter, max_token_count=settings.graphql_max_tokens),
        partial(AddValidationRules, limit_rules),
        Validation,
        # After validation: only documents that validate are estimated.
        partial(QueryCost, limit=settings.graphql_max_cost),
        MaskUnexpectedErrors,
    ]
    if settings.env is not Environment.DEV:
        extensions.append(HideSuggestions)
    if settings.is_production:
        extensions.append(DisableIntrospection)
    return extensions
