"""Every tile of the dev lobby plays, in a real browser: the lobby that `stakehouse dev`
seeds (the Originals and the built-in aggregator's two demo studios) is opened, and every
game in it plays one round for play money and one for real money inside the game page's
iframe. A real-money round moves the player's cash by exactly its stake and payout, as the
site's live balance shows; a play-money round leaves it alone. All tiles, no sample: three
browser contexts (three players) share the list. The lobby and one game are photographed
at phone and desktop sizes."""

from __future__ import annotations

import asyncio
import uuid
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import select

from domain.accounts.models import Player
from domain.brands.service import BrandRegistry
from domain.casino.catalog import ORIGINALS
from domain.kernel.db import Database
from domain.originals import studio
from tests.browser.test_site import _axe_violations, _new_page, _port, _register_and_sign_in
from tests.schema.wallets.support import fund
from web.seed import seed

WORKERS = 3
FUNDS_MINOR = 100_000
VIEWPORTS = {"phone": (390, 844), "desktop": (1280, 800)}
CASH = "#balances [data-wallet=CASH]"


def _euros(amount: Decimal) -> str:
    return f"€{amount:,.2f}"


async def _all_tiles(page: Any) -> list[dict[str, str]]:
    """Every card of the lobby, scrolling until no page is left to load."""
    while await page.locator("#game-list .load-more").count():
        shown = await page.locator("#game-list .game-card").count()
        await page.locator("#game-list .load-more").scroll_into_view_if_needed()
        await page.wait_for_function(
            "(shown) => document.querySelectorAll('#game-list .game-card').length > shown",
            arg=shown,
        )
    tiles: list[dict[str, str]] = await page.eval_on_selector_all(
        "#game-list .game-card",
        """cards => cards.map(card => ({
            code: card.dataset.game,
            real: card.querySelector('a.game-link').getAttribute('href'),
            demo: card.querySelector('a.game-demo')?.getAttribute('href'),
            art: card.querySelector('img').getAttribute('src'),
            alt: card.querySelector('img').getAttribute('alt'),
            volatility: card.querySelector('.game-volatility').textContent.trim(),
        }))""",
    )
    return tiles


async def _play_one_round(page: Any, base: str, href: str) -> dict[str, Any]:
    """Open the game page, play one round in its iframe; the game server's answer."""
    await page.goto(base + href)
    frame = page.frame_locator("#game-frame")
    button = frame.locator("#roll, #spin")
    await button.wait_for()
    async with page.expect_response(lambda response: "/api/play" in response.url) as answer:
        await button.click()
    reply = await answer.value
    assert reply.status == 200, await reply.text()
    body: dict[str, Any] = await reply.json()
    await frame.locator("#result:not(:empty), #verdict:not(:empty)").first.wait_for()
    return body


async def _player(
    browser: Any, axe_script: Path, base: str, db: Database, worker: int
) -> tuple[Any, Any, list[str]]:
    context, page, problems = await _new_page(browser, axe_script)
    email = f"studio-{worker}-{uuid.uuid4().hex[:8]}@aurora.example"
    await _register_and_sign_in(page, base, "MT", email)
    async with db.uow() as uow:
        player_id = await uow.session.scalar(
            select(Player.id).where(Player.brand == "aurora", Player.email == email)
        )
    assert player_id is not None
    await fund(db, player_id, FUNDS_MINOR)
    return context, page, problems


async def _worker(
    browser: Any,
    axe_script: Path,
    base: str,
    db: Database,
    *,
    worker: int,
    tiles: list[dict[str, str]],
) -> list[tuple[str, str, str, str]]:
    """Play each tile for fun and for real; (code, mode, cash before, cash after) each."""
    context, page, problems = await _player(browser, axe_script, base, db, worker)
    cash = Decimal(FUNDS_MINOR) / 100
    played = []
    for tile in tiles:
        demo = await _play_one_round(page, base, tile["demo"])
        assert await page.locator("#game-mode").get_attribute("data-mode") == "DEMO"
        # Play money: the game's own balance moved, the player's cash did not.
        assert demo["round"]["status"] == "settled"
        await page.locator(CASH).filter(has_text=_euros(cash)).wait_for()
        played.append((tile["code"], "demo", _euros(cash), _euros(cash)))

        real = await _play_one_round(page, base, tile["real"])
        assert await page.locator("#game-mode").get_attribute("data-mode") == "REAL"
        stake, payout = Decimal(real["round"]["stake"]), Decimal(real["round"]["payout"])
        after = cash - stake + payout
        assert (real["round"]["status"], Decimal(real["balance"])) == ("settled", after)
        # The site's live balance (pushed, no reload) shows the round's stake and payout.
        await page.locator(CASH).filter(has_text=_euros(after)).wait_for()
        played.append((tile["code"], "real", _euros(cash), _euros(after)))
        cash = after
    await context.close()
    assert problems == []
    return played


async def _photograph(browser: Any, base: str, artifacts: Path, game: dict[str, str]) -> None:
    for name, (width, height) in VIEWPORTS.items():
        context = await browser.new_context(viewport={"width": width, "height": height})
        page = await context.new_page()
        await page.goto(f"{base}/casino")
        await page.screenshot(
            path=str(artifacts / f"demo-studio-lobby-{name}.png"), full_page=name == "phone"
        )
        # The game itself, as the studio serves it into the site's frame.
        await page.goto(f"{base}/studio/launch?game={game['code']}&mode=demo&currency=EUR")
        await page.locator("#spin").click()
        await page.locator("#result:not(:empty)").wait_for()
        await page.screenshot(path=str(artifacts / f"demo-studio-game-{name}.png"))
        await context.close()


async def test_every_tile_of_the_dev_lobby_plays_for_fun_and_for_real_money(
    browser: Any,
    *,
    server: str,
    db: Database,
    registry: BrandRegistry,
    axe_script: Path,
    artifacts: Path,
) -> None:
    await seed(db, registry, demo=True)
    base = f"http://aurora.localhost:{_port(server)}"
    context, page, problems = await _new_page(browser, axe_script)
    await page.goto(f"{base}/casino")
    tiles = await _all_tiles(page)
    lobby_issues = await _axe_violations(page)
    # The studio's game client of each kind, as it opens in the frame (play money).
    game_issues = []
    for code in ("quillmoor-002", "velvetine-marble-wheel"):
        await page.goto(f"{base}/studio/launch?game={code}&mode=demo&currency=EUR")
        await page.locator("#spin").click()
        await page.locator("#result:not(:empty)").wait_for()
        game_issues += await _axe_violations(page)
    await context.close()

    # The dev lobby is the Originals and every game of the demo studios, each with art,
    # a text alternative, its volatility and a demo button; none framed from elsewhere.
    assert sorted(tile["code"] for tile in tiles) == sorted(
        [game.code for game in ORIGINALS.games] + list(studio.STUDIO_GAMES)
    )
    # Art served by the platform: the first row inlined in the page (its largest paint),
    # the rest from its own address.
    assert all(
        tile["demo"] and tile["art"].startswith(("/", "data:image/svg+xml")) for tile in tiles
    )
    assert all(tile["alt"] and tile["volatility"].endswith("volatility") for tile in tiles)
    assert len({tile["art"] for tile in tiles}) == len(tiles)
    assert {"lobby": lobby_issues, "games": game_issues} == {"lobby": [], "games": []}

    shares = [tiles[worker::WORKERS] for worker in range(WORKERS)]
    results = await asyncio.gather(
        *(
            _worker(browser, axe_script, base, db, worker=worker, tiles=share)
            for worker, share in enumerate(shares)
        )
    )
    played = [entry for result in results for entry in result]

    assert len(played) == 2 * len(tiles)
    assert {code for code, *_ in played} == {tile["code"] for tile in tiles}
    demo_moves = [(before, after) for _, mode, before, after in played if mode == "demo"]
    assert all(before == after for before, after in demo_moves)
    await _photograph(browser, base, artifacts, next(t for t in tiles if "quillmoor" in t["code"]))
    assert problems == []
