"""Lighthouse (npm) on Debian's Chromium with mobile emulation and throttling, as
`python -m bench.lighthouse` runs it: one brand's home page, in CI. The goals are 100 in
each category, LCP <= 1.5 s and CLS <= 0.05; on a shared 2-core machine the timing-based
performance score and LCP swing, so they get a margin here. Accessibility, best practices
and SEO do not depend on timing and must be 100. The report lands in
test-artifacts/lighthouse/.

Measured on this machine with about seven engineers' test runs beside it: performance 78-96
(total blocking time and, in tests where the server shares pytest's event loop and the home
answer is not shared, server response time), LCP 1.0-1.4 s, CLS 0. Since the home page loads no htmx and a rail's
off-screen tiles skip rendering (bench.lighthouse against `stakehouse dev`, load average
12-20 on 2 CPUs): performance 94-100 on the three brands' home pages, one run of 66 at a
load average of 19; LCP 0.8-2.0 s; CLS 0."""

from __future__ import annotations

import asyncio
from pathlib import Path

from bench.lighthouse import audit_site
from domain.brands.service import BrandRegistry
from domain.kernel.db import Database
from tests.browser.test_site import _port
from tests.domain.sportsbook.support import add_market
from web.seed import seed

PERFORMANCE_MIN = 70
LCP_MAX_MS = 2500.0
CLS_MAX = 0.05


async def test_the_home_page_meets_lighthouse_goals_on_a_phone(
    chromium: Path, server: str, artifacts: Path, db: Database, registry: BrandRegistry
) -> None:
    await seed(db, registry, demo=True)
    await add_market(db, {"home": "1.80", "away": "2.05"}, event_status="live")

    # In a thread: the test server answers Lighthouse on this event loop meanwhile.
    [(_, _, result)] = await asyncio.to_thread(
        audit_site, _port(server), ["aurora"], ["/"], artifacts / "lighthouse"
    )

    assert {name: score for name, score in result.scores.items() if name != "performance"} == {
        "accessibility": 100,
        "best-practices": 100,
        "seo": 100,
    }, result.failing
    assert result.scores["performance"] >= PERFORMANCE_MIN, result.failing
    assert result.lcp_ms <= LCP_MAX_MS and result.cls <= CLS_MAX
    assert (artifacts / "lighthouse" / "aurora-home.json").stat().st_size > 0
