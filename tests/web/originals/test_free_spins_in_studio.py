"""Free spins end to end in dev: CRM grant free spins on the Originals slot over GraphQL,
the studio receives them through its free-rounds API, and the player's next spins in the
game page are those free rounds (no money staked), their wins paid to cash by the bonus
engine; after the last free spin the game stakes the player's money again."""

from __future__ import annotations

from decimal import Decimal

from strawberry.relay import to_base64

from domain.casino.catalog import ORIGINALS
from domain.kernel.db import Database
from tests.web.bonuses.support import create_offer, crm
from tests.web.originals.conftest import GameBrowser, Player, cash_balance, launch_url, rows

SLOT = "originals-slot"
GRANT = """mutation($i: GrantFreeSpinsInput!) { grantFreeSpins(input: $i) {
  freeSpins { id state } errors { code } } }"""
MINE = "{ myFreeSpins { state roundsUsed roundsLeft won { amount } } }"


async def test_granted_free_spins_are_played_in_the_studio_game(
    server: str, db: Database, player: Player, browser: GameBrowser
) -> None:
    staff = await crm(server, db)
    offer = await create_offer(
        staff,
        code="STUDIO3",
        kind="FREE_SPINS",
        name="Three studio spins",
        terms={
            "freeSpins": 3,
            "freeSpinStake": "0.50",
            "freeSpinsProvider": ORIGINALS.code,
            "freeSpinGames": [SLOT],
        },
    )
    granted = (
        await staff.query(
            GRANT,
            {
                "i": {
                    "offerId": offer["id"],
                    "playerId": to_base64("Player", str(player.player_id)),
                    "reason": "Studio launch",
                }
            },
        )
    ).data["grantFreeSpins"]
    assert (granted["errors"], granted["freeSpins"]["state"]) == ([], "ACTIVE")
    page = await browser.open(await launch_url(db, player.player_id, SLOT))
    assert page.status_code == 200

    replies = [await browser.play(stake="1.00") for _ in range(4)]

    assert [r.status_code for r in replies] == [200] * 4
    rounds = [r.json()["round"] for r in replies]
    free_won = sum(Decimal(r["payout"]) for r in rounds[:3])
    expected = Decimal("100.00") + free_won - Decimal("1.00") + Decimal(rounds[3]["payout"])
    assert replies[-1].json()["balance"] == str(expected)
    assert await cash_balance(player.api) == str(expected)
    mine = (await player.api.query(MINE)).data["myFreeSpins"]
    assert mine == [
        {
            "state": "COMPLETED",
            "roundsUsed": 3,
            "roundsLeft": 0,
            "won": {"amount": f"{free_won:.2f}"},
        }
    ]
    # The operator saw three free bets (stakes of nobody's money) and one real one.
    assert await rows(
        db,
        "SELECT reward_uuid IS NOT NULL, count(*), sum(amount_minor) FROM casino_transactions "
        "WHERE player_id = :p AND kind = 'bet' GROUP BY 1 ORDER BY 1",
        p=player.player_id,
    ) == [(False, 1, 100), (True, 3, 150)]
