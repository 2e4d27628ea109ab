"""Wager, loss and session limits and time-outs on every wager: casino provider callbacks
(refused with the wallet API's status, balance unchanged) and sportsbook placement (a typed
rejection, nothing staked). Players without limits pay no extra statement."""

from __future__ import annotations

import uuid
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from domain.accounts.models import AuthSession, Player
from domain.brands.service import BrandRegistry
from domain.casino.errors import LimitReached, UserDisabled
from domain.compliance import protection
from domain.compliance.errors import (
    LossLimitReached,
    SessionLimitReached,
    TimedOut,
    WagerLimitReached,
)
from domain.compliance.models import LimitKind, LimitPeriod
from domain.compliance.service import Activity, ensure_allowed
from domain.kernel.db import Database
from domain.sportsbook.models import BetType
from domain.sportsbook.placement import BetSlip, Selection
from tests.domain.compliance.support import (
    advance,
    casino_call,
    casino_request,
    limits_now,
    set_limit,
    signed_in,
)
from tests.domain.sportsbook.support import add_market, funded_player, place
from tests.domain.sportsbook.support import wallets as sportsbook_wallets
from tests.support import statements_of
from tests.web.providers.conftest import game_player, wallets

DAY = LimitPeriod.DAY


async def test_a_casino_bet_over_the_wager_limit_is_refused_with_the_balance_unchanged(
    db: Database, registry: BrandRegistry
) -> None:
    game = await game_player(db, registry, cash=300, bonus=0)
    player = await signed_in(db, game.player_id)
    await set_limit(db, player, LimitKind.WAGER, DAY, 150)
    await casino_call(db, registry, casino_request(game.player_id, game.token, 1, 100))

    with pytest.raises(LimitReached) as refused:
        await casino_call(db, registry, casino_request(game.player_id, game.token, 2, 51))

    assert refused.value.status.value == "RS_ERROR_LIMIT_REACHED"
    assert await wallets(db, game.player_id) == {"cash": 200, "bonus": 0}
    await casino_call(db, registry, casino_request(game.player_id, game.token, 3, 50))
    assert (await limits_now(db, player))["wager", "day"].remaining_minor == 0


async def test_wins_count_against_a_loss_limit(db: Database, registry: BrandRegistry) -> None:
    game = await game_player(db, registry, cash=500, bonus=0)
    player = await signed_in(db, game.player_id)
    await set_limit(db, player, LimitKind.LOSS, DAY, 150)
    await casino_call(db, registry, casino_request(game.player_id, game.token, 1, 100))
    await casino_call(db, registry, casino_request(game.player_id, game.token, 1, 60, op="win"))
    # Net loss 40: 110 left; a stake of 111 could lose more than that.

    with pytest.raises(LimitReached):
        await casino_call(db, registry, casino_request(game.player_id, game.token, 2, 111))

    assert await wallets(db, game.player_id) == {"cash": 460, "bonus": 0}
    assert (await limits_now(db, player))["loss", "day"].used_minor == 40
    await casino_call(db, registry, casino_request(game.player_id, game.token, 3, 110))


async def test_a_player_without_limits_pays_no_extra_statement(
    db: Database, registry: BrandRegistry
) -> None:
    game = await game_player(db, registry)
    await casino_call(db, registry, casino_request(game.player_id, game.token, 1, 100))

    with statements_of(db) as statements:
        await casino_call(db, registry, casino_request(game.player_id, game.token, 2, 100))

    assert len(statements) == 2, statements


async def test_a_time_out_refuses_casino_bets_as_a_disabled_user(
    db: Database, registry: BrandRegistry
) -> None:
    game = await game_player(db, registry, cash=300, bonus=0)
    player = await signed_in(db, game.player_id)
    async with db.transaction() as uow:
        await protection.take_time_out(
            uow, player, "aurora", period=protection.TimeOutPeriod.ONE_DAY, confirmed=True
        )

    with pytest.raises(UserDisabled):
        await casino_call(db, registry, casino_request(game.player_id, game.token, 1, 100))

    assert await wallets(db, game.player_id) == {"cash": 300, "bonus": 0}


def _single(outcome_id: int, stake_minor: int) -> BetSlip:
    return BetSlip(
        selections=(Selection(outcome_id, Decimal("2.00")),),
        stake_minor=stake_minor,
        bet_type=BetType.SINGLE,
        idempotency_key=str(uuid.uuid4()),
    )


async def test_a_sportsbook_bet_over_the_wager_limit_is_a_typed_rejection(
    db: Database, registry: BrandRegistry
) -> None:
    market = await add_market(db, {"home": "2.00", "away": "2.00"})
    player_id = await funded_player(db, registry, 100_00)
    player = await signed_in(db, player_id)
    await set_limit(db, player, LimitKind.WAGER, LimitPeriod.WEEK, 25_00)
    await set_limit(db, player, LimitKind.LOSS, LimitPeriod.MONTH, 20_00)
    await place(db, registry, player_id, _single(market.outcomes["home"], 15_00))

    with pytest.raises(LossLimitReached) as refused:
        await place(db, registry, player_id, _single(market.outcomes["home"], 6_00))

    assert (refused.value.remaining_minor, refused.value.field) == (5_00, "stake")
    assert await sportsbook_wallets(db, player_id) == {"cash": 85_00}


async def test_the_wager_limit_counts_every_stake_of_a_sportsbook_bet(
    db: Database, registry: BrandRegistry
) -> None:
    market = await add_market(db, {"home": "2.00", "away": "2.00"})
    player_id = await funded_player(db, registry, 100_00)
    player = await signed_in(db, player_id)
    await set_limit(db, player, LimitKind.WAGER, DAY, 25_00)
    await place(db, registry, player_id, _single(market.outcomes["home"], 15_00))

    with pytest.raises(WagerLimitReached) as refused:
        await place(db, registry, player_id, _single(market.outcomes["away"], 10_01))

    assert refused.value.remaining_minor == 10_00
    await place(db, registry, player_id, _single(market.outcomes["away"], 10_00))


async def test_a_session_limit_refuses_wagers_once_the_time_is_used(
    db: Database, registry: BrandRegistry, monkeypatch: pytest.MonkeyPatch
) -> None:
    market = await add_market(db, {"home": "2.00", "away": "2.00"})
    player_id = await funded_player(db, registry, 100_00)
    player = await signed_in(db, player_id)
    await set_limit(db, player, LimitKind.SESSION, LimitPeriod.SESSION, 30)
    await place(db, registry, player_id, _single(market.outcomes["home"], 1_00))
    advance(monkeypatch, timedelta(minutes=31))

    with pytest.raises(SessionLimitReached):
        await place(db, registry, player_id, _single(market.outcomes["home"], 1_00))

    assert await sportsbook_wallets(db, player_id) == {"cash": 99_00}


async def test_a_time_out_blocks_deposits_and_wagers_not_withdrawals_and_lifts_itself(
    db: Database, registry: BrandRegistry, monkeypatch: pytest.MonkeyPatch
) -> None:
    player_id = await funded_player(db, registry, 10_00)
    player = await signed_in(db, player_id)

    async with db.transaction() as uow:
        until = await protection.take_time_out(
            uow, player, "aurora", period=protection.TimeOutPeriod.ONE_WEEK, confirmed=True
        )

    async with db.uow() as uow:
        for activity in (Activity.DEPOSIT, Activity.WAGER):
            with pytest.raises(TimedOut):
                await ensure_allowed(uow, "aurora", player_id, activity, amount_minor=1)
        await ensure_allowed(uow, "aurora", player_id, Activity.WITHDRAWAL, amount_minor=1)
        live = await uow.session.scalar(
            select(AuthSession.id).where(
                AuthSession.player_id == player_id, AuthSession.revoked_at.is_(None)
            )
        )
        stored = await uow.session.get(Player, player_id)
    assert live is None
    assert stored is not None
    assert stored.time_out_until == until
    advance(monkeypatch, timedelta(days=7, seconds=1))
    async with db.uow() as uow:
        await ensure_allowed(uow, "aurora", player_id, Activity.DEPOSIT, amount_minor=1)
