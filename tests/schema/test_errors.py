"""Domain errors as GraphQL: mutation error types and query errors come from schema/errors.py,
and nothing else in the schema maps a domain error by hand."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from strawberry.exceptions import StrawberryGraphQLError

from domain.kernel.errors import DomainError, PermissionDenied, ReasonRequired
from domain.kernel.paging import InvalidCursor
from schema.errors import MutationError, as_query_error, mutation_error, to_errors

SCHEMA_ROOT = Path(__file__).resolve().parents[2] / "schema"
HOME = SCHEMA_ROOT / "errors.py"


@mutation_error(ReasonRequired)
class ProbeError(MutationError): ...


def test_a_mutation_error_lists_its_codes_and_the_three_every_mutation_answers() -> None:
    code_enum = ProbeError.__annotations__["code"]

    # WITHDRAW_ONLY: a self-excluded player's withdraw-only session asked for anything else.
    assert [member.value for member in code_enum] == [
        "INVALID",
        "NOT_AUTHENTICATED",
        "REASON_REQUIRED",
        "WITHDRAW_ONLY",
    ]
    assert code_enum.__name__ == "ProbeErrorCode"


def test_domain_errors_become_the_payload_errors_of_their_mutation() -> None:
    errors = to_errors(ProbeError, [ReasonRequired(field="reason"), DomainError()])

    assert all(isinstance(error, ProbeError) for error in errors)
    assert [(e.code.value, e.field, e.message) for e in errors] == [
        ("REASON_REQUIRED", "reason", "Give a reason for this action."),
        ("INVALID", None, "The request is invalid."),
    ]


def test_an_error_missing_from_the_mutation_enum_is_a_programming_error() -> None:
    with pytest.raises(KeyError):
        to_errors(ProbeError, [PermissionDenied()])


def test_a_domain_error_in_a_query_is_a_graphql_error_with_its_code() -> None:
    with pytest.raises(StrawberryGraphQLError) as raised, as_query_error():
        raise InvalidCursor(field="after")

    assert raised.value.message == "The cursor is not one this API issued."
    assert raised.value.extensions == {"code": "INVALID_CURSOR"}
    # The domain traceback is not chained onto what the client gets.
    assert raised.value.__cause__ is None and raised.value.__suppress_context__


def test_an_unexpected_error_in_a_query_passes_through_for_masking() -> None:
    with pytest.raises(ZeroDivisionError), as_query_error():
        _ = 1 / 0


def _hand_mappings(path: Path) -> list[str]:
    """Places that turn a DomainError into a GraphQL error themselves: an `except
    DomainError` that raises, or a GraphQL error built from an error's `.code`."""
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        catches_domain_error = isinstance(node, ast.ExceptHandler) and (
            node.type is not None and ast.unparse(node.type).endswith("DomainError")
        )
        if catches_domain_error and any(isinstance(n, ast.Raise) for n in ast.walk(node)):
            found.append(f"{path.name}:{node.lineno} except DomainError ... raise")
        if isinstance(node, ast.Call) and ast.unparse(node.func).endswith("GraphQLError"):
            # An error instance's code (`error.code`), not a class's constant.
            instance_codes = [
                n
                for keyword in node.keywords
                if keyword.arg == "extensions"
                for n in ast.walk(keyword.value)
                if isinstance(n, ast.Attribute) and n.attr == "code"
                if isinstance(n.value, ast.Name) and n.value.id[0].islower()
            ]
            if instance_codes:
                found.append(f"{path.name}:{node.lineno} GraphQLError(... error.code)")
    return found


def test_only_schema_errors_maps_domain_errors_to_graphql_errors() -> None:
    found = [
        place
        for path in sorted(SCHEMA_ROOT.rglob("*.py"))
        if path != HOME
        for place in _hand_mappings(path)
    ]

    assert found == []


def test_mutation_error_types_need_no_type_ignore() -> None:
    ignored = [
        f"{path.relative_to(SCHEMA_ROOT)}:{number}"
        for path in sorted(SCHEMA_ROOT.rglob("*.py"))
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if "type: ignore[valid-type]" in line
    ]

    assert ignored == []
