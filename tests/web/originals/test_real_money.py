"""Real-money rounds: the game page plays over the operator's seamless-wallet API, and the
player sees the result in GraphQL and in `balanceChanged`."""

from __future__ import annotations

import hashlib
from decimal import Decimal
from typing import Any

from domain.kernel.db import Database
from domain.originals import dice
from tests.schema.wallets.support import BALANCE_CHANGED, next_message, subscribe, wait_until_live
from tests.support import AURORA
from tests.web.originals.conftest import (
    GameBrowser,
    Player,
    cash_balance,
    funded_player,
    launch_url,
    rows,
)


def _cash_in(message: dict[str, Any]) -> str | None:
    if message.get("type") != "next" or not message["payload"].get("data"):
        return None
    for change in message["payload"]["data"]["balanceChanged"]["changes"]:
        if change["wallet"]["kind"] == "CASH":
            return str(change["wallet"]["balance"]["amount"])
    return None


async def _pushed_cash_until(socket: Any, expected: str, timeout_s: float = 5) -> list[str]:
    seen: list[str] = []
    while expected not in seen:
        message = await next_message(socket, timeout_s)
        assert message is not None, f"no balanceChanged to {expected}; saw {seen}"
        if (cash := _cash_in(message)) is not None:
            seen.append(cash)
    return seen


async def test_dice_rounds_move_real_money_and_verify_after_rotation(
    server: str, db: Database, player: Player, browser: GameBrowser
) -> None:
    socket = await subscribe(server, AURORA, player.api.token, BALANCE_CHANGED)
    await wait_until_live(socket, db, player.player_id)
    page = await browser.open(await launch_url(db, player.player_id, "originals-dice"))
    assert page.status_code == 200
    assert "100.00" in page.text
    shown_hash = page.text.split('id="seed-hash">')[1].split("<")[0]

    replies = [await browser.play(stake="1.00", target="50.00") for _ in range(3)]

    assert [r.status_code for r in replies] == [200, 200, 200]
    rounds = [r.json()["round"] for r in replies]
    expected = Decimal("100.00") - 3 + sum(Decimal(r["payout"]) for r in rounds)
    assert replies[-1].json()["balance"] == str(expected)
    assert [r["status"] for r in rounds] == ["settled"] * 3
    assert await cash_balance(player.api) == str(expected)
    pushed = await _pushed_cash_until(socket, str(expected))
    assert pushed[0] == "99.00"  # the first stake
    await socket.close()
    # The operator recorded three closed rounds of the Originals dice.
    assert await rows(
        db, "SELECT count(*), sum(bet_minor), sum(win_minor) FROM casino_rounds "
        "WHERE provider = 'stakehouse-originals' AND status = 'closed'",
    ) == [(3, 300, sum(int(Decimal(r["payout"]) * 100) for r in rounds))]  # fmt: skip

    rotated = (await browser.post("/originals/api/seeds", client_seed="my-own-seed")).json()

    revealed = rotated["revealed"]
    assert revealed["server_seed_hash"] == shown_hash
    assert hashlib.sha256(revealed["server_seed"].encode()).hexdigest() == shown_hash
    assert revealed["nonces_used"] == 3
    assert rotated["seed"]["client_seed"] == "my-own-seed"
    for nonce, played in enumerate(rounds):
        outcome = played["outcome"]
        assert outcome["nonce"] == nonce
        assert (
            dice.verify(revealed["server_seed"], revealed["client_seed"], nonce) == outcome["roll"]
        )
        assert Decimal(played["payout"]) == (Decimal("1.98") if outcome["roll"] < 5000 else 0)
    verified = await browser.client.get(
        "/originals/dice/verify",
        params={
            "server_seed": revealed["server_seed"],
            "client_seed": revealed["client_seed"],
            "nonce": 2,
        },
    )
    assert dice.format_roll(rounds[2]["outcome"]["roll"]) in verified.text
    history = await browser.client.get("/originals/history", params={"session": browser.key})
    assert history.text.count(revealed["server_seed"]) >= 3


async def test_slot_spins_move_real_money(
    db: Database, player: Player, browser: GameBrowser
) -> None:
    page = await browser.open(await launch_url(db, player.player_id, "originals-slot"))
    assert page.status_code == 200
    assert "96.09 %" in page.text

    replies = [await browser.play(stake="0.50") for _ in range(4)]

    assert [r.status_code for r in replies] == [200] * 4
    rounds = [r.json()["round"] for r in replies]
    expected = Decimal("100.00") - 2 + sum(Decimal(r["payout"]) for r in rounds)
    assert await cash_balance(player.api) == str(expected)
    assert replies[-1].json()["balance"] == str(expected)
    for played in rounds:
        lines = sum(win["pays"] for win in played["outcome"]["wins"])
        assert Decimal(played["payout"]) == Decimal("0.10") * lines
    assert await rows(db, "SELECT status, count(*) FROM originals_rounds GROUP BY status") == [
        ("settled", 4)
    ]
    history = await browser.client.get("/originals/history", params={"session": browser.key})
    assert history.status_code == 200
    assert history.text.count('class="round"') == 4


async def test_the_operator_refuses_a_stake_above_the_balance(
    server: str, db: Database, browser: GameBrowser
) -> None:
    poor = await funded_player(server, db, cash_minor=50)
    await browser.open(await launch_url(db, poor.player_id, "originals-dice"))

    reply = await browser.play(stake="1.00", target="50.00")
    over_limit = await browser.play(stake="0.10", target="99.00")

    assert reply.status_code == 402
    assert reply.json()["error"] | {"message": None} == {
        "code": "NOT_ENOUGH_MONEY", "message": None, "balance": "0.50",
    }  # fmt: skip
    assert over_limit.status_code == 400
    assert over_limit.json()["error"]["field"] == "target"
    assert await cash_balance(poor.api) == "0.50"
    assert await rows(db, "SELECT status FROM originals_rounds") == [("refused",)]
    await poor.api.aclose()
