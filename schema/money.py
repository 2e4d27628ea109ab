"""Money on the API: `amount` is a decimal string in the currency's units (never a float),
`currency` its ISO 4217 code; `amountMinor` is the integer the ledger stores.

The `Decimal` scalar of the whole schema is defined here. On output it is a decimal string.
On input it only carries the client's text (`DecimalText`) to the resolver, which parses it
with the one parser (`domain.kernel.money.parse_amount`, or `parse_decimal` for odds and
margins) knowing the currency: a refusal is then the mutation's typed error
(`INVALID_AMOUNT` with the input field), not a bare GraphQL coercion error, and a JSON
number or a numeric literal is refused the same way instead of going through a float."""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Self

import strawberry
from graphql import FloatValueNode, IntValueNode, StringValueNode, ValueNode
from strawberry.types.scalar import ScalarDefinition

from domain.kernel.money import DECIMAL_TEXT_LENGTH_MAX, AmountError, from_minor, parse_decimal


class DecimalText(str):
    """The text a client sent for a `Decimal` input, not yet parsed (see the module doc).
    Longer text is cut just past the parser's length limit: it is refused either way, and
    is never kept whole."""

    __slots__ = ()


class NumberSent(DecimalText):
    """A JSON number or a numeric literal sent for a `Decimal`: refused by the parser's
    callers with a message that says to send a string."""

    __slots__ = ()


def decimal_text(value: object) -> DecimalText:
    if isinstance(value, str):
        return DecimalText(value[: DECIMAL_TEXT_LENGTH_MAX + 1])
    return NumberSent("")


def _decimal_literal(node: ValueNode, _variables: dict[str, Any] | None = None) -> DecimalText:
    if isinstance(node, StringValueNode):
        return decimal_text(node.value)
    if isinstance(node, IntValueNode | FloatValueNode):
        return NumberSent("")
    raise ValueError("Decimal is a decimal string")  # lists and objects: a coercion error


DECIMAL = ScalarDefinition(
    name="Decimal",
    description='A decimal as a canonical string, e.g. "12.50": digits, an optional "-" and '
    "decimal point; no exponent, no leading zeros, never a JSON number. An input that is not "
    "one is the mutation's typed error (INVALID_AMOUNT for amounts), naming the field.",
    specified_by_url=None,
    serialize=str,
    parse_value=decimal_text,
    parse_literal=_decimal_literal,
)
# The Python types the scalar stands for: `Decimal` on output, `DecimalText` on input.
DECIMAL_SCALARS: dict[object, ScalarDefinition] = {Decimal: DECIMAL, DecimalText: DECIMAL}


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
    amount: DecimalText
    currency: str


def decimal_or_nan(text: DecimalText, *, places_max: int, integer_digits_max: int) -> Decimal:
    """Odds and margins: the exact value of `text` through the one decimal parser, or NaN
    when it is not a canonical decimal string (or was sent as a number). Every domain check
    of odds and margins refuses NaN, after its permission check, as its typed error naming
    the field (InvalidOdds, InvalidMargin)."""
    if isinstance(text, NumberSent):
        return Decimal("NaN")
    try:
        return parse_decimal(text, places_max=places_max, integer_digits_max=integer_digits_max)
    except AmountError:
        return Decimal("NaN")
