"""The lobby's first screen on a phone paints with the page: the first row's artwork of the
built-in studio comes inlined in the page (the same drawing its address serves), the rest
of the first screen is asked for at once with high priority, and tiles further down load
when scrolled near. Another studio's artwork stays an address."""

from __future__ import annotations

import re
from urllib.parse import unquote

from domain.brands.service import BrandRegistry
from domain.kernel.db import Database
from tests.web.site.support import SiteClient
from web.seed import seed
from web.site.site import inline_artwork

_TILE = re.compile(
    r'<li class="game-card" data-game="([^"]+)">\s*<a [^>]*>\s*<img src="([^"]+)"([^>]*)>'
)


async def test_the_first_row_of_artwork_is_inlined_and_the_rest_waits_its_turn(
    aurora_site: SiteClient, db: Database, registry: BrandRegistry
) -> None:
    await seed(db, registry, demo=True)

    tiles = _TILE.findall((await aurora_site.get("/casino")).text)
    served = [await aurora_site.get(f"/studio/art/v1/{code}.svg") for code, _, _ in tiles[:2]]

    assert len(tiles) > 5
    inlined = [src for _, src, _ in tiles[:2]]
    assert all(src.startswith("data:image/svg+xml,%3Csvg ") for src in inlined)
    assert [unquote(src.split(",", 1)[1].replace("&amp;", "&")) for src in inlined] == [
        art.text for art in served
    ]
    assert [art.status_code for art in served] == [200, 200]
    # Sized, asked for first, never lazy: the first screen on a phone.
    assert all(
        'width="320" height="240" fetchpriority="high"' in rest and "lazy" not in rest
        for _, _, rest in tiles[:4]
    )
    assert [src for _, src, _ in tiles[2:4]] == [
        f"/studio/art/v1/{code}.svg" for code, _, _ in tiles[2:4]
    ]
    assert all('loading="lazy"' in rest for _, _, rest in tiles[4:])


def test_only_the_built_in_studios_current_artwork_is_inlined() -> None:
    assert inline_artwork("/studio/art/v1/quillmoor-004.svg") is not None
    assert inline_artwork("/studio/art/v0/quillmoor-004.svg") is None
    assert inline_artwork("/studio/art/v1/not-a-game.svg") is None
    assert inline_artwork("https://cdn.example/studio/art/v1/quillmoor-004.svg") is None
