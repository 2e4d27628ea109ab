"""The casino pages, server-rendered: the lobby and its partials (live search, filters, the
next keyset page), favourites (CSRF-checked, htmx or plain form), the game page's launch."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import select, text

from domain.casino.catalog import (
    GameSpec,
    ProviderSpec,
    enable_games,
    seed_demo_catalog,
    sync_provider,
)
from domain.casino.models import FavouriteGame
from domain.kernel.db import Database
from tests.support import STRONG_PASSWORD
from tests.web.site.support import SiteClient, register_and_sign_in
from web.site.casino import LOBBY_PAGE_SIZE

PROVIDER = "site-lobby-test"
HTMX = {"hx-request": "true"}
_GAME = re.compile(r'<li class="game-card" data-game="([^"]+)"')
_NEXT = re.compile(r'<li class="load-more" hx-get="([^"]+)" hx-trigger="revealed"')
_GAME_ID = re.compile(r'name="game" value="([^"]+)"')
# 30 games, more than a page: "Site Game 01" … "Site Game 30"; three are table games.
TABLE_GAMES = ("site-game-05", "site-game-17", "site-game-29")
CATALOGUE = ProviderSpec(
    code=PROVIDER,
    name="Site Test Studio",
    launch_url="https://games.example/launch",
    games=tuple(
        GameSpec(
            code=f"site-game-{number:02}",
            name=f"Site Game {number:02}",
            category="test-table" if f"site-game-{number:02}" in TABLE_GAMES else "test-slots",
            rtp_basis_points=9600,
            volatility="medium",
        )
        for number in range(1, 31)
    ),
)
ALL_CODES = ["originals-dice", "originals-slot"] + [f"site-game-{n:02}" for n in range(1, 31)]
ALL_CODES = sorted(ALL_CODES, key=lambda code: {"originals-dice": "Dice",
                                                 "originals-slot": "Originals Slot"}.get(code, code.replace("site-game-", "Site Game ")))  # fmt: skip


@pytest.fixture(autouse=True)
async def catalogue(db: Database) -> AsyncIterator[None]:
    async with db.transaction() as uow:
        await seed_demo_catalog(uow, ["aurora", "northstar", "kumo"])
        await sync_provider(uow, CATALOGUE)
        await enable_games(uow, "aurora", PROVIDER)
    yield
    async with db.transaction() as uow:
        for statement in (
            "DELETE FROM casino_favourites WHERE game_id IN "
            "(SELECT id FROM casino_games WHERE provider = :p)",
            "DELETE FROM casino_brand_games WHERE game_id IN "
            "(SELECT id FROM casino_games WHERE provider = :p)",
            "DELETE FROM casino_games WHERE provider = :p",
            "DELETE FROM casino_providers WHERE code = :p",
        ):
            await uow.session.execute(text(statement), {"p": PROVIDER})


def _codes(body: str) -> list[str]:
    return _GAME.findall(body)


def _unescape(url: str) -> str:
    return url.replace("&amp;", "&")


async def _signed_in(site: SiteClient) -> None:
    await register_and_sign_in(
        site, email="ana@example.com", password=STRONG_PASSWORD, country="MT"
    )


async def test_the_lobby_shows_a_page_and_the_next_loads_when_revealed(
    aurora_site: SiteClient,
) -> None:
    lobby = await aurora_site.get("/casino")
    found = _NEXT.search(lobby.text)
    assert found is not None
    following = await aurora_site.get(_unescape(found.group(1)), headers=HTMX)

    assert lobby.status_code == 200
    assert _codes(lobby.text) == ALL_CODES[:LOBBY_PAGE_SIZE]
    assert _unescape(found.group(1)).startswith("/casino/games?after=")
    assert following.status_code == 200
    assert "<html" not in following.text
    assert _codes(following.text) == ALL_CODES[LOBBY_PAGE_SIZE:]
    assert _NEXT.search(following.text) is None
    # A page further on does not rewrite the address bar; a new search does.
    assert "hx-replace-url" not in following.headers


async def test_the_search_box_asks_for_the_partial_as_you_type(aurora_site: SiteClient) -> None:
    lobby = await aurora_site.get("/casino")
    results = await aurora_site.get("/casino/games?q=dice", headers=HTMX)

    assert (
        'hx-get="/casino/games" hx-trigger="input changed delay:300ms, search" '
        'hx-target="#game-list" hx-include="#lobby-filters"'
    ) in lobby.text
    assert _codes(results.text) == ["originals-dice"]
    assert results.headers["hx-replace-url"] == "/casino?q=dice"


async def test_category_and_provider_filters(aurora_site: SiteClient) -> None:
    tables = await aurora_site.get("/casino/games?category=test-table", headers=HTMX)
    originals = await aurora_site.get("/casino?provider=stakehouse-originals")

    assert _codes(tables.text) == list(TABLE_GAMES)
    assert _codes(originals.text) == ["originals-dice", "originals-slot"]
    assert '<option value="stakehouse-originals" selected>Stakehouse Originals</option>' in (
        originals.text
    )
    assert '<option value="test-table">test-table (3)</option>' in originals.text


async def test_the_partial_without_htmx_is_the_whole_lobby(aurora_site: SiteClient) -> None:
    answer = await aurora_site.get("/casino/games?q=dice")

    assert answer.status_code == 303
    assert answer.headers["location"] == "/casino?q=dice"


async def test_a_stale_cursor_starts_again_at_the_first_page(aurora_site: SiteClient) -> None:
    answer = await aurora_site.get("/casino/games?after=not-a-cursor", headers=HTMX)

    assert answer.status_code == 200
    assert _codes(answer.text) == ALL_CODES[:LOBBY_PAGE_SIZE]


async def test_a_favourite_without_the_page_token_is_refused_and_nothing_changes(
    aurora_site: SiteClient, db: Database
) -> None:
    await _signed_in(aurora_site)
    lobby = await aurora_site.get("/casino?q=dice")
    game_id = _GAME_ID.search(lobby.text)
    assert game_id is not None
    form = {"game": game_id.group(1), "favourite": "1", "next": "/casino"}

    without_token = await aurora_site.post("/casino/favourite", form, csrf=False, headers=HTMX)
    other_origin = await aurora_site.post(
        "/casino/favourite", form, origin="http://evil.example", headers=HTMX
    )

    assert without_token.status_code == 403
    assert other_origin.status_code == 403
    async with db.transaction() as uow:
        assert list(await uow.session.scalars(select(FavouriteGame))) == []


async def test_a_favourite_by_htmx_swaps_the_button_and_by_form_redirects(
    aurora_site: SiteClient,
) -> None:
    await _signed_in(aurora_site)
    lobby = await aurora_site.get("/casino?q=dice")
    game_id = _GAME_ID.search(lobby.text)
    assert game_id is not None
    form = {"game": game_id.group(1), "next": "/casino?q=dice"}

    added = await aurora_site.post("/casino/favourite", {**form, "favourite": "1"}, headers=HTMX)
    favourites = await aurora_site.get("/casino?favourites=1")
    removed = await aurora_site.post("/casino/favourite", {**form, "favourite": "0"})
    after_removal = await aurora_site.get("/casino/games?favourites=1", headers=HTMX)

    assert added.status_code == 200
    assert added.text.lstrip().startswith('<form method="post" action="/casino/favourite"')
    assert 'aria-pressed="true"' in added.text
    assert 'name="favourite" value="0"' in added.text
    assert _codes(favourites.text) == ["originals-dice"]
    assert removed.status_code == 303
    assert removed.headers["location"] == "/casino?q=dice"
    assert _codes(after_removal.text) == []
    assert "You have no favourite games that match." in after_removal.text


async def test_favourites_only_is_ignored_when_signed_out(aurora_site: SiteClient) -> None:
    lobby = await aurora_site.get("/casino?favourites=1")

    assert _codes(lobby.text) == ALL_CODES[:LOBBY_PAGE_SIZE]
    assert 'name="favourites"' not in lobby.text


async def test_the_game_page_launches_real_money_in_a_frame_it_allows(
    aurora_site: SiteClient,
) -> None:
    await _signed_in(aurora_site)
    game = await aurora_site.get("/casino/originals-dice?provider=stakehouse-originals")
    lobby = await aurora_site.get("/casino")

    assert game.status_code == 200
    assert 'data-mode="REAL"' in game.text
    assert re.search(r'<iframe id="game-frame" src="/originals/launch\?[^"]*mode=real', game.text)
    assert 'sse-connect="/account/balance/stream"' in game.text
    assert "No rounds of this game yet." in game.text
    assert "frame-src 'self'" in game.headers["content-security-policy"]
    assert game.headers["cache-control"] == "no-store"
    assert "frame-src" not in lobby.headers["content-security-policy"]
    # The launch is listed among the recently played games.
    assert '<h2 id="recent-heading">' in lobby.text
    assert 'href="/casino/originals-dice?provider=stakehouse-originals">Dice</a>' in lobby.text


async def test_signed_out_the_game_page_asks_to_sign_in(aurora_site: SiteClient) -> None:
    game = await aurora_site.get("/casino/originals-dice")
    missing = await aurora_site.get("/casino/no-such-game")

    assert game.status_code == 200
    assert "Sign in to play, for real money or for fun." in game.text
    assert 'href="/login?next=/casino/originals-dice"' in game.text
    assert "<iframe" not in game.text
    assert "sse-connect" not in game.text
    assert missing.status_code == 404


async def test_play_money_by_choice(aurora_site: SiteClient) -> None:
    await _signed_in(aurora_site)
    game = await aurora_site.get("/casino/originals-dice?provider=stakehouse-originals&mode=demo")

    assert 'data-mode="DEMO"' in game.text
    assert re.search(r'<iframe id="game-frame" src="/originals/launch\?[^"]*mode=demo', game.text)
    assert 'href="/casino/originals-dice?provider=stakehouse-originals">Play for real money' in (
        game.text
    )


async def test_the_game_page_lists_the_round_just_played(
    aurora_site: SiteClient, server: str, db: Database
) -> None:
    from domain.accounts.models import Player
    from tests.domain.sportsbook.support import fund
    from tests.web.originals.conftest import GameBrowser

    await _signed_in(aurora_site)
    async with db.uow() as uow:
        player_id = await uow.session.scalar(
            select(Player.id).where(Player.email == "ana@example.com")
        )
    assert player_id is not None
    await fund(db, player_id, 50_00)
    path = "/casino/originals-dice?provider=stakehouse-originals"
    first = await aurora_site.get(path)
    frame = re.search(r'<iframe id="game-frame" src="([^"]+)"', first.text)
    assert frame is not None
    browser = GameBrowser(server)
    await browser.open(frame.group(1).replace("&amp;", "&"))
    played = await browser.play(stake="1.00", target="50.00")
    await browser.aclose()
    again = await aurora_site.get(path)
    listed = await aurora_site.get(
        "/casino/originals-dice/rounds?provider=stakehouse-originals", headers=HTMX
    )

    assert played.status_code == 200, played.text
    assert "No rounds of this game yet." in first.text
    # The page asks for its rounds again whenever the balance changes (a round was played).
    assert re.search(
        r'<div id="game-rounds" hx-get="/casino/originals-dice/rounds\?provider=stakehouse-originals" hx-trigger="htmx:sseMessage from:#balances',
        first.text,
    )
    for shown in (again.text, listed.text):
        assert "No rounds of this game yet." not in shown
        assert re.search(r'<td class="number">€1\.00</td>', shown)
    assert "<html" not in listed.text
