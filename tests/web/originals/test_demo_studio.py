"""The built-in aggregator's demo studios play on the game server: every kind of game (the
three slot machines and roulette) for real money over the signed seamless-wallet API and
for play money without a wallet call, each round replayable from its seed; the artwork is
static SVG cached for a year."""

from __future__ import annotations

import uuid
from decimal import Decimal

import pytest

from domain.casino.catalog import apply_catalogue, fetch_catalogue
from domain.casino.models import GameMode
from domain.casino.service import launch
from domain.integrations.aggregator import TestAggregator, studio_art_url
from domain.kernel.db import Database
from domain.originals import studio
from tests.web.originals.conftest import GameBrowser, Player, cash_balance, rows

# One game of each kind: a low, a medium and a high volatility slot, and a roulette table.
ONE_OF_EACH = ("quillmoor-001", "quillmoor-002", "quillmoor-003", "velvetine-marble-wheel")


async def _launch(db: Database, player_id: uuid.UUID, code: str, mode: GameMode) -> str:
    catalogue = await fetch_catalogue(TestAggregator())
    async with db.transaction() as uow:
        await apply_catalogue(uow, catalogue, ["aurora", "northstar"])
        launched = await launch(
            uow, brand="aurora", player_id=player_id, provider=studio.STUDIO_GAMES[code].provider,
            game_code=code, mode=mode,
        )  # fmt: skip
    return launched.url


def _bet(code: str) -> dict[str, str]:
    game = studio.STUDIO_GAMES[code]
    stake = f"{Decimal(game.stakes_minor[1]) / 100:.2f}"
    return {"stake": stake, "bet": "red"} if game.kind == "roulette" else {"stake": stake}


@pytest.mark.parametrize("code", ONE_OF_EACH)
async def test_real_money_rounds_move_the_players_cash_through_the_signed_wallet(
    server: str, db: Database, player: Player, browser: GameBrowser, code: str
) -> None:
    url = await _launch(db, player.player_id, code, GameMode.REAL)
    assert url.startswith("/studio/launch?")
    page = await browser.open(url)
    assert page.status_code == 200
    assert studio.STUDIO_GAMES[code].game.name in page.text
    assert "100.00" in page.text

    replies = [await browser.post("/studio/api/play", **_bet(code)) for _ in range(3)]

    assert [reply.status_code for reply in replies] == [200, 200, 200]
    played = [reply.json()["round"] for reply in replies]
    stake = Decimal(_bet(code)["stake"])
    expected = Decimal("100.00") - 3 * stake + sum(Decimal(r["payout"]) for r in played)
    assert replies[-1].json()["balance"] == str(expected)
    assert await cash_balance(player.api) == str(expected)
    history = await browser.client.get(f"/studio/history?session={browser.key}")
    assert history.status_code == 200
    assert history.text.count('class="mono round-seed"') == 3
    # The operator's ledger knows each bet under the studio's own provider code.
    provider = studio.STUDIO_GAMES[code].provider
    bets = await rows(
        db,
        "SELECT count(*) FROM casino_transactions WHERE provider = :provider"
        " AND player_id = :player",
        provider=provider,
        player=player.player_id,
    )
    assert bets[0][0] == 6  # 3 bets and 3 wins (a loss is a win of 0 that closes the round)
    # Every round's payout follows from the seed it keeps.
    for round_ in played:
        bet = round_["outcome"].get("bet")
        replayed = studio.replay(
            studio.STUDIO_GAMES[code], int(stake * 100), bet, round_["outcome"]["seed"]
        )
        assert Decimal(replayed) / 100 == Decimal(round_["payout"])


@pytest.mark.parametrize("code", ONE_OF_EACH)
async def test_demo_rounds_use_play_money_and_leave_the_wallet_alone(
    server: str, db: Database, player: Player, browser: GameBrowser, code: str
) -> None:
    before = await cash_balance(player.api)
    page = await browser.open(await _launch(db, player.player_id, code, GameMode.DEMO))
    assert page.status_code == 200
    assert "PLAY MONEY" in page.text

    reply = await browser.post("/studio/api/play", **_bet(code))

    assert reply.status_code == 200, reply.text
    stake = Decimal(_bet(code)["stake"])
    assert Decimal(reply.json()["balance"]) == (
        Decimal("1000.00") - stake + Decimal(reply.json()["round"]["payout"])
    )
    assert await cash_balance(player.api) == before
    # Play money never reaches the operator: no wallet call was made.
    calls = await rows(
        db, "SELECT count(*) FROM casino_transactions WHERE player_id = :player",
        player=player.player_id,
    )  # fmt: skip
    assert calls == [(0,)]


async def test_a_bet_the_game_does_not_offer_is_refused_and_moves_nothing(
    server: str, db: Database, player: Player, browser: GameBrowser
) -> None:
    await browser.open(await _launch(db, player.player_id, "velvetine-marble-wheel", GameMode.REAL))

    refused = [
        await browser.post("/studio/api/play", stake="0.50", bet="number-37"),
        await browser.post("/studio/api/play", stake="0.51", bet="red"),
        await browser.post("/studio/api/play", stake="0.50"),
    ]

    assert [reply.status_code for reply in refused] == [400, 400, 400]
    assert [reply.json()["error"]["field"] for reply in refused] == ["bet", "stake", "bet"]
    assert await cash_balance(player.api) == "100.00"


async def test_artwork_is_static_svg_cached_for_a_year(server: str, browser: GameBrowser) -> None:
    art = await browser.client.get(studio_art_url("quillmoor-004"))
    again = await browser.client.get(studio_art_url("quillmoor-004"))
    other = await browser.client.get(studio_art_url("quillmoor-005"))
    unknown = await browser.client.get("/studio/art/v1/not-a-game.svg")
    stale = await browser.client.get("/studio/art/v0/quillmoor-004.svg")

    assert art.status_code == 200
    assert art.headers["content-type"].startswith("image/svg+xml")
    assert art.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert art.content == again.content != other.content
    assert 'width="320" height="240"' in art.text
    assert f"<title>{studio.STUDIO_GAMES['quillmoor-004'].game.name}</title>" in art.text
    assert (unknown.status_code, stale.status_code) == (404, 404)
