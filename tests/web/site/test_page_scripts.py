"""Each page loads only the scripts it uses: htmx costs a phone a compile and a pass over
the page at load (Lighthouse counted it in the home page's blocking time), so the home page,
where nothing swaps or streams, has none, the lobby (search as you type, favourites) htmx
without the SSE extension, and the sports pages (live prices) both."""

from __future__ import annotations

from domain.brands.service import BrandRegistry
from domain.kernel.db import Database
from tests.web.site.support import SiteClient
from web.seed import seed

HTMX = '<script src="/static/vendor/htmx.min'
SSE = '<script src="/static/vendor/sse.min'


async def test_the_home_page_has_no_script_the_lobby_no_stream_and_sports_both(
    aurora_site: SiteClient, db: Database, registry: BrandRegistry
) -> None:
    await seed(db, registry, demo=True)

    home = (await aurora_site.get("/")).text
    lobby = (await aurora_site.get("/casino")).text
    sports = (await aurora_site.get("/sports")).text

    assert (
        "Top games" in home
        and "<script" not in home
        and "hx-" not in home.split("<body", 1)[1].split(">", 1)[1]
    )
    assert HTMX in lobby and SSE not in lobby and 'hx-get="/casino/games' in lobby
    assert HTMX in sports and SSE in sports
