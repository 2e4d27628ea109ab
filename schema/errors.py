"""Mutation errors: one `<Mutation>Error` type with its own `<Mutation>ErrorCode` enum per
mutation (the Shopify/Saleor convention), built from the domain errors it can return.

Expected failures never become GraphQL errors; they are values in the payload's `errors`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from enum import Enum
from typing import Any, Protocol

import strawberry

from domain.kernel.errors import DomainError, NotAuthenticated


class MutationError(Protocol):
    code: Any
    field: str | None
    message: str


def mutation_error(name: str, errors: Iterable[type[DomainError]]) -> type[MutationError]:
    """Build `<name>Error { code: <name>ErrorCode!, field: String, message: String! }`.

    Every mutation can answer NOT_AUTHENTICATED and INVALID (a generic input error).
    """
    codes = sorted({error.code for error in errors} | {NotAuthenticated.code, DomainError.code})
    values: Any = Enum(f"{name}ErrorCode", {code: code for code in codes})  # type: ignore[misc]
    code_enum = strawberry.enum(values, description=f"Why {name[0].lower() + name[1:]} failed.")
    namespace: dict[str, Any] = {
        "__annotations__": {"code": code_enum, "field": str | None, "message": str},
        "__doc__": f"An expected failure of {name[0].lower() + name[1:]}. `field` names the "
        "input field at fault (camelCase), if any.",
        "field": None,
    }
    error_type = type(f"{name}Error", (), namespace)
    result: type[MutationError] = strawberry.type(error_type)
    return result


def to_errors(
    error_type: type[MutationError], errors: Sequence[DomainError]
) -> list[MutationError]:
    code_enum = error_type.__annotations__["code"]
    converted = []
    for error in errors:
        # A code missing from this mutation's enum is a programming error: list it there.
        code = code_enum[error.code]
        make: Any = error_type
        converted.append(make(code=code, field=error.field, message=error.message))
    return converted
