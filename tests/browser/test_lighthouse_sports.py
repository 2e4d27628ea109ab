"""Lighthouse on the sports list and an event page of a full book (a dozen events, three
markets each, some in play, as in dev), on a phone with Lighthouse's mobile throttling, as
`python -m bench.lighthouse --page /sports --page EVENT` runs it. The timing-based figures
get the same margin for this shared machine as the home page's (test_lighthouse.py); the
reports land in test-artifacts/lighthouse/."""

from __future__ import annotations

import asyncio
from pathlib import Path

from sqlalchemy import update

from bench.lighthouse import audit_site
from domain.brands.service import BrandRegistry
from domain.kernel.db import Database
from domain.sportsbook.models import Event
from tests.browser.test_lighthouse import CLS_MAX, LCP_MAX_MS, PERFORMANCE_MIN
from tests.browser.test_site import _port
from tests.domain.sportsbook.support import add_market
from web.seed import seed

EVENTS = 12
LIVE = 4


async def full_book(db: Database) -> None:
    live = []
    for number in range(EVENTS):
        status = "live" if number < LIVE else "scheduled"
        first = await add_market(
            db, {"home": "2.10", "draw": "3.40", "away": "3.60"}, event_status=status
        )
        await add_market(
            db, {"over": "1.90", "under": "1.95"}, market_type="total", specifiers="total=2.5",
            event_id=first.event_id,
        )  # fmt: skip
        await add_market(
            db, {"home": "1.85", "away": "2.00"}, market_type="handicap",
            specifiers="hcp=-1", event_id=first.event_id,
        )  # fmt: skip
        if status == "live":
            live.append(first.event_id)
    async with db.transaction() as uow:
        await uow.session.execute(
            update(Event)
            .where(Event.id.in_(live))
            .values(score={"home": 1, "away": 0}, clock={"period": "2H", "minute": 67})
        )


async def test_the_sports_and_event_pages_meet_lighthouse_goals_on_a_phone(
    chromium: Path, server: str, artifacts: Path, db: Database, registry: BrandRegistry
) -> None:
    await seed(db, registry, demo=True)
    await full_book(db)

    # In a thread: the test server answers Lighthouse on this event loop meanwhile.
    results = await asyncio.to_thread(
        audit_site, _port(server), ["aurora"], ["/sports", "EVENT"], artifacts / "lighthouse"
    )

    assert len(results) == 2
    for _, _, result in results:
        others = {name: score for name, score in result.scores.items() if name != "performance"}
        assert others == {"accessibility": 100, "best-practices": 100, "seo": 100}, result.failing
        assert result.scores["performance"] >= PERFORMANCE_MIN, result.failing
        assert result.lcp_ms <= LCP_MAX_MS and result.cls <= CLS_MAX
    assert (artifacts / "lighthouse" / "aurora-sports.json").stat().st_size > 0
    assert (artifacts / "lighthouse" / "aurora-event.json").stat().st_size > 0
