"""The console's documents: each file holds one named operation that validates against the
current schema, and each is run by some page (no stale document lingers as a trusted one)."""

from __future__ import annotations

from pathlib import Path

import pytest
from graphql import OperationDefinitionNode, parse, validate

from schema import build_schema
from schema.extensions import graphql_core_schema
from web.backoffice.console import DOCUMENTS_DIR
from web.site.client import load_documents

PACKAGE = Path(__file__).resolve().parents[3] / "web" / "backoffice"
DOCUMENTS = load_documents(DOCUMENTS_DIR)


@pytest.mark.parametrize("name", sorted(DOCUMENTS))
def test_each_document_is_one_named_operation_valid_against_the_schema(name: str) -> None:
    document = parse(DOCUMENTS[name])
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]

    errors = validate(graphql_core_schema(build_schema()), document)

    assert errors == []
    assert [operation.name.value for operation in operations if operation.name] == [name]
    assert (DOCUMENTS_DIR / f"{name}.graphql").is_file()


def test_every_document_is_run_by_a_page() -> None:
    code = "\n".join(path.read_text(encoding="utf-8") for path in PACKAGE.glob("*.py"))

    unused = sorted(name for name in DOCUMENTS if f'"{name}"' not in code)

    assert unused == []
