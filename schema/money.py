"""Money on the API: `amount` is a decimal string in the currency's units (never a float),
`currency` its ISO 4217 code; `amountMinor` is the integer the ledger stores."""

from __future__ import annotations

from decimal import Decimal
from typing import Self

import strawberry

from domain.kernel.money import from_minor


@strawberry.type(description="An amount of money: a decimal string and an ISO 4217 currency.")
class Money:
    amount: Decimal = strawberry.field(description='Decimal string, e.g. "12.50"; never a float.')
    currency: str
    amount_minor: strawberry.Private[int]

    @strawberry.field(description="The amount in minor units (cents), as the ledger stores it.")
    def amount_minor_units(self) -> str:
        # A string: minor units can exceed JavaScript's safe integer range.
        return str(self.amount_minor)

    @classmethod
    def of(cls, amount_minor: int, currency: str) -> Self:
        return cls(
            amount=from_minor(amount_minor, currency), currency=currency, amount_minor=amount_minor
        )


@strawberry.input(description="An amount to move, in the currency's units, as a decimal string.")
class MoneyInput:
    amount: Decimal
    currency: str
