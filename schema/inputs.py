"""Every value a client types is checked where it enters, before any resolver runs: text
(control characters, bidirectional overrides, length) by one guard around each field that
takes text, date-times by a bounded `DateTime` scalar. The domain never sees such a value and
nothing reaches PostgreSQL that it cannot store (a NUL byte in a lobby search or a staff
e-mail was an unexpected error; "0001-01-01T00:00:00+14:00" was "date out of range").

A refused text is the mutation's typed error (INVALID, `field` naming the input field) or,
for a query, a GraphQL error with `extensions.code` INVALID and the argument's name.
Ids, amounts, enums: see `schema.ids`, `schema.money` and graphql-core's own coercion."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import dateutil.parser
from graphql import (
    GraphQLField,
    GraphQLInputObjectType,
    GraphQLInputType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLSchema,
    get_named_type,
)
from strawberry.exceptions import StrawberryGraphQLError

from domain.kernel.errors import DomainError
from schema.extensions import STRAWBERRY_DATETIME, item_type, object_fields, strawberry_field

# Longer than any text the API takes (reasons: 500, e-mail: 254, passwords: 128), so each
# field's own, tighter rule still answers with its own error; a 10k-character string stops
# here.
TEXT_LENGTH_MAX = 1_000
# C0 controls but tab, line feed and carriage return (reasons may span lines); DEL and C1
# controls; the bidirectional embeddings, overrides and isolates that make text display
# in another order than it is stored (Trojan Source). NUL is the one PostgreSQL refuses.
_REFUSED_CHARACTERS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")

# Date-times clients may send (in UTC, exclusive end): anything else is no instant of this
# platform's life, and the year of margin on each side keeps every conversion (time zones,
# a period added, SQL) inside Python's and PostgreSQL's ranges.
DATETIME_MIN = datetime(1900, 1, 1, tzinfo=UTC)
DATETIME_END = datetime(9999, 1, 1, tzinfo=UTC)
_DATETIME_TEXT_LENGTH_MAX = 64


def text_refusal(value: str) -> str | None:
    """Why `value` cannot enter, or None when it can."""
    if len(value) > TEXT_LENGTH_MAX:
        return f"At most {TEXT_LENGTH_MAX} characters."
    if _REFUSED_CHARACTERS.search(value):
        return "Control characters and direction overrides are not allowed."
    return None


def typed_text(value: str, length_max: int) -> str:
    """What a form field or query parameter amounts to as API input: without the
    characters the API refuses, trimmed, cut to `length_max` (a site's search box cuts
    rather than refuses)."""
    return _REFUSED_CHARACTERS.sub("", value).strip()[:length_max]


def _refused_texts(
    value: Any, graphql_type: GraphQLInputType, path: str
) -> Iterator[tuple[str, str]]:
    """(field path, reason) for each refused text in a coerced argument value."""
    if value is None:
        return
    if isinstance(graphql_type, GraphQLNonNull):
        yield from _refused_texts(value, graphql_type.of_type, path)
    elif isinstance(graphql_type, GraphQLList):
        for item in value if isinstance(value, list) else [value]:
            yield from _refused_texts(item, graphql_type.of_type, path)
    elif isinstance(graphql_type, GraphQLInputObjectType):
        for name, field in graphql_type.fields.items():
            item = _input_field(value, field.out_name or name, name)
            yield from _refused_texts(
                item, field.type, name if path == "input" else f"{path}.{name}"
            )
    elif get_named_type(graphql_type).name in TEXT_SCALARS and isinstance(value, str):
        refusal = text_refusal(value)
        if refusal is not None:
            yield path, refusal


def _input_field(value: Any, out_name: str, name: str) -> Any:
    # graphql-core gives input objects as dicts; strawberry may have built its object.
    if isinstance(value, dict):
        return value.get(out_name, value.get(name))
    return getattr(value, out_name, None)


def _first_refusal(field: GraphQLField, arguments: dict[str, Any]) -> tuple[str, str] | None:
    for name, argument in field.args.items():
        key = argument.out_name or name
        if key in arguments:
            for refusal in _refused_texts(arguments[key], argument.type, name):
                return refusal
    return None


def install_input_guards(schema: GraphQLSchema) -> None:
    """Wrap the resolver of every field that takes text (a String or ID argument, or an
    input object holding one) with the text guard; mutations answer their payload, other
    fields a GraphQL error. Fields that take only enums and numbers (the odds' `display`,
    resolved by the thousand) stay unwrapped."""
    for graphql_type in schema.type_map.values():
        # A subscription's arguments are read by its source, not by the resolver of each
        # event: the guard there would run too late (subscriptions take ids only).
        if (
            not isinstance(graphql_type, GraphQLObjectType)
            or graphql_type.name.startswith("__")
            or graphql_type is schema.subscription_type
        ):
            continue
        typed = graphql_type is schema.mutation_type
        for graphql_field in graphql_type.fields.values():
            takes_text = any(_takes_text(argument.type) for argument in graphql_field.args.values())
            if takes_text and graphql_field.resolve is not None:
                refuse = _payload_refusal(graphql_field) if typed else _query_refusal
                graphql_field.resolve = _guarded(graphql_field, graphql_field.resolve, refuse)


def _takes_text(graphql_type: GraphQLInputType, seen: frozenset[str] = frozenset()) -> bool:
    named = get_named_type(graphql_type)
    if isinstance(named, GraphQLInputObjectType):
        return named.name not in seen and any(
            _takes_text(field.type, seen | {named.name}) for field in named.fields.values()
        )
    return named.name in TEXT_SCALARS


# The scalars whose text reaches resolvers as typed. Decimal, DateTime and Date text goes
# through its own parser, which answers its own typed error (INVALID_AMOUNT, ...).
TEXT_SCALARS = frozenset({"String", "ID"})


def _guarded(
    field: GraphQLField, resolve: Callable[..., Any], refuse: Callable[[str, str], Any]
) -> Callable[..., Any]:
    def resolve_guarded(root: Any, info: Any, **arguments: Any) -> Any:
        refusal = _first_refusal(field, arguments)
        if refusal is not None:
            return refuse(*refusal)
        return resolve(root, info, **arguments)

    return resolve_guarded


def _query_refusal(field: str, message: str) -> Any:
    raise StrawberryGraphQLError(message, extensions={"code": DomainError.code, "field": field})


def _payload_refusal(graphql_field: GraphQLField) -> Callable[[str, str], Any]:
    """A function answering a refused text with the mutation's own payload: no result, one
    error of its `<Mutation>Error` type with the code every mutation has (INVALID)."""
    mutation_field = strawberry_field(graphql_field)
    assert mutation_field is not None
    payload_type: Any = mutation_field.type
    errors_field = next(f for f in object_fields(payload_type) if f.python_name == "errors")
    errors_type: Any = item_type(errors_field.type)
    code = errors_type.__annotations__["code"][DomainError.code]
    # Every other field of a payload is the result, absent on failure.
    empty = {
        field.name: None
        for field in dataclasses.fields(payload_type)
        if field.name != "errors" and field.init
    }

    def refuse(field: str, message: str) -> Any:
        return payload_type(**empty, errors=[errors_type(code=code, field=field, message=message)])

    return refuse


def _parse_datetime(value: object) -> datetime:
    if not isinstance(value, str) or len(value) > _DATETIME_TEXT_LENGTH_MAX:
        raise ValueError("DateTime is an ISO 8601 string")
    try:
        parsed: datetime = dateutil.parser.isoparse(value)
        # Naive text is taken as UTC for the bounds only; the value keeps its form.
        instant = parsed.astimezone(UTC) if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    except (ValueError, OverflowError):
        # "0001-01-01T00:00:00+14:00" is before year 1 in UTC: out of Python's range.
        raise ValueError(_DATETIME_RANGE) from None
    if not DATETIME_MIN <= instant < DATETIME_END:
        raise ValueError(_DATETIME_RANGE)
    return parsed


_DATETIME_RANGE = (
    f"DateTime is ISO 8601 text from {DATETIME_MIN.year} to {DATETIME_END.year - 1} (UTC)"
)

DATETIME = dataclasses.replace(
    STRAWBERRY_DATETIME,
    description=f'An instant as ISO 8601 text, e.g. "2026-05-17T12:00:00Z", from '
    f"{DATETIME_MIN.year} to {DATETIME_END.year - 1} (UTC).",
    parse_value=_parse_datetime,
)
