"""What a mutation resolver hands back: a value, or the expected failures as domain errors."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from domain.accounts.errors import InvalidInput
from domain.kernel.errors import DomainError

T = TypeVar("T")


@dataclass(frozen=True)
class Outcome(Generic[T]):
    value: T | None = None
    errors: list[DomainError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


def failed(error: DomainError) -> Outcome[T]:
    """An Outcome holding `error`, with InvalidInput unpacked into its field errors."""
    errors = error.errors if isinstance(error, InvalidInput) else [error]
    return Outcome(errors=list(errors))


async def attempt(operation: Callable[[], Awaitable[T]]) -> Outcome[T]:
    """Run `operation`; a DomainError becomes a failed Outcome (it rolled back, nothing changed)."""
    try:
        return Outcome(value=await operation())
    except DomainError as error:
        return failed(error)
