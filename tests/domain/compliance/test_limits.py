"""Deposit, loss and wager limits: the lowest applies, a decrease at once, an increase or
removal only after the cooling-off and the player's reconfirmation, every change audited,
a refused deposit changes nothing."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from domain.accounts.models import Player
from domain.brands.service import BrandRegistry
from domain.compliance import limits
from domain.compliance.errors import (
    CoolingOff,
    DepositLimitReached,
    InvalidLimit,
    LimitNotFound,
    NoPendingChange,
)
from domain.compliance.models import LimitKind, LimitPeriod
from domain.kernel.audit import AuditEntry
from domain.kernel.db import Database
from domain.payments.models import Payment
from tests.domain.compliance.support import advance, limits_now, set_limit, signed_in
from tests.domain.payments.support import deposited, opened_deposit, wallet_balances
from tests.support import create_player

DEPOSIT, DAY, WEEK, MONTH = LimitKind.DEPOSIT, LimitPeriod.DAY, LimitPeriod.WEEK, LimitPeriod.MONTH


async def _audit_actions(db: Database, player_id: uuid.UUID) -> list[str]:
    async with db.uow() as uow:
        rows = await uow.session.scalars(
            select(AuditEntry.action)
            .where(AuditEntry.subject_type == "player", AuditEntry.subject_id == str(player_id))
            .where(AuditEntry.action.like("player.limit.%"))
            .order_by(AuditEntry.id)
        )
        return list(rows)


async def _payments(db: Database, player_id: uuid.UUID) -> int:
    async with db.uow() as uow:
        count = await uow.session.scalar(
            select(func.count()).select_from(Payment).where(Payment.player_id == player_id)
        )
    return int(count or 0)


async def test_without_limits_a_player_is_not_flagged_and_has_none(
    db: Database, registry: BrandRegistry
) -> None:
    player = await signed_in(db, await create_player(db, registry))

    assert await limits_now(db, player) == {}
    async with db.uow() as uow:
        stored = await uow.session.get(Player, player.id)
    assert stored is not None
    assert stored.protection_active is False


async def test_the_lowest_remaining_limit_refuses_and_says_what_is_left(
    db: Database, registry: BrandRegistry
) -> None:
    player = await signed_in(db, await create_player(db, registry))
    await set_limit(db, player, DEPOSIT, DAY, 50_00)
    await set_limit(db, player, DEPOSIT, WEEK, 80_00)
    await deposited(db, player.id, 20_00)
    await deposited(db, player.id, 20_00)
    # Day: 10.00 left; week: 40.00 left. The day limit decides.

    with pytest.raises(DepositLimitReached) as refused:
        await opened_deposit(db, player.id, 10_01)

    assert refused.value.remaining_minor == 10_00
    assert refused.value.message == "This is over your deposit limit: 10.00 EUR left."
    assert refused.value.field == "amount"
    assert _used(await limits_now(db, player)) == {("deposit", "day"): (40_00, 10_00),
                                                   ("deposit", "week"): (40_00, 40_00)}  # fmt: skip
    await opened_deposit(db, player.id, 10_00)


def _used(found: dict[tuple[str, str], limits.Limit]) -> dict[tuple[str, str], tuple[int, int]]:
    return {key: (limit.used_minor, limit.remaining_minor) for key, limit in found.items()}


async def test_a_refused_deposit_changes_nothing(db: Database, registry: BrandRegistry) -> None:
    player = await signed_in(db, await create_player(db, registry))
    await set_limit(db, player, DEPOSIT, MONTH, 30_00)
    await deposited(db, player.id, 25_00)
    before = (await wallet_balances(db, player.id), await _payments(db, player.id))

    with pytest.raises(DepositLimitReached):
        await opened_deposit(db, player.id, 5_01)

    assert (await wallet_balances(db, player.id), await _payments(db, player.id)) == before
    assert before == ({"cash": 25_00, "withdrawal_pending": 0}, 1)


async def test_a_retried_deposit_is_not_counted_against_itself(
    db: Database, registry: BrandRegistry
) -> None:
    player = await signed_in(db, await create_player(db, registry))
    await set_limit(db, player, DEPOSIT, DAY, 30_00)
    first = await opened_deposit(db, player.id, 30_00, key="retry-me")

    again = await opened_deposit(db, player.id, 30_00, key="retry-me")

    assert again.id == first.id


async def test_a_decrease_applies_at_once_and_is_audited(
    db: Database, registry: BrandRegistry
) -> None:
    player = await signed_in(db, await create_player(db, registry))
    await set_limit(db, player, DEPOSIT, DAY, 100_00)

    lowered = await set_limit(db, player, DEPOSIT, DAY, 40_00)

    assert (lowered.amount_minor, lowered.pending) == (40_00, None)
    with pytest.raises(DepositLimitReached):
        await opened_deposit(db, player.id, 40_01)
    assert await _audit_actions(db, player.id) == ["player.limit.set", "player.limit.decrease"]


async def test_an_increase_waits_and_cannot_be_confirmed_before_24_hours(
    db: Database, registry: BrandRegistry, monkeypatch: pytest.MonkeyPatch
) -> None:
    player = await signed_in(db, await create_player(db, registry))
    await set_limit(db, player, DEPOSIT, DAY, 40_00)

    raised = await set_limit(db, player, DEPOSIT, DAY, 100_00)

    assert raised.amount_minor == 40_00
    assert raised.pending is not None
    assert raised.pending.amount_minor == 100_00
    with pytest.raises(DepositLimitReached):
        await opened_deposit(db, player.id, 50_00)
    advance(monkeypatch, timedelta(hours=23, minutes=59))
    async with db.uow() as uow:
        with pytest.raises(CoolingOff) as early:
            await limits.confirm_change(uow, player, "aurora", kind=DEPOSIT, period=DAY)
    assert early.value.can_confirm_at == raised.pending.can_confirm_at
    assert (await limits_now(db, player))["deposit", "day"].amount_minor == 40_00


async def test_an_increase_applies_once_confirmed_after_the_cooling_off(
    db: Database, registry: BrandRegistry, monkeypatch: pytest.MonkeyPatch
) -> None:
    player = await signed_in(db, await create_player(db, registry))
    await set_limit(db, player, DEPOSIT, DAY, 40_00)
    await set_limit(db, player, DEPOSIT, DAY, 100_00)
    advance(monkeypatch, timedelta(hours=24, minutes=1))
    # Not confirmed yet: the old limit still holds.
    with pytest.raises(DepositLimitReached):
        await opened_deposit(db, player.id, 50_00)

    async with db.transaction() as uow:
        confirmed = await limits.confirm_change(uow, player, "aurora", kind=DEPOSIT, period=DAY)

    assert confirmed is not None
    assert (confirmed.amount_minor, confirmed.pending) == (100_00, None)
    await opened_deposit(db, player.id, 50_00)
    assert await _audit_actions(db, player.id) == [
        "player.limit.set",
        "player.limit.increase_requested",
        "player.limit.increase",
    ]


async def test_a_decrease_drops_a_waiting_increase(db: Database, registry: BrandRegistry) -> None:
    player = await signed_in(db, await create_player(db, registry))
    await set_limit(db, player, DEPOSIT, DAY, 40_00)
    await set_limit(db, player, DEPOSIT, DAY, 100_00)

    lowered = await set_limit(db, player, DEPOSIT, DAY, 30_00)

    assert (lowered.amount_minor, lowered.pending) == (30_00, None)
    async with db.uow() as uow:
        with pytest.raises(NoPendingChange):
            await limits.confirm_change(uow, player, "aurora", kind=DEPOSIT, period=DAY)


async def test_a_removal_waits_like_an_increase_then_clears_the_flag(
    db: Database, registry: BrandRegistry, monkeypatch: pytest.MonkeyPatch
) -> None:
    player = await signed_in(db, await create_player(db, registry))
    await set_limit(db, player, DEPOSIT, DAY, 40_00)
    async with db.transaction() as uow:
        waiting = await limits.remove_limit(uow, player, "aurora", kind=DEPOSIT, period=DAY)
    assert waiting.pending is not None
    assert waiting.pending.amount_minor is None
    with pytest.raises(DepositLimitReached):
        await opened_deposit(db, player.id, 50_00)
    advance(monkeypatch, timedelta(hours=25))

    async with db.transaction() as uow:
        removed = await limits.confirm_change(uow, player, "aurora", kind=DEPOSIT, period=DAY)

    assert removed is None
    assert await limits_now(db, player) == {}
    async with db.uow() as uow:
        stored = await uow.session.get(Player, player.id)
    assert stored is not None
    assert stored.protection_active is False
    await opened_deposit(db, player.id, 50_00)


async def test_removing_or_confirming_a_limit_that_does_not_exist_is_refused(
    db: Database, registry: BrandRegistry
) -> None:
    player = await signed_in(db, await create_player(db, registry))

    async with db.uow() as uow:
        with pytest.raises(LimitNotFound):
            await limits.remove_limit(uow, player, "aurora", kind=DEPOSIT, period=DAY)
        with pytest.raises(LimitNotFound):
            await limits.confirm_change(uow, player, "aurora", kind=DEPOSIT, period=DAY)


@pytest.mark.parametrize(
    "case",
    [
        (LimitKind.SESSION, LimitPeriod.DAY, 60, None),
        (LimitKind.DEPOSIT, LimitPeriod.SESSION, 60, "EUR"),
        (LimitKind.DEPOSIT, LimitPeriod.DAY, 0, "EUR"),
        (LimitKind.DEPOSIT, LimitPeriod.DAY, 10_00, "SEK"),
        (LimitKind.SESSION, LimitPeriod.SESSION, 24 * 60 + 1, None),
    ],
)
async def test_invalid_limits_are_refused(
    db: Database, registry: BrandRegistry, case: tuple[LimitKind, LimitPeriod, int, str | None]
) -> None:
    kind, period, amount, currency = case
    player = await signed_in(db, await create_player(db, registry))

    async with db.uow() as uow:
        with pytest.raises(InvalidLimit):
            await limits.set_limit(
                uow, player, "aurora", kind=kind, period=period, amount_minor=amount,
                currency=currency,
            )  # fmt: skip
    assert await limits_now(db, player) == {}
