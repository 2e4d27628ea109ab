"""The home page's game rails from the API: `topCasinoGames` ranks the brand's games by the
bets really placed on it over the last days (the reporting read model's day x game cells,
not a list someone keeps, nor a count of rounds per call), and
`newCasinoGames` by the studio's release day (`releasedOn`)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select, text

from domain.brands.service import BrandRegistry
from domain.casino.models import CasinoGame, GameRound
from domain.integrations.aggregator import DEMO_SLOT_STUDIO, DEMO_TABLE_STUDIO
from domain.kernel import clock
from domain.kernel.db import Database
from domain.kernel.settings import get_settings
from schema import build_schema
from tests.domain.reporting.support import GAME, Casino, apply_outbox, ledger_move
from tests.support import create_player, request_context, statements_of
from web.seed import seed

SCHEMA = build_schema(get_settings())
RAILS = """
query Rails($first: Int!, $days: Int!) {
  topCasinoGames(first: $first, days: $days) { rounds game { code releasedOn } }
  newCasinoGames(first: $first) { code releasedOn }
  tables: newCasinoGames(first: 2, category: "table") { code }
}
"""


async def _rails(db: Database, registry: BrandRegistry, brand: str, **variables: Any) -> Any:
    result = await SCHEMA.execute(
        RAILS,
        variable_values={"first": 5, "days": 30, **variables},
        context_value=request_context(db, registry, brand, None),
    )
    assert result.errors is None, result.errors
    return result.data


async def _bet(db: Database, registry: BrandRegistry, bets: int) -> None:
    """`bets` real-money bets on Dice on aurora through the casino callback, applied to the
    read model as its actor does."""
    player_id = await create_player(db, registry, email=f"dice-{bets}@example.com")
    await ledger_move(db, "aurora", player_id, "EUR", 100_00)
    dice = await Casino(db, registry, "aurora", "EUR").open(player_id)
    for number in range(bets):
        await dice.bet(f"dice-{number}", f"dice-r{number}", 1_00)
    await apply_outbox(db)


async def _cells(
    db: Database, registry: BrandRegistry, brand: str, code: str, bets: int, *, days_ago: int = 0
) -> None:
    """The read model's day x game cell of `bets` bets on the brand's day `days_ago` back,
    as the applier writes it (the cells' own figures are proven against the ledger in
    tests/domain/reporting)."""
    day = datetime.now(ZoneInfo(registry.get(brand).time_zone)).date() - timedelta(days_ago)
    async with db.transaction() as uow:
        await uow.session.execute(
            text(
                "INSERT INTO reporting_daily (day, brand, product, game, provider, sport, "
                "competition, market_type, currency, bets, stakes_minor) VALUES (:day, "
                ":brand, 'casino', :game, :provider, '', '', '', 'EUR', CAST(:bets AS bigint), "
                "CAST(:bets AS bigint) * 100)"
            ),
            {"day": day, "brand": brand, "game": code, "provider": DEMO_SLOT_STUDIO, "bets": bets},
        )


async def test_top_games_follow_the_bets_placed_on_the_brand_lately(
    db: Database, registry: BrandRegistry
) -> None:
    await seed(db, registry, demo=True)
    busy, quieter = GAME, f"{DEMO_SLOT_STUDIO}-009"
    await _bet(db, registry, 3)
    await _cells(db, registry, "aurora", quieter, 2)
    # Played elsewhere, or long ago: not counted on aurora this month.
    await _cells(db, registry, "kumo", quieter, 5)
    await _cells(db, registry, "aurora", quieter, 4, days_ago=45)
    # Played in demo mode: no money, not counted.
    await _demo_round(db, registry, f"{DEMO_SLOT_STUDIO}-004")

    month = await _rails(db, registry, "aurora")
    season = await _rails(db, registry, "aurora", days=60)
    kumo = await _rails(db, registry, "kumo")

    top = [(row["game"]["code"], row["rounds"]) for row in month["topCasinoGames"]]
    assert top[:2] == [(busy, 3), (quieter, 2)]
    # Games nobody played follow, the newest first, so a new brand's rail is not empty.
    assert [rounds for _, rounds in top[2:]] == [0, 0, 0]
    unplayed = [row["game"]["releasedOn"] for row in month["topCasinoGames"][2:]]
    assert unplayed == sorted(unplayed, reverse=True)
    assert [row["game"]["code"] for row in season["topCasinoGames"][:2]] == [quieter, busy]
    assert kumo["topCasinoGames"][0] == {
        "rounds": 5, "game": {"code": quieter, "releasedOn": month["topCasinoGames"][1]["game"]["releasedOn"]},
    }  # fmt: skip


async def test_top_games_read_the_day_cells_in_one_statement_however_many_bets(
    db: Database, registry: BrandRegistry
) -> None:
    await seed(db, registry, demo=True)
    await _cells(db, registry, "aurora", f"{DEMO_SLOT_STUDIO}-009", 1_000_000)

    with statements_of(db) as statements:
        rails = await _rails(db, registry, "aurora")

    assert rails["topCasinoGames"][0]["rounds"] == 1_000_000
    reads = [s for s in statements if "reporting_daily" in s]
    assert len(reads) == 1, statements
    assert "casino_rounds" not in " ".join(statements)


async def _demo_round(db: Database, registry: BrandRegistry, code: str) -> None:
    player = await create_player(db, registry, email=f"demo-{code}@example.com")
    async with db.transaction() as uow:
        uow.session.add(
            GameRound(
                brand="aurora", provider=DEMO_SLOT_STUDIO, player_id=player, round_ref="demo-1",
                game_code=code, currency="EUR", opened_at=clock.now(),
            )
        )  # fmt: skip


async def test_new_games_come_by_the_studios_release_day(
    db: Database, registry: BrandRegistry
) -> None:
    await seed(db, registry, demo=True)
    async with db.uow() as uow:
        latest_slot = await uow.session.scalar(
            select(CasinoGame.code)
            .where(CasinoGame.provider == DEMO_SLOT_STUDIO)
            .order_by(CasinoGame.released_on.desc())
            .limit(1)
        )

    rails = await _rails(db, registry, "aurora")

    days = [date.fromisoformat(game["releasedOn"]) for game in rails["newCasinoGames"]]
    assert rails["newCasinoGames"][0]["code"] == latest_slot
    assert days == sorted(days, reverse=True) and len(set(days)) == len(days)
    assert [game["code"] for game in rails["tables"]] == [
        f"{DEMO_TABLE_STUDIO}-cinder-wheel",
        f"{DEMO_TABLE_STUDIO}-salt-and-silk-roulette",
    ]
