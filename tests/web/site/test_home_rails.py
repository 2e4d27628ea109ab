"""The home page's game rails as a visitor reads them: "Top games" puts first the game
played most on the brand lately (rounds, not a list someone keeps), "New games" the
studios' latest release, in German too."""

from __future__ import annotations

import re

from domain.brands.service import BrandRegistry
from domain.integrations.aggregator import DEMO_SLOT_STUDIO
from domain.kernel.db import Database
from tests.domain.casino.test_rails import _bet
from tests.domain.reporting.support import GAME
from tests.web.site.support import SiteClient
from web.seed import seed


def _rail(page: str, rail: str) -> list[str]:
    """The game codes of a rail, in order."""
    start = page.index(f'id="{rail}-heading"')
    section = page[start : page.index("</section>", start)]
    return re.findall(r'<li class="game-card" data-game="([^"]+)"', section)


async def test_top_games_lead_with_the_most_played_and_new_games_with_the_latest(
    aurora_site: SiteClient, db: Database, registry: BrandRegistry
) -> None:
    await seed(db, registry, demo=True)
    # Real-money bets through the casino callback, applied to the read model as its actor does.
    played = GAME
    await _bet(db, registry, 2)

    page = (await aurora_site.get("/")).text

    assert "Top games" in page and "New games" in page
    top, new = _rail(page, "top"), _rail(page, "new")
    assert top[0] == played and len(top) == len(new) == 12
    # The built-in studio's last slot is its latest release (domain.integrations.aggregator).
    assert new[0] == f"{DEMO_SLOT_STUDIO}-023"
    # Only the first tiles of the first rail load at once (the page's largest paint).
    assert page.count('fetchpriority="high"') == 2
