"""Time-outs refuse sign-in until they end; reality checks come due every interval of a
session with its net result and wait another interval once acknowledged; staff with
player.read see a player's limits, other staff and other players do not."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest

from domain.accounts.errors import ConfirmationRequired
from domain.accounts.models import Player, SessionTransport
from domain.accounts.sign_in import Attempt, SignInResult
from domain.brands.service import BrandRegistry
from domain.compliance import limits, onboarding, protection
from domain.compliance.errors import InvalidLimit, TimedOut
from domain.compliance.models import LimitKind, LimitPeriod
from domain.kernel.db import Database
from domain.kernel.errors import PermissionDenied
from tests.domain.compliance.support import (
    advance,
    casino_call,
    casino_request,
    set_limit,
    signed_in,
)
from tests.domain.payments.support import staff
from tests.support import STRONG_PASSWORD, create_player
from tests.web.providers.conftest import game_player, wallets


async def _login(db: Database, registry: BrandRegistry, email: str) -> SignInResult:
    attempt = Attempt("", STRONG_PASSWORD, SessionTransport.BEARER, None, None)
    async with db.transaction() as uow:
        return await onboarding.login(uow, registry.get("aurora"), email, attempt)


async def test_a_time_out_refuses_sign_in_until_it_ends(
    db: Database, registry: BrandRegistry, monkeypatch: pytest.MonkeyPatch
) -> None:
    email = f"{uuid.uuid4().hex[:10]}@example.com"
    player = await signed_in(db, await create_player(db, registry, email=email))
    async with db.transaction() as uow:
        await protection.take_time_out(
            uow, player, "aurora", period=protection.TimeOutPeriod.ONE_DAY, confirmed=True
        )

    refused = await _login(db, registry, email)

    assert isinstance(refused.error, TimedOut)
    assert refused.issued is None
    advance(monkeypatch, timedelta(hours=24, seconds=1))
    back = await _login(db, registry, email)
    assert back.error is None
    assert back.issued is not None
    async with db.uow() as uow:
        stored = await uow.session.get(Player, player.id)
    assert stored is not None
    # The break is over and no limit remains: the hot paths skip the checks again.
    assert stored.protection_active is False


async def test_a_time_out_needs_confirmation_and_is_never_shortened(
    db: Database, registry: BrandRegistry
) -> None:
    player = await signed_in(db, await create_player(db, registry))
    async with db.transaction() as uow:
        with pytest.raises(ConfirmationRequired):
            await protection.take_time_out(
                uow, player, "aurora", period=protection.TimeOutPeriod.ONE_DAY, confirmed=False
            )
        month = await protection.take_time_out(
            uow, player, "aurora", period=protection.TimeOutPeriod.ONE_MONTH, confirmed=True
        )
        day = await protection.take_time_out(
            uow, player, "aurora", period=protection.TimeOutPeriod.ONE_DAY, confirmed=True
        )

    assert day == month


async def test_a_reality_check_comes_due_with_the_session_result_and_waits_once_seen(
    db: Database, registry: BrandRegistry, monkeypatch: pytest.MonkeyPatch
) -> None:
    game = await game_player(db, registry, cash=500, bonus=0)
    player = await signed_in(db, game.player_id)
    async with db.transaction() as uow:
        await protection.set_reality_check(uow, player, "aurora", minutes=15)
    await casino_call(db, registry, casino_request(game.player_id, game.token, 1, 100))
    await casino_call(db, registry, casino_request(game.player_id, game.token, 1, 30, op="win"))
    assert await wallets(db, game.player_id) == {"cash": 430, "bonus": 0}

    async def state() -> protection.RealityCheckState | None:
        async with db.uow() as uow:
            return await protection.reality_check(uow, player, "aurora", minutes=15, currency="EUR")

    early = await state()
    assert early is not None
    assert early.due is False
    advance(monkeypatch, timedelta(minutes=15, seconds=1))
    due = await state()
    assert due is not None
    assert (due.due, due.net_loss_minor, due.minutes) == (True, 70, 15)
    async with db.transaction() as uow:
        await protection.acknowledge_reality_check(uow, player, "aurora")
    seen = await state()
    assert seen is not None
    assert seen.due is False
    assert seen.due_at > due.due_at


async def test_reality_checks_are_off_or_15_30_60_minutes(
    db: Database, registry: BrandRegistry
) -> None:
    player = await signed_in(db, await create_player(db, registry))
    async with db.transaction() as uow:
        with pytest.raises(InvalidLimit):
            await protection.set_reality_check(uow, player, "aurora", minutes=5)
        assert await protection.set_reality_check(uow, player, "aurora", minutes=60) == 60
        assert await protection.set_reality_check(uow, player, "aurora", minutes=None) is None
    async with db.uow() as uow:
        assert (
            await protection.reality_check(uow, player, "aurora", minutes=None, currency="EUR")
            is None
        )


async def test_staff_with_player_read_see_a_players_limits_others_do_not(
    db: Database, registry: BrandRegistry
) -> None:
    player = await signed_in(db, await create_player(db, registry))
    other = await signed_in(db, await create_player(db, registry))
    await set_limit(db, player, LimitKind.DEPOSIT, LimitPeriod.DAY, 10_00)

    async with db.uow() as uow:
        for role in ("support", "risk"):
            seen = await limits.limits_of(uow, staff(role), "aurora", player.id)
            assert [(limit.kind, limit.amount_minor) for limit in seen] == [
                (LimitKind.DEPOSIT, 10_00)
            ]
        with pytest.raises(PermissionDenied):
            await limits.limits_of(uow, staff("trader"), "aurora", player.id)
        assert await limits.limits_of(uow, other, "aurora", player.id) == []
