"""The player site on a phone (tests/browser/test_mobile_*.py): the demo site they share
and the per-brand check. One file per brand plus one for the layout, so that
`-n auto --dist loadfile` spreads the screenshots of the three brands over the workers
instead of one file holding every brand's pages (about 4.5 minutes) on one worker."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import update

from bench.screenshots import photograph_brand, sign_in
from domain.brands.service import BrandRegistry
from domain.kernel.db import Database
from domain.sportsbook.models import Event
from tests.browser.test_site import _port
from tests.domain.sportsbook.support import add_market
from web.seed import DEMO_PASSWORD, seed

PHONE = {"width": 390, "height": 844}
TOUCH_TARGET_PX = 44
# Home, lobby, sports, an event and the rest, at both sizes.
PUBLIC_SHOTS = 2 * 8


async def seed_demo_site(db: Database, registry: BrandRegistry) -> None:
    """The dev lobby (every demo game), the demo players, and events in play with scores:
    enough of them that the home page's live rail runs past the phone's edge, as in dev
    (a rail's off-screen items must not widen the page)."""
    await seed(db, registry, demo=True)
    await add_market(db, {"home": "2.10", "draw": "3.40", "away": "3.60"})
    live = [
        (await add_market(db, {"home": "1.80", "away": "2.05"}, event_status="live")).event_id
        for _ in range(3)
    ]
    async with db.transaction() as uow:
        await uow.session.execute(
            update(Event)
            .where(Event.id.in_(live))
            .values(score={"home": 1, "away": 0}, clock={"period": "2H", "minute": 67})
        )


async def check_brand_on_a_phone(browser: Any, server: str, artifacts: Path, brand: str) -> None:
    """No key page of `brand` scrolls sideways at 320 px, signed out and signed in; each is
    photographed at 390x844 and 1280x800 into test-artifacts/screenshots."""
    base = f"http://{brand}.localhost:{_port(server)}"
    out = artifacts / "screenshots"
    out.mkdir(exist_ok=True)

    async def signed_in(page: Any) -> None:
        await sign_in(page, base, "demo", DEMO_PASSWORD)

    public = await photograph_brand(browser, base, brand, out, signed_in=False)
    account = await photograph_brand(
        browser,
        base,
        brand,
        out,
        signed_in=True,
        pages=(
            "/",
            "/casino",
            "/account",
            "/account/deposit",
            "/account/bets",
            "/account/marketing",
            "/account/rewards",
            "GAME",
        ),
        before=signed_in,
    )

    overflows = public.overflows + account.overflows
    assert overflows == [], overflows  # (a helper module: pytest does not rewrite its asserts)
    assert len(public.shots) == PUBLIC_SHOTS
    assert all(shot.stat().st_size > 0 for shot in public.shots + account.shots)
