"""Schema-driven fuzz: every argument of every query and mutation in `schema.graphql`, down
through input objects, gets hostile values (control characters, direction overrides, 10k
characters, ids out of range or of another type, extreme dates, malformed amounts, extreme
integers, unknown enum values), signed in as a player and as staff. Nothing may answer an
unexpected error or a 5xx, and nothing may change (issue 12 item 2).

Each hostile value goes into one leaf at a time, the other leaves holding harmless fillers
(an id of no type, "fuzz", the first enum value), so a refusal is the hostile value's doing.
Sampled per leaf type, not the cartesian product, to stay well under two minutes."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from graphql import (
    GraphQLEnumType,
    GraphQLField,
    GraphQLInputObjectType,
    GraphQLInputType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLScalarType,
    build_schema,
    get_named_type,
    is_composite_type,
)
from sqlalchemy import text
from strawberry.relay import to_base64

from domain.brands.service import BrandRegistry
from domain.kernel.db import Database
from tests.schema.wallets.support import signed_in_player, signed_in_staff
from tests.support import AURORA, Api

SCHEMA = build_schema((Path(__file__).parents[2] / "schema.graphql").read_text())
_NOTHING_ID = to_base64("Nothing", "1")

HOSTILE: dict[str, list[Any]] = {
    "String": [
        "nul\x00byte",
        "bell\x07and\x1bescape",
        "\u202egnp.exe",  # right-to-left override
        "x" * 10_000,
        "",
    ],
    # Ids of the argument's own type are added per argument (see `_hostile_ids`).
    "ID": [
        to_base64("Sport", "99999999999999999999"),
        to_base64("Player", "²"),
        to_base64("Outcome", str(uuid.uuid4())),
        "not base64 %%%",
        "\x00",
    ],
    "DateTime": [
        "0001-01-01T00:00:00+14:00",
        "9999-12-31T23:59:59-14:00",
        "1899-12-31T23:59:59Z",
        "2026-13-45T99:99:99Z",
        "x" * 10_000,
    ],
    "Date": ["0001-01-01", "9999-12-31", "2026-02-30", "x" * 1_000],
    "Decimal": [
        0.10000000000000000001,
        5,
        "5.000000000000000001",
        "1E+999999999",
        "1E+400000",
        "-1",
        "١٢",
    ],
    "Int": [2_147_483_647, -2_147_483_648, -1],
    "Boolean": [],
}
HOSTILE["Markdown"] = HOSTILE["String"]
HOSTILE["Base64"] = [*HOSTILE["String"], "not base64 %%%", "QUJD" * 100_000]
_FILLER: dict[str, Any] = {
    "String": "fuzz",
    "Markdown": "fuzz",
    "Base64": "ZnV6eg==",
    "ID": _NOTHING_ID,
    "DateTime": "2026-01-01T00:00:00Z",
    "Date": "1990-01-01",
    "Decimal": "1",
    "Int": 1,
    "Boolean": False,
}
# What the database holds that a request could change; background work (relay, feeds) does
# not touch these in a test.
FINGERPRINT = text(
    """SELECT (SELECT count(*) FROM players), (SELECT count(*) FROM staff_users),
       (SELECT count(*) FROM ledger_transactions), (SELECT count(*) FROM ledger_entries),
       (SELECT coalesce(sum(balance), 0) FROM ledger_accounts),
       (SELECT count(*) FROM audit_log), (SELECT count(*) FROM payments),
       (SELECT count(*) FROM sportsbook_bets), (SELECT count(*) FROM casino_favourites),
       (SELECT count(*) FROM casino_game_sessions), (SELECT count(*) FROM player_limits),
       (SELECT count(*) FROM reality_checks), (SELECT count(*) FROM auth_sessions),
       (SELECT count(*) FROM idempotency_keys),
       (SELECT count(*) FROM sportsbook_market_margins),
       (SELECT string_agg(status, ',' ORDER BY id) FROM players)"""
)


def _filler(graphql_type: GraphQLInputType) -> Any:
    if isinstance(graphql_type, GraphQLNonNull):
        return _filler(graphql_type.of_type)
    if isinstance(graphql_type, GraphQLList):
        return [_filler(graphql_type.of_type)]
    if isinstance(graphql_type, GraphQLInputObjectType):
        return {
            name: _filler(field.type)
            for name, field in graphql_type.fields.items()
            if isinstance(field.type, GraphQLNonNull)
        }
    if isinstance(graphql_type, GraphQLEnumType):
        return next(iter(graphql_type.values))
    assert isinstance(graphql_type, GraphQLScalarType)
    return _FILLER[graphql_type.name]


def _hostile(
    graphql_type: GraphQLInputType, name: str, seen: frozenset[str] = frozenset()
) -> Iterator[tuple[str, Any]]:
    """(path, value) for each hostile value of each leaf under `graphql_type` (the argument
    or input field `name`); the value replaces the whole argument, its other leaves filled
    harmlessly. A recursive input (a segment rule's `and`/`or`/`not`) is entered once per
    path: its leaves are the same at every depth."""
    if isinstance(graphql_type, GraphQLNonNull):
        yield from _hostile(graphql_type.of_type, name, seen)
    elif isinstance(graphql_type, GraphQLList):
        for path, value in _hostile(graphql_type.of_type, name, seen):
            yield f"[{path}]", [value]
    elif isinstance(graphql_type, GraphQLInputObjectType):
        if graphql_type.name in seen:
            return
        inside = seen | {graphql_type.name}
        for field_name, field in graphql_type.fields.items():
            for path, value in _hostile(field.type, field_name, inside):
                yield f"{field_name}.{path}", {**_filler(graphql_type), field_name: value}
    elif isinstance(graphql_type, GraphQLEnumType):
        yield "", "NOT_A_VALUE"
    elif graphql_type.name == "ID":
        for value in [*HOSTILE["ID"], *_hostile_ids(name)]:
            yield "", value
    else:
        assert isinstance(graphql_type, GraphQLScalarType)
        for value in HOSTILE[graphql_type.name]:
            yield "", value


# The type of the node an id argument names, when its name does not say it plainly.
_ID_TYPES = {
    "event": ["SportsbookEvent"],
    "events": ["SportsbookEvent"],
    "game": ["CasinoGame"],
    "withdrawalId": ["Payment"],
    "staffId": ["StaffMember"],
}
_NODE_TYPES = sorted(
    name
    for name, graphql_type in SCHEMA.type_map.items()
    if isinstance(graphql_type, GraphQLObjectType)
    and any(interface.name == "Node" for interface in graphql_type.interfaces)
)


def _hostile_ids(name: str) -> Iterator[str]:
    """Keys its own type cannot have: beyond a bigint, negative, digits of another script."""
    types = _ID_TYPES.get(name) or (
        _NODE_TYPES
        if name == "id"
        else [name.removesuffix("Id")[:1].upper() + name.removesuffix("Id")[1:]]
    )
    # `node(id:)` takes every type: one key each keeps the sample small.
    keys = ("99999999999999999999",) if name == "id" else ("99999999999999999999", "-1", "٣")
    for type_name in types:
        for key in keys:
            yield to_base64(type_name, key)


def _document(operation: str, name: str, field: GraphQLField, path: list[str]) -> str:
    variables = ", ".join(f"${arg}: {argument.type}" for arg, argument in field.args.items())
    arguments = ", ".join(f"{arg}: ${arg}" for arg in field.args)
    selection = ""
    if is_composite_type(get_named_type(field.type)):
        errors = "errors { code field message }" if operation == "mutation" else ""
        selection = f"{{ __typename {errors} }}"
    inner = f"{name}({arguments}) {selection}"
    for parent in reversed(path):
        inner = f"{parent} {{ {inner} }}"
    return f"{operation}({variables}) {{ {inner} }}"


def _paths_to_nested_fields() -> dict[str, list[str]]:
    """For each object type below Query with a field taking arguments: the shortest path
    of argument-free fields that reaches it from Query (e.g. Player: viewer, player)."""
    assert SCHEMA.query_type is not None
    paths: dict[str, list[str]] = {SCHEMA.query_type.name: []}
    queue = [SCHEMA.query_type]
    while queue:
        parent = queue.pop(0)
        for name, field in parent.fields.items():
            child = get_named_type(field.type)
            if field.args or not isinstance(child, GraphQLObjectType) or child.name in paths:
                continue
            paths[child.name] = [*paths[parent.name], name]
            queue.append(child)
    return {
        type_name: path
        for type_name, path in paths.items()
        if path and any(field.args for field in SCHEMA.type_map[type_name].fields.values())  # type: ignore[union-attr]
    }


def _roots() -> Iterator[tuple[str, list[str], GraphQLObjectType]]:
    """(operation, path from the root, object type) of every type whose fields to fuzz."""
    assert SCHEMA.query_type is not None and SCHEMA.mutation_type is not None
    yield "query", [], SCHEMA.query_type
    yield "mutation", [], SCHEMA.mutation_type
    for type_name, path in _paths_to_nested_fields().items():
        graphql_type = SCHEMA.type_map[type_name]
        assert isinstance(graphql_type, GraphQLObjectType)
        yield "query", path, graphql_type


def cases() -> Iterator[tuple[str, dict[str, Any], str]]:
    """(document, variables, label) for every hostile value of every argument leaf."""
    for operation, path, root in _roots():
        for name, field in root.fields.items():
            if not field.args:
                continue
            document = _document(operation, name, field, path)
            # Optional arguments stay absent: a filler there (a cursor "fuzz") would refuse
            # the request before the hostile value is read.
            fillers = {
                arg: _filler(argument.type)
                for arg, argument in field.args.items()
                if isinstance(argument.type, GraphQLNonNull)
            }
            for arg, argument in field.args.items():
                for leaf, value in _hostile(argument.type, arg):
                    label = ".".join([*path, name])
                    yield document, {**fillers, arg: value}, f"{label}({arg}.{leaf})"


async def _fingerprint(db: Database) -> tuple[Any, ...]:
    async with db.uow() as uow:
        return tuple((await uow.session.execute(FINGERPRINT)).one())


async def _fuzz(api: Api) -> list[str]:
    """Every case through `api`; the labels of those that failed."""
    failures = []
    for document, variables, label in cases():
        response = await api.post({"query": document, "variables": variables})
        body = response.text
        if response.status_code >= 500 or "Unexpected error" in body:
            failures.append(f"{label}: {response.status_code} {body[:300]}")
    return failures


def test_every_argument_leaf_gets_hostile_values() -> None:
    labels = [label for _, _, label in cases()]

    # The fuzz reaches every root field that takes arguments, and input objects' leaves.
    for root in (SCHEMA.query_type, SCHEMA.mutation_type):
        assert root is not None
        for name, field in root.fields.items():
            if any(_has_hostile_values(argument.type) for argument in field.args.values()):
                assert any(label.startswith(f"{name}(") for label in labels), name
    assert "adjustBalance(input.amount.amount.)" in labels
    assert "placeBet(input.selections.[outcome.])" in labels
    assert "viewer.player.transactions(kinds.[])" in labels


def _has_hostile_values(graphql_type: GraphQLInputType, seen: frozenset[str] = frozenset()) -> bool:
    """Whether some leaf under `graphql_type` is not a Boolean (a Boolean has no hostile
    value: graphql-core refuses anything else); a recursive input is entered once."""
    named = get_named_type(graphql_type)
    if isinstance(named, GraphQLInputObjectType):
        if named.name in seen:
            return False
        inside = seen | {named.name}
        return any(_has_hostile_values(field.type, inside) for field in named.fields.values())
    return named.name != "Boolean"


async def test_hostile_values_answer_no_unexpected_error_and_change_nothing(
    server: str, db: Database, registry: BrandRegistry
) -> None:
    player, _ = await signed_in_player(server, AURORA, f"fuzz-{uuid.uuid4().hex[:8]}@example.com")
    staff = await signed_in_staff(server, AURORA, db, ["admin"])
    before = await _fingerprint(db)

    as_player, as_staff = await asyncio.gather(_fuzz(player), _fuzz(staff))
    failures = [*as_player, *as_staff]

    assert failures == [], "\n".join(failures)
    assert await _fingerprint(db) == before
    await player.aclose()
    await staff.aclose()
