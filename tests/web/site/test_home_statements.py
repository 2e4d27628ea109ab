"""The home page's one GraphQL execution (SiteHome) reads its rails in a fixed number of
statements, however many games and events they show: no N+1 as the lobby or the book grows."""

from __future__ import annotations

from typing import Any

from domain.brands.service import BrandRegistry
from domain.kernel.db import Database
from domain.kernel.settings import get_settings
from schema import build_schema
from tests.domain.sportsbook.support import add_market
from tests.web.site.support import counted_site_query, player_token
from web.seed import seed
from web.site.client import load_documents
from web.site.pages import HOME_EVENTS, HOME_GAMES

SCHEMA = build_schema(get_settings())
HOME = load_documents()["SiteHome"]


async def _home(
    db: Database, registry: BrandRegistry, token: str | None
) -> tuple[dict[str, Any], int]:
    variables = {"signedIn": token is not None, "games": HOME_GAMES, "events": HOME_EVENTS}
    return await counted_site_query(
        SCHEMA, db, registry, HOME, operation="SiteHome", variables=variables, token=token
    )


async def _token(db: Database, registry: BrandRegistry) -> str:
    return await player_token(SCHEMA, db, registry, "home@example.com")


async def test_the_home_page_reads_in_the_same_statements_for_one_event_or_many(
    db: Database, registry: BrandRegistry
) -> None:
    await seed(db, registry, demo=True)
    token = await _token(db, registry)
    await add_market(db, {"home": "1.80", "away": "2.05"}, event_status="live")
    await add_market(db, {"home": "2.40", "away": "1.55"})
    _, anonymous_few = await _home(db, registry, None)
    _, player_few = await _home(db, registry, token)
    for _ in range(HOME_EVENTS - 1):
        await add_market(db, {"home": "1.80", "away": "2.05"}, event_status="live")
        await add_market(db, {"home": "2.40", "away": "1.55"})

    data, anonymous_many = await _home(db, registry, None)
    _, player_many = await _home(db, registry, token)

    assert len(data["live"]["edges"]) == HOME_EVENTS
    assert len(data["top"]) == len(data["newest"]) == HOME_GAMES
    assert data["tables"]["edges"] and data["casinoProviders"]
    assert (anonymous_many, player_many) == (anonymous_few, player_few)
    assert anonymous_many <= 12 and player_many <= 16
