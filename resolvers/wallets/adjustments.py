"""Manual balance adjustments by finance staff (the transaction is owned here)."""

from __future__ import annotations

import uuid
from decimal import Decimal

from domain.accounts.errors import PlayerNotFound
from domain.accounts.permissions import Permission
from domain.accounts.principal import require_permission
from domain.kernel.money import AmountError, is_supported_currency, to_minor
from domain.wallets import adjustments
from domain.wallets.errors import InvalidAmount, UnsupportedCurrency
from domain.wallets.models import WalletKind
from resolvers.context import Context
from resolvers.results import Outcome, attempt


def amount_minor(amount: Decimal, currency: str) -> int:
    """A decimal amount from the API in minor units. Errors: UnsupportedCurrency,
    InvalidAmount (more decimals than the currency has, not finite)."""
    if not is_supported_currency(currency):
        raise UnsupportedCurrency(field="amount")
    try:
        return to_minor(amount, currency)
    except AmountError:
        raise InvalidAmount(field="amount") from None


async def adjust_balance(
    ctx: Context,
    player_id: uuid.UUID | None,
    *,
    wallet: WalletKind,
    direction: adjustments.Direction,
    amount: Decimal,
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
