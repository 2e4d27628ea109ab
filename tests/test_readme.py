"""The README's GraphQL examples are what frontend developers copy first: each must parse
and validate against the current schema."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from graphql import parse, validate

from schema import build_schema

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
    schema = build_schema()._schema

    errors = validate(schema, parse(document))

    assert errors == []
