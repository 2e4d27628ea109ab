"""The home page's game rails from the API: `topCasinoGames` ranks the brand's games by the
rounds really played on it over the last days (not a list someone keeps), and
`newCasinoGames` by the studio's release day (`releasedOn`)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sqlalchemy import select

from domain.brands.service import BrandRegistry
from domain.casino.models import CasinoGame, GameRound
from domain.integrations.aggregator import DEMO_SLOT_STUDIO, DEMO_TABLE_STUDIO
from domain.kernel import clock
from domain.kernel.db import Database
from domain.kernel.settings import get_settings
from schema import build_schema
from tests.support import create_player, request_context
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


async def _play(
    db: Database, registry: BrandRegistry, brand: str, code: str, rounds: int, *, days_ago: int = 0
) -> None:
    # The rounds count by the brand they were played on (the player's registration brand
    # does not matter here: tests.support registers on aurora's terms).
    email = f"{brand}-{code}-{days_ago}@example.com"
    player = await create_player(db, registry, email=email)
    async with db.transaction() as uow:
        for number in range(rounds):
            uow.session.add(
                GameRound(
                    brand=brand, provider=DEMO_SLOT_STUDIO, player_id=player,
                    round_ref=f"{code}-{days_ago}-{number}", game_code=code, currency="EUR",
                    opened_at=clock.now() - timedelta(days=days_ago),
                )
            )  # fmt: skip


async def test_top_games_follow_the_rounds_played_on_the_brand_lately(
    db: Database, registry: BrandRegistry
) -> None:
    await seed(db, registry, demo=True)
    busy, quieter = f"{DEMO_SLOT_STUDIO}-004", f"{DEMO_SLOT_STUDIO}-009"
    await _play(db, registry, "aurora", busy, 3)
    await _play(db, registry, "aurora", quieter, 2)
    # Played elsewhere, or long ago: not counted on aurora this month.
    await _play(db, registry, "kumo", quieter, 5)
    await _play(db, registry, "aurora", quieter, 4, days_ago=45)

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
