"""Domain errors as GraphQL: the one place that maps an expected failure for the API.

Mutations: one `<Mutation>Error` type with its own `<Mutation>ErrorCode` enum per mutation
(the Shopify/Saleor convention), built from the domain errors it can return; expected
failures are values in the payload's `errors`, never GraphQL errors.

Queries and subscriptions: an expected failure is a GraphQL error whose `extensions.code` is
the domain error's stable code (`as_query_error`, `query_error`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from enum import Enum
from typing import Any, TypeVar

import strawberry
from strawberry.exceptions import StrawberryGraphQLError

from domain.kernel.errors import DomainError, NotAuthenticated, WithdrawOnly

E = TypeVar("E", bound="MutationError")


class MutationError:
    """What every `<Mutation>Error` holds. Subclasses are declared by `@mutation_error`, so
    the type checker sees a real class where the schema sees the generated type."""

    code: Enum
    field: str | None
    message: str

    def __init__(self, *, code: Enum, field: str | None, message: str) -> None:
        # Replaced by strawberry's own __init__ at runtime; same fields, same order.
        self.code = code
        self.field = field
        self.message = message


def mutation_error(*errors: type[DomainError]) -> Callable[[type[E]], type[E]]:
    """Make the decorated `<Name>Error(MutationError)` the GraphQL type
    `<Name>Error { code: <Name>ErrorCode!, field: String, message: String! }`.

    Every mutation can answer NOT_AUTHENTICATED, INVALID (a generic input error) and
    WITHDRAW_ONLY (a self-excluded player's withdraw-only session asked for something else).
    """
    generic = {NotAuthenticated.code, DomainError.code, WithdrawOnly.code}
    codes = sorted({error.code for error in errors} | generic)

    def build(error_type: type[E]) -> type[E]:
        name = error_type.__name__.removesuffix("Error")
        mutation = name[0].lower() + name[1:]
        # The functional Enum API with a computed name: mypy wants a literal name here.
        values: Any = Enum(f"{name}ErrorCode", {code: code for code in codes})  # type: ignore[misc]
        code_enum = strawberry.enum(values, description=f"Why {mutation} failed.")
        error_type.__annotations__ = {"code": code_enum, "field": str | None, "message": str}
        error_type.field = None
        result: type[E] = strawberry.type(error_type)
        return result

    return build


def to_errors(error_type: type[E], errors: Sequence[DomainError]) -> list[E]:
    """The payload's `errors` for these domain errors."""
    code_enum = error_type.__annotations__["code"]
    # A code missing from this mutation's enum is a programming error (KeyError): list it there.
    return [
        error_type(code=code_enum[error.code], field=error.field, message=error.message)
        for error in errors
    ]


def query_error(error: DomainError) -> StrawberryGraphQLError:
    """An expected failure of a query or subscription field: a GraphQL error with
    `extensions.code`."""
    return StrawberryGraphQLError(error.message, extensions={"code": error.code})


@contextmanager
def as_query_error() -> Iterator[None]:
    """Inside, a DomainError leaves as `query_error(error)`; anything else passes through
    (unexpected errors are masked and logged by the schema's extension)."""
    try:
        yield
    except DomainError as error:
        raise query_error(error) from None
