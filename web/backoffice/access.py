"""Which permissions a back-office page needs, computed from its GraphQL documents.

A field (or argument) of the schema names its permission in one of two places: a permission
class on the field (`HasPermission`, the `@hasPermission` fields) or, where the service
checks it, its description ("Staff (wallet.adjust): ...", "... staff with player.read").
Walking a document against the schema collects the permissions of every field and argument
it selects. So a page's guard and the navigation follow the schema: a permission moved in
the API moves here without a hand-kept list.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Final

from graphql import (
    ArgumentNode,
    FieldNode,
    GraphQLSchema,
    TypeInfo,
    Visitor,
    parse,
    visit,
)
from graphql.utilities import TypeInfoVisitor
from strawberry.permission import PermissionExtension
from strawberry.schema.base import BaseSchema

from domain.accounts.permissions import Permission
from resolvers.permissions import HasPermission
from schema.extensions import graphql_core_schema

# "Staff (market.trade, every brand...)" or "staff with casino.reconcile".
_NAMED: Final = re.compile(r"\b[Ss]taff (?:\(|with )([a-z]+(?:\.[a-z]+)+)")
_KNOWN: Final = {permission.value: permission for permission in Permission}


def _described(description: str | None) -> set[Permission]:
    return {_KNOWN[name] for name in _NAMED.findall(description or "") if name in _KNOWN}


def _classes(definition: Any) -> set[Permission]:
    strawberry_field = (definition.extensions or {}).get("strawberry-definition")
    found: set[Permission] = set()
    for extension in getattr(strawberry_field, "extensions", None) or ():
        if isinstance(extension, PermissionExtension):
            for permission in extension.permissions:
                if isinstance(permission, HasPermission):
                    found.add(permission.permission)
    return found


class _Collector(Visitor):
    def __init__(self, type_info: TypeInfo) -> None:
        super().__init__()
        self.type_info = type_info
        self.found: set[Permission] = set()

    def enter_field(self, node: FieldNode, *_: Any) -> None:
        definition = self.type_info.get_field_def()
        if definition is not None:
            self.found |= _classes(definition) | _described(definition.description)

    def enter_argument(self, node: ArgumentNode, *_: Any) -> None:
        argument = self.type_info.get_argument()
        if argument is not None:
            self.found |= _described(argument.description)


def document_permissions(schema: GraphQLSchema, document: str) -> frozenset[Permission]:
    """Every permission the fields and arguments a document selects need."""
    type_info = TypeInfo(schema)
    collector = _Collector(type_info)
    visit(parse(document), TypeInfoVisitor(type_info, collector))
    return frozenset(collector.found)


@dataclass(frozen=True)
class Requirement:
    """What a role must hold to open a page: all of `all_of` and, when the page's reads are
    public (the sportsbook catalogue), at least one of `any_of` (its actions): a page that
    only shows public data is a workplace for its actions."""

    all_of: frozenset[Permission]
    any_of: frozenset[Permission]

    def met_by(self, held: Iterable[str]) -> bool:
        granted = set(held)
        if not self.all_of <= granted:
            return False
        return not self.any_of or bool(self.any_of & granted)


@dataclass(frozen=True)
class Area:
    """One page of the console: its path, title, the documents it reads to show (`reads`)
    and the actions it offers (`actions`)."""

    slug: str
    path: str
    title: str
    reads: tuple[str, ...]
    actions: tuple[str, ...] = ()


class Permissions:
    """The permissions of every document of the console, computed once at start-up."""

    def __init__(self, schema: BaseSchema, documents: Mapping[str, str]) -> None:
        graphql_schema = graphql_core_schema(schema)
        self.of: dict[str, frozenset[Permission]] = {
            name: document_permissions(graphql_schema, text) for name, text in documents.items()
        }

    def requirement(self, area: Area) -> Requirement:
        reads = frozenset().union(*(self.of[name] for name in area.reads))
        actions = frozenset().union(*(self.of[name] for name in area.actions))
        return Requirement(all_of=reads, any_of=frozenset() if reads else actions)

    def allows(self, operation: str, held: Iterable[str]) -> bool:
        return self.of[operation] <= set(held)
