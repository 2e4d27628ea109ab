"""Manual balance adjustments by finance staff (the transaction is owned here)."""

from __future__ import annotations

import uuid

from domain.accounts.errors import PlayerNotFound
from domain.accounts.permissions import Permission
from domain.accounts.principal import require_permission
from domain.kernel.money import AMOUNT_MAJOR_MAX, AmountError, is_supported_currency, parse_amount
from domain.wallets import adjustments
from domain.wallets.errors import InvalidAmount, UnsupportedCurrency
from domain.wallets.models import WalletKind
from resolvers.context import Context
from resolvers.results import Outcome, attempt


def amount_minor(amount: str, currency: str, *, field: str = "amount") -> int:
    """The decimal text of an amount from the API in minor units, through the one money
    parser. Errors: UnsupportedCurrency, InvalidAmount (not a canonical decimal string, a
    number sent instead of a string, more decimals than the currency has, too large);
    both name `field`."""
    if not is_supported_currency(currency):
        raise UnsupportedCurrency(field=field)
    try:
        return parse_amount(amount, currency)
    except AmountError:
        raise InvalidAmount(_refusal(currency), field=field) from None


def _refusal(currency: str) -> str:
    return (
        f'Send the amount as a decimal string in {currency} (e.g. "12.50"): no number, '
        f"exponent or more decimals than {currency} has, below {AMOUNT_MAJOR_MAX:,}."
    )


async def adjust_balance(
    ctx: Context,
    player_id: uuid.UUID | None,
    *,
    wallet: WalletKind,
    direction: adjustments.Direction,
    amount: str,
    currency: str,
    reason: str,
    idempotency_key: str,
) -> Outcome[adjustments.Adjustment]:
    async def run() -> adjustments.Adjustment:
        # Permission first: a denied caller learns nothing about players or amounts.
        actor = require_permission(await ctx.principal(), Permission.WALLET_ADJUST, ctx.brand.slug)
        if player_id is None:
            raise PlayerNotFound(field="playerId")
        minor = amount_minor(amount, currency)
        async with ctx.db.uow() as uow:
            adjustment = await adjustments.adjust(
                uow,
                actor,
                ctx.brand.slug,
                player_id,
                wallet=wallet,
                direction=direction,
                amount_minor=minor,
                currency=currency,
                reason=reason,
                idempotency_key=idempotency_key,
            )
            await uow.commit()
        return adjustment

    return await attempt(run)
