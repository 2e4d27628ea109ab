"""Demo play never touches the ledger; bad, expired and foreign sessions are refused; the
pages may be framed by the brand only."""

from __future__ import annotations

import re
from decimal import Decimal

from domain.casino.models import GameMode
from domain.kernel.db import Database
from domain.originals import dice
from tests.support import NORTHSTAR
from tests.web.originals.conftest import GameBrowser, Player, cash_balance, launch_url, rows

LEDGER = (
    "SELECT (SELECT count(*) FROM ledger_transactions), (SELECT count(*) FROM casino_transactions)"
)


async def test_demo_rounds_use_play_money_and_never_touch_the_ledger(
    db: Database, player: Player, browser: GameBrowser
) -> None:
    before = await rows(db, LEDGER)
    page = await browser.open(
        await launch_url(db, player.player_id, "originals-dice", GameMode.DEMO)
    )
    assert page.status_code == 200
    assert "PLAY MONEY" in page.text
    assert "1000.00" in page.text

    replies = [await browser.play(stake="10.00", target="75.00") for _ in range(3)]

    rounds = [r.json()["round"] for r in replies]
    expected = Decimal("1000.00") - 30 + sum(Decimal(r["payout"]) for r in rounds)
    assert replies[-1].json()["balance"] == str(expected)
    assert await rows(db, "SELECT demo_balance_minor FROM originals_sessions") == [
        (int(expected * 100),)
    ]
    assert await rows(db, LEDGER) == before
    assert await cash_balance(player.api) == "100.00"
    revealed = (await browser.post("/originals/api/seeds")).json()["revealed"]
    assert [
        dice.verify(revealed["server_seed"], revealed["client_seed"], nonce) for nonce in range(3)
    ] == [r["outcome"]["roll"] for r in rounds]


async def test_anyone_can_try_the_slot_in_demo_without_an_account(
    db: Database, browser: GameBrowser
) -> None:
    before = await rows(db, LEDGER)
    page = await browser.open("/originals/launch?game=originals-slot&mode=demo&currency=EUR")

    spin = await browser.play(stake="5.00")

    assert page.status_code == 200
    assert spin.status_code == 200
    assert spin.json()["round"]["status"] == "settled"
    assert await rows(db, LEDGER) == before


async def test_bad_tokens_and_foreign_or_unknown_sessions_are_refused(
    server: str, db: Database, player: Player, browser: GameBrowser
) -> None:
    url = await launch_url(db, player.player_id, "originals-dice")
    forged = re.sub(r"token=[^&]+", "token=" + "x" * 43, url)
    other_user = re.sub(r"user=[^&]+", "user=00000000-0000-0000-0000-000000000000", url)

    assert (await browser.open(forged)).status_code == 403
    assert (await browser.open(other_user)).status_code == 403
    assert await rows(db, "SELECT count(*) FROM originals_sessions") == [(0,)]

    assert (await browser.open(url)).status_code == 200
    foreign = GameBrowser(server, NORTHSTAR)
    foreign.key = browser.key
    on_other_brand = await foreign.play(stake="1.00", target="50.00")
    await foreign.aclose()
    browser.key = "not-a-session-key"
    unknown = await browser.play(stake="1.00", target="50.00")
    unknown_page = await browser.client.get("/originals/play", params={"session": "nope"})

    assert on_other_brand.status_code == 401
    assert unknown.json()["error"]["code"] == "INVALID_SESSION"
    assert unknown_page.status_code == 401
    assert await rows(db, "SELECT count(*) FROM originals_rounds") == [(0,)]
    assert await cash_balance(player.api) == "100.00"


async def test_an_expired_operator_token_stops_real_money_bets(
    db: Database, player: Player, browser: GameBrowser
) -> None:
    await browser.open(await launch_url(db, player.player_id, "originals-slot"))
    await rows(db, "UPDATE casino_game_sessions SET expires_at = now() - interval '1 minute'")

    reply = await browser.play(stake="1.00")

    assert reply.status_code == 401
    assert reply.json()["error"]["code"] == "SESSION_EXPIRED"
    assert await cash_balance(player.api) == "100.00"
    assert await rows(db, "SELECT status FROM originals_rounds") == [("refused",)]


async def test_game_pages_may_be_framed_by_the_brand_only(browser: GameBrowser) -> None:
    page = await browser.open("/originals/launch?game=originals-dice&mode=demo&currency=EUR")
    elsewhere = await browser.client.get("/livez")

    csp = page.headers["content-security-policy"]
    nonce = re.search(r"'nonce-([^']+)'", csp).group(1)  # type: ignore[union-attr]
    ancestors = csp.split("frame-ancestors ")[1].split(";")[0].split()
    assert ancestors[0] == "'self'"
    assert "https://aurora.localhost" in ancestors
    assert not any("northstar" in source for source in ancestors)
    assert page.headers["x-frame-options"] == "SAMEORIGIN"
    assert page.headers["referrer-policy"] == "no-referrer"
    assert f'<script nonce="{nonce}">' in page.text
    assert "default-src 'none'" in csp
    assert elsewhere.headers["x-frame-options"] == "DENY"
