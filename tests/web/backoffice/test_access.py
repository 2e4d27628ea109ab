"""Every console page is reachable only by the roles whose permissions its documents need.

The permissions are derived here from the committed schema (`schema.graphql`): each field
and argument a page's documents select names its permission in its description ("Staff
(wallet.adjust)", "staff with player.read"). Not from a hand list, and not from the
console's own computation, which the test compares with it (a permission class without a
description would show there). Then every role signs in through the console and opens
every page: 200 where its permissions meet the page's need, 403 elsewhere.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

import pytest
from graphql import GraphQLSchema, TypeInfo, TypeInfoVisitor, Visitor, build_schema, parse, visit

from domain.accounts.permissions import ROLE_PERMISSIONS, Role
from domain.kernel.db import Database
from tests.web.backoffice.support import signed_in_console
from web.backoffice import AREAS
from web.backoffice.access import Area
from web.site.client import load_documents

SCHEMA = Path(__file__).resolve().parents[3] / "schema.graphql"
DOCUMENTS = Path(__file__).resolve().parents[3] / "web" / "backoffice" / "documents"
NAMED = re.compile(r"\b[Ss]taff (?:\(|with )([a-z]+(?:\.[a-z]+)+)")


def _needs(schema: GraphQLSchema, document: str) -> set[str]:
    type_info = TypeInfo(schema)
    found: set[str] = set()

    class Collect(Visitor):
        def enter_field(self, *_: object) -> None:
            definition = type_info.get_field_def()
            if definition is not None:
                found.update(NAMED.findall(definition.description or ""))

        def enter_argument(self, *_: object) -> None:
            argument = type_info.get_argument()
            if argument is not None:
                found.update(NAMED.findall(argument.description or ""))

    visit(parse(document), TypeInfoVisitor(type_info, Collect()))
    return found


@cache
def _document_needs(name: str) -> frozenset[str]:
    """What one named document needs. The schema is built and the documents read once per
    test process: building the whole SDL for every page and role took most of this file's
    time (minutes on CI)."""
    return frozenset(_needs(_schema(), _documents()[name]))


@cache
def _schema() -> GraphQLSchema:
    return build_schema(SCHEMA.read_text(encoding="utf-8"))


@cache
def _documents() -> dict[str, str]:
    return load_documents(DOCUMENTS)


def _page_needs(area: Area) -> tuple[set[str], set[str]]:
    """(all of, any of): a page needs what its reads need; a page whose reads are public
    (the shared sportsbook catalogue) needs at least one of its actions' permissions."""
    reads = set().union(*(_document_needs(name) for name in area.reads))
    actions = set().union(*(_document_needs(name) for name in area.actions))
    return reads, (set() if reads else actions)


def _allowed(role: Role, area: Area) -> bool:
    held = {permission.value for permission in ROLE_PERMISSIONS[role]}
    all_of, any_of = _page_needs(area)
    return all_of <= held and (not any_of or bool(any_of & held))


def test_the_consoles_guard_needs_what_the_schema_says() -> None:
    from domain.kernel.settings import get_settings
    from web.backoffice.access import Permissions
    from web.graphql import StakehouseGraphQL

    computed = Permissions(StakehouseGraphQL(get_settings()).schema, _documents())

    for area in AREAS:
        requirement = computed.requirement(area)
        all_of, any_of = _page_needs(area)
        assert ({p.value for p in requirement.all_of}, {p.value for p in requirement.any_of}) == (
            all_of,
            any_of,
        ), area.slug


def test_every_staff_page_but_the_dashboard_needs_a_permission() -> None:
    needing = {area.slug for area in AREAS if any(_page_needs(area))}

    assert needing == {area.slug for area in AREAS} - {"dashboard"}


@pytest.mark.parametrize("role", list(Role))
async def test_each_page_opens_only_for_roles_holding_what_its_documents_need(
    server: str, db: Database, role: Role
) -> None:
    console = await signed_in_console(server, db, f"{role.value}@op.example", [role.value])
    dashboard = await console.get("/")

    answers = {area.slug: (await console.get(area.path)).status_code for area in AREAS}

    expected = {area.slug: 200 if _allowed(role, area) else 403 for area in AREAS}
    assert answers == expected
    for area in AREAS:
        linked = f'href="{area.path}"' in dashboard.text.split("<main", 1)[0]
        assert linked == _allowed(role, area), area.slug
    await console.aclose()
