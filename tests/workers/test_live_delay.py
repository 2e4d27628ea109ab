"""The scheduler's live-delay job on real PostgreSQL: a pending live bet past its delay is
accepted (odds unchanged) or refused with its stake refunded (odds moved, policy NONE),
each decision writing a `BetUpdated` outbox event; a bet still inside its delay waits."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from domain.brands.service import BrandRegistry
from domain.kernel import clock
from domain.kernel.db import Database
from domain.kernel.outbox import OutboxEvent
from domain.sportsbook.events import BetUpdated
from domain.sportsbook.models import Bet, BetStatus, BetType, OddsPolicy, Outcome
from domain.sportsbook.placement import BetSlip, Selection
from domain.wallets.models import WalletKind
from tests.domain.sportsbook.support import (
    add_market,
    assert_ledger_ok,
    funded_player,
    place,
    wallets,
)
from workers.scheduler import JOBS, PENDING_BETS_INTERVAL_S, decide_pending_bets

DELAY_S = 5


async def _pending_live_bet(db: Database, registry: BrandRegistry) -> tuple[uuid.UUID, int, int]:
    player = await funded_player(db, registry, 100_00)
    market = await add_market(
        db, {"home": "2.00", "away": "3.00"}, event_status="live", bet_delay_seconds=DELAY_S
    )
    home = market.outcomes["home"]
    placed = await place(
        db, registry, player,
        BetSlip(
            selections=(Selection(home, Decimal("2.00")),), stake_minor=10_00,
            bet_type=BetType.SINGLE, idempotency_key=uuid.uuid4().hex,
            odds_policy=OddsPolicy.NONE,
        ),
    )  # fmt: skip
    assert placed.status is BetStatus.PENDING
    return player, placed.bet_id, home


def _later(monkeypatch: pytest.MonkeyPatch, seconds: float) -> None:
    moved = clock.now() + timedelta(seconds=seconds)

    def now() -> datetime:
        return moved

    monkeypatch.setattr(clock, "now", now)


async def _bet(db: Database, bet_id: int) -> Bet:
    async with db.uow() as uow:
        return await uow.session.get_one(Bet, bet_id)


async def _bet_updates(db: Database) -> list[dict[str, object]]:
    async with db.uow() as uow:
        rows = await uow.session.scalars(
            select(OutboxEvent)
            .where(OutboxEvent.topic == BetUpdated.topic)
            .order_by(OutboxEvent.id)
        )
        return [dict(row.payload) for row in rows]


def test_the_job_runs_every_second() -> None:
    (job,) = [job for job in JOBS if job.name == "sportsbook.decide_pending_bets"]
    assert job.interval_s == PENDING_BETS_INTERVAL_S == 1.0
    assert job.run is decide_pending_bets


async def test_a_due_bet_with_unchanged_odds_is_accepted(
    db: Database, registry: BrandRegistry, monkeypatch: pytest.MonkeyPatch
) -> None:
    player, bet_id, _ = await _pending_live_bet(db, registry)

    assert await decide_pending_bets(db) == 0  # still inside its delay
    assert (await _bet(db, bet_id)).status == BetStatus.PENDING.value
    _later(monkeypatch, DELAY_S + 1)
    assert await decide_pending_bets(db) == 1

    assert (await _bet(db, bet_id)).status == BetStatus.OPEN.value
    assert await wallets(db, player) == {WalletKind.CASH: 90_00}
    assert await _bet_updates(db) == [
        {"bet_id": bet_id, "player_id": str(player), "status": BetStatus.OPEN.value}
    ]
    assert await decide_pending_bets(db) == 0  # decided once
    assert len(await _bet_updates(db)) == 1
    await assert_ledger_ok(db)


async def test_a_due_bet_whose_odds_moved_is_refused_under_policy_none(
    db: Database, registry: BrandRegistry, monkeypatch: pytest.MonkeyPatch
) -> None:
    player, bet_id, home = await _pending_live_bet(db, registry)
    async with db.transaction() as uow:
        (await uow.session.get_one(Outcome, home)).odds = Decimal("1.80")
    assert await wallets(db, player) == {WalletKind.CASH: 90_00}

    _later(monkeypatch, DELAY_S + 1)
    assert await decide_pending_bets(db) == 1

    bet = await _bet(db, bet_id)
    assert (bet.status, bet.payout_minor) == (BetStatus.REFUSED.value, 10_00)
    assert await wallets(db, player) == {WalletKind.CASH: 100_00}  # the stake refunded
    assert await _bet_updates(db) == [
        {"bet_id": bet_id, "player_id": str(player), "status": BetStatus.REFUSED.value}
    ]
    assert await decide_pending_bets(db) == 0
    await assert_ledger_ok(db)
