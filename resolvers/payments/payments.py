"""Deposits and withdrawals for players, the review queue for finance.

Single steps run here in one unit of work each, committed by the resolver; the deposit,
which calls the PSP between two transactions, is a domain flow
(domain.payments.flows.deposit). Payouts are placed by a worker (payments.submit_payout),
queued by the approval.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from domain.accounts.errors import InvalidTwoFactorCode, LoginThrottled, StepUpCodeRequired
from domain.accounts.models import Player
from domain.accounts.permissions import Permission
from domain.accounts.principal import (
    Principal,
    holds_permission,
    require_permission,
    require_player,
)
from domain.integrations import default_payment_provider
from domain.integrations.psp import DepositFlow
from domain.kernel.errors import DomainError
from domain.payments import flows as payment_flows
from domain.payments import service as payments
from domain.payments.errors import PaymentNotFound
from domain.payments.models import Payment
from resolvers.context import Context
from resolvers.results import Outcome, attempt
from resolvers.wallets.adjustments import amount_minor

_STEP_UP_ERRORS = (StepUpCodeRequired, InvalidTwoFactorCode, LoginThrottled)


async def deposit(
    ctx: Context,
    *,
    amount: str,
    currency: str,
    idempotency_key: str,
    flow: DepositFlow,
    bonus_code: str | None = None,
) -> Outcome[Payment]:
    """The deposit flow (domain.payments.flows.deposit) for the signed-in player."""

    async def run() -> Payment:
        player = require_player(await ctx.principal())
        return await payment_flows.deposit(
            ctx.db,
            ctx.settings,
            brand=ctx.brand.slug,
            player_id=player.id,
            amount_minor=amount_minor(amount, currency),
            currency=currency,
            idempotency_key=idempotency_key,
            flow=flow,
            bonus_code=bonus_code,
        )

    return await attempt(run)


async def request_withdrawal(
    ctx: Context,
    *,
    amount: str,
    currency: str,
    idempotency_key: str,
    two_factor_code: str | None = None,
    forfeit_bonuses: bool = False,
) -> Outcome[Payment]:
    """Move the amount from cash to withdrawal_pending for finance to review (forfeiting
    active bonuses where the brand's jurisdiction says so, once confirmed)."""

    async def run() -> Payment:
        # What a withdraw-only session is for.
        player = require_player(await ctx.principal(), withdraw_only_allowed=True)
        minor = amount_minor(amount, currency)
        provider = default_payment_provider(ctx.settings, ctx.brand.slug)
        async with ctx.db.uow() as uow:
            try:
                payment = await payments.request_withdrawal(
                    uow,
                    brand=ctx.brand.slug,
                    player_id=player.id,
                    amount_minor=minor,
                    currency=currency,
                    idempotency_key=idempotency_key,
                    provider=provider.name,
                    two_factor_code=two_factor_code,
                    jurisdiction=ctx.brand.jurisdiction,
                    forfeit_bonuses=forfeit_bonuses,
                )
            except _STEP_UP_ERRORS:
                # Refused before anything but the guess count was written: keep the count.
                await uow.commit()
                raise
            await uow.commit()
        return payment

    return await attempt(run)


async def approve_withdrawal(ctx: Context, withdrawal_id: uuid.UUID | None) -> Outcome[Payment]:
    """Approve; the payout is queued in the same transaction and a worker places it with
    the PSP (the reply says `approved` until the PSP has answered)."""

    async def run() -> Payment:
        # Permission first: a denied caller learns nothing about withdrawals.
        actor = require_permission(
            await ctx.principal(), Permission.WITHDRAWAL_APPROVE, ctx.brand.slug
        )
        if withdrawal_id is None:
            raise PaymentNotFound(field="withdrawalId")
        async with ctx.db.uow() as uow:
            payment = await payments.approve_withdrawal(
                uow, actor, brand=ctx.brand.slug, payment_id=withdrawal_id
            )
            await uow.commit()
        return payment

    return await attempt(run)


async def reject_withdrawal(
    ctx: Context, withdrawal_id: uuid.UUID | None, reason: str
) -> Outcome[Payment]:
    async def run() -> Payment:
        actor = require_permission(
            await ctx.principal(), Permission.WITHDRAWAL_APPROVE, ctx.brand.slug
        )
        if withdrawal_id is None:
            raise PaymentNotFound(field="withdrawalId")
        async with ctx.db.uow() as uow:
            payment = await payments.reject_withdrawal(
                uow, actor, brand=ctx.brand.slug, payment_id=withdrawal_id, reason=reason
            )
            await uow.commit()
        return payment

    return await attempt(run)


async def pending_withdrawals(ctx: Context, *, first: int, after: str | None) -> payments.QueuePage:
    """Errors: those of require_permission(WITHDRAWAL_APPROVE), InvalidCursor,
    InvalidPageSize."""
    actor = require_permission(await ctx.principal(), Permission.WITHDRAWAL_APPROVE, ctx.brand.slug)
    cursor = payments.QueueCursor.decode(after) if after is not None else None
    async with ctx.db.uow() as uow:
        return await payments.pending_withdrawals(
            uow, actor, brand=ctx.brand.slug, first=first, after=cursor
        )


async def search_deposits(
    ctx: Context,
    *,
    player_id: uuid.UUID | None,
    matches_player: bool,
    statuses: list[str],
    currency: str | None,
    amount_min: str | None,
    amount_max: str | None,
    at_from: datetime | None,
    at_to: datetime | None,
    first: int,
    after: str | None,
) -> payments.QueuePage:
    """The brand's deposits by player, status, amount range (in `currency`) and time, for
    staff with wallet.read. Errors: those of require_permission, INVALID (amounts without
    a currency), InvalidAmount, UnsupportedCurrency, InvalidCursor, InvalidPageSize."""
    actor = require_permission(await ctx.principal(), Permission.WALLET_READ, ctx.brand.slug)
    if (amount_min or amount_max) and not currency:
        raise DomainError("Give the currency of the amounts.", field="currency")
    found = payments.DepositFilter(
        # A malformed player id matches no player (rather than every deposit).
        player_id=player_id if matches_player else uuid.UUID(int=0),
        statuses=tuple(statuses),
        currency=currency or None,
        min_minor=amount_minor(amount_min, currency, field="amountMin")
        if amount_min and currency
        else None,
        max_minor=amount_minor(amount_max, currency, field="amountMax")
        if amount_max and currency
        else None,
        at_from=at_from,
        at_to=at_to,
    )
    cursor = payments.QueueCursor.decode(after) if after is not None else None
    async with ctx.db.uow() as uow:
        return await payments.search_deposits(
            uow, actor, brand=ctx.brand.slug, found=found, first=first, after=cursor
        )


async def net_deposits(ctx: Context, player_id: uuid.UUID | None) -> tuple[int, str] | None:
    """A player's net deposits (minor units, currency) for staff with wallet.read; None
    when this brand has no such player. Errors: those of require_permission."""
    require_permission(await ctx.principal(), Permission.WALLET_READ, ctx.brand.slug)
    if player_id is None:
        return None
    async with ctx.db.uow() as uow:
        player = await uow.session.get(Player, player_id)
        if player is None or player.brand != ctx.brand.slug:
            return None
        total = await payments.net_deposits(uow, ctx.brand.slug, player_id)
    return total, player.currency


def _may_read_every_payment(principal: Principal, brand: str) -> bool:
    return any(
        holds_permission(principal, permission, brand)
        for permission in (Permission.WALLET_READ, Permission.WITHDRAWAL_APPROVE)
    )


async def payments_by_id(ctx: Context, ids: list[uuid.UUID]) -> dict[uuid.UUID, Payment]:
    """The payments among `ids` the caller may see: its own (a player), or any of the
    brand's (staff with wallet.read or withdrawal.approve)."""
    principal = await ctx.principal()
    if principal is None or not ids:
        return {}
    if principal.is_player and principal.fully_authenticated:
        owner: uuid.UUID | None = principal.id
    elif _may_read_every_payment(principal, ctx.brand.slug):
        owner = None
    else:
        return {}
    async with ctx.db.uow() as uow:
        return await payments.payments_by_id(uow, ctx.brand.slug, ids, player_id=owner)
