"""Building a small book for tests: events, markets with outcomes, funded players."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import Any

from domain.brands.service import BrandRegistry
from domain.kernel import clock
from domain.kernel.db import Database
from domain.sportsbook.models import Competition, Event, Market, Outcome, Sport
from domain.sportsbook.placement import BetSlip, place_bet
from domain.sportsbook.queries import PlacedBet
from domain.wallets import invariants
from domain.wallets.models import HouseAccountKind, WalletKind
from domain.wallets.service import balances, house_account_id, transfer, wallet_id
from tests.support import create_player

BRAND = "aurora"


@dataclass(frozen=True)
class BookMarket:
    event_id: int
    market_id: int
    # Outcome ids by key.
    outcomes: dict[str, int]


async def add_market(
    db: Database,
    odds: Mapping[str, str],
    *,
    event_status: str = "scheduled",
    market_type: str = "match_result",
    specifiers: str = "",
    event_id: int | None = None,
    **market: Any,
) -> BookMarket:
    """A market with one outcome per `odds` entry, on a new event unless `event_id`."""
    async with db.transaction() as uow:
        if event_id is None:
            sport = Sport(key=f"football-{uuid.uuid4().hex[:6]}", name="Football")
            uow.session.add(sport)
            await uow.flush()
            competition = Competition(sport_id=sport.id, key="epl", name="Premier League")
            uow.session.add(competition)
            await uow.flush()
            event = Event(
                competition_id=competition.id,
                name="Home v Away",
                home="Home",
                away="Away",
                status=event_status,
                starts_at=clock.now() + timedelta(hours=1),
            )
            uow.session.add(event)
            await uow.flush()
            event_id = event.id
        row = Market(
            event_id=event_id,
            type=market_type,
            specifiers=specifiers,
            name=market_type,
            status="active",
            **market,
        )
        uow.session.add(row)
        await uow.flush()
        outcomes = {}
        for key, price in odds.items():
            outcome = Outcome(
                market_id=row.id, key=key, name=key, odds=Decimal(price), status="active"
            )
            uow.session.add(outcome)
            await uow.flush()
            outcomes[key] = outcome.id
        return BookMarket(event_id, row.id, outcomes)


async def fund(
    db: Database, player_id: uuid.UUID, amount_minor: int, wallet: WalletKind = WalletKind.CASH
) -> None:
    async with db.transaction() as uow:
        source = await house_account_id(uow, BRAND, HouseAccountKind.BONUS_POOL, "EUR")
        destination = await wallet_id(uow, BRAND, player_id, wallet, "EUR")
        await transfer(
            uow, brand=BRAND, kind="fund", source=source, destination=destination,
            amount_minor=amount_minor, scope=None, key=None,
        )  # fmt: skip


async def funded_player(
    db: Database, registry: BrandRegistry, amount_minor: int = 1_000_00
) -> uuid.UUID:
    player_id = await create_player(db, registry)
    await fund(db, player_id, amount_minor)
    return player_id


async def wallets(db: Database, player_id: uuid.UUID) -> dict[WalletKind, int]:
    async with db.uow() as uow:
        return {
            b.kind: b.amount_minor for b in await balances(uow, BRAND, player_id) if b.amount_minor
        }


async def place(
    db: Database, registry: BrandRegistry, player_id: uuid.UUID, slip: BetSlip
) -> PlacedBet:
    async with db.uow() as uow:
        placed = await place_bet(uow, brand=registry.get(BRAND), player_id=player_id, slip=slip)
        await uow.commit()
    return placed


async def assert_ledger_ok(db: Database) -> None:
    async with db.uow() as uow:
        report = await invariants.check(uow)
    assert report.ok, report.violations
