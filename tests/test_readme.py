"""The README's GraphQL examples are what frontend developers copy first: each must parse
and validate against the current schema."""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path

import pytest
from graphql import parse, validate

from domain.accounts.permissions import ROLE_PERMISSIONS, Permission
from schema import build_schema
from schema.extensions import graphql_core_schema

README = Path(__file__).resolve().parents[1] / "README.md"
_GRAPHQL_BLOCK = re.compile(r"```graphql\n(.*?)```", re.DOTALL)
# Documents inside the JavaScript examples: `query: "..."` or query: `...`.
_JS_QUERY = re.compile(r"query: [`\"](.*?)[`\"]", re.DOTALL)


# The JSON body of the curl examples: -d '{"query": "..."}'.
_CURL_BODY = re.compile(r"-d '(\{.*?\})'", re.DOTALL)


def _examples() -> list[str]:
    text = README.read_text(encoding="utf-8")
    javascript = "\n".join(re.findall(r"```js\n(.*?)```", text, re.DOTALL))
    curl = [
        json.loads(body)["query"]
        for body in _CURL_BODY.findall(text)
        if body.startswith('{"query"')
    ]
    return _GRAPHQL_BLOCK.findall(text) + _JS_QUERY.findall(javascript) + curl


def test_the_readme_has_graphql_examples() -> None:
    assert len(_examples()) >= 8


@pytest.mark.parametrize("document", _examples(), ids=lambda d: " ".join(d.split())[:60])
def test_each_readme_example_validates_against_the_schema(document: str) -> None:
    schema = graphql_core_schema(build_schema())

    errors = validate(schema, parse(document))

    assert errors == []


def _section(heading: str) -> str:
    text = README.read_text(encoding="utf-8")
    start = text.index(heading)
    end = text.find("\n## ", start + len(heading))
    return text[start : end if end != -1 else None]


def test_the_theme_example_is_the_shipped_aurora_theme() -> None:
    themes = README.parent / "themes"
    example = re.search(r"```toml\n(.*?)```", _section("## Brands, theming"), re.DOTALL)

    assert example is not None
    shipped = tomllib.loads((themes / "aurora" / "theme.toml").read_text(encoding="utf-8"))
    assert tomllib.loads(example.group(1)) == shipped


def _served_permissions() -> set[str]:
    """Permissions some code outside their declaration checks or declares on a field."""
    root = README.parent
    sources = [
        path.read_text(encoding="utf-8")
        for folder in ("domain", "resolvers", "schema", "web")
        for path in (root / folder).rglob("*.py")
        if path.name != "permissions.py"
    ]
    return {
        permission.value
        for permission in Permission
        if any(f"Permission.{permission.name}" in source for source in sources)
    }


def test_the_role_table_promises_only_what_is_served() -> None:
    section = _section("## Staff and roles")
    rows = dict(re.findall(r"^\| (\w+) \| (.*) \|$", section, re.MULTILINE))
    served = _served_permissions()
    unserved_note = section[section.index("The roles also hold") :].split("\n\n")[0]

    for role, permissions in ROLE_PERMISSIONS.items():
        listed = set(re.findall(r"`([a-z.]+)`", rows[role.value]))
        assert listed == {p.value for p in permissions} & served, role
    every_granted = {p.value for permissions in ROLE_PERMISSIONS.values() for p in permissions}
    assert set(re.findall(r"`([a-z.]+)`", unserved_note)) == every_granted - served
