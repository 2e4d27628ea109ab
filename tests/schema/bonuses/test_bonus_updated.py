"""`bonusUpdated` over graphql-transport-ws: a stake's committed wagering progress reaches
the player's socket (what the account page's progress bar follows), and nobody else's; a
bonus that ends with no money left to move (all of it lost) reaches it too."""

from __future__ import annotations

from typing import Any

from domain.brands.service import BrandRegistry
from domain.kernel.db import Database
from domain.wallets.models import WalletKind
from tests.schema.wallets.support import next_message, spend, subscribe, wait_until_live
from tests.web.bonuses.support import (
    CLAIM,
    FORFEIT,
    SLOT,
    create_offer,
    crm,
    depositing_player,
    sessions,
)

BONUS_UPDATED = (
    "subscription { bonusUpdated { state wagered { amountMinorUnits } progressBasisPoints } }"
)


async def _next_grants(socket: Any) -> list[dict[str, Any]]:
    for _ in range(10):
        message = await next_message(socket, 5.0)
        assert message is not None, "no update arrived"
        assert message["type"] == "next", message
        grants = message["payload"]["data"]["bonusUpdated"]
        if grants and grants[0]["wagered"]["amountMinorUnits"] != "0":
            return list(grants)
    raise AssertionError("progress never moved")


async def test_a_stake_moves_the_progress_on_the_players_socket(
    server: str, db: Database, registry: BrandRegistry
) -> None:
    staff = await crm(server, db)
    await create_offer(staff)
    player, player_id = await depositing_player(server)
    assert (await player.query(CLAIM, {"i": {"code": "WELCOME"}})).data["claimBonus"][
        "errors"
    ] == []
    other, other_id = await depositing_player(server)
    slot = (await sessions(server, db, registry, player_id))[SLOT]
    socket = await subscribe(server, "aurora.localhost", player.token, BONUS_UPDATED)
    await wait_until_live(socket, db, player_id)
    others = await subscribe(server, "aurora.localhost", other.token, BONUS_UPDATED)
    await wait_until_live(others, db, other_id)

    assert (await slot.bet("live-1", 500, "r-live", round_closed=True)).status == "RS_OK"

    grants = await _next_grants(socket)
    assert grants == [
        {"state": "ACTIVE", "wagered": {"amountMinorUnits": "500"}, "progressBasisPoints": 14}
    ]
    assert await next_message(others, 0.5) is None
    for closing in (socket, others):
        await closing.close()
    await slot.aclose()


async def test_a_bonus_ending_with_nothing_left_to_move_still_reaches_the_socket(
    server: str, db: Database
) -> None:
    staff = await crm(server, db)
    await create_offer(staff)
    player, player_id = await depositing_player(server)
    claimed = (await player.query(CLAIM, {"i": {"code": "WELCOME"}})).data["claimBonus"]
    assert claimed["errors"] == []
    # All of the bonus money lost: forfeiting moves no money, so no balance change is sent.
    await spend(db, player_id, 100_00, wallet=WalletKind.BONUS)
    socket = await subscribe(server, "aurora.localhost", player.token, BONUS_UPDATED)
    await wait_until_live(socket, db, player_id)

    forfeited = await player.query(FORFEIT, {"i": {"grantId": claimed["grant"]["id"]}})
    states = []
    while states != ["FORFEITED"] and (message := await next_message(socket, 5.0)) is not None:
        # (A late warm-up change may come first, still showing the bonus active.)
        assert message["type"] == "next", message
        states = [grant["state"] for grant in message["payload"]["data"]["bonusUpdated"]]

    assert forfeited.data["forfeitBonus"]["errors"] == []
    assert forfeited.data["forfeitBonus"]["grant"]["forfeited"] == {"amountMinorUnits": "0"}
    assert states == ["FORFEITED"]
    await socket.close()
