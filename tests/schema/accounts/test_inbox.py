"""The welcome job as a player sees it: register over GraphQL, and the message the worker
delivered through the real broker shows in `viewer.player.inbox`."""

from __future__ import annotations

from typing import Any

from tests.support import Api
from tests.workers import eventually, flushed_broker, running_worker  # noqa: F401 (fixture)
from workers.actors import messaging

INBOX = "{ viewer { player { inbox { kind subject readAt } } } }"


async def test_a_new_player_finds_the_welcome_message(northstar: Api) -> None:
    await northstar.register(username="sven", country="SE", currency="SEK")
    await northstar.login("sven")
    inbox: list[dict[str, Any]] = []

    async def delivered() -> bool:
        nonlocal inbox
        inbox = (await northstar.query(INBOX)).data["viewer"]["player"]["inbox"]
        return bool(inbox)

    # The API process's relay publishes the outbox row; a real worker consumes it.
    async with running_worker(messaging.QUEUE):
        await eventually(delivered)

    assert inbox == [
        {"kind": "welcome", "subject": "Välkommen till Northstar Sports", "readAt": None}
    ]
