"""The inbox over GraphQL: unread count, mark read, delete, and the live `inboxChanged`
subscription (through the outbox relay and pub/sub of the real server)."""

from __future__ import annotations

import json
import uuid
from typing import Any

from sqlalchemy import select

from domain.accounts.models import Player
from domain.kernel.db import Database
from domain.messaging.models import InboxMessage
from tests.schema.accounts.test_subscriptions import _connect, _next
from tests.support import Api

INBOX = "{ viewer { player { unreadInboxCount inbox { id subject readAt } } } }"
MARK_READ = """
mutation Read($id: ID!) {
  markInboxMessageRead(input: { messageId: $id }) {
    message { id readAt } errors { code field message }
  }
}
"""
DELETE = """
mutation Delete($id: ID!) {
  deleteInboxMessage(input: { messageId: $id }) { deleted errors { code field message } }
}
"""
SUBSCRIBE = "subscription { inboxChanged { unreadCount } }"


async def player_with_messages(db: Database, api: Api, count: int) -> str:
    email = f"{uuid.uuid4().hex[:10]}@example.com"
    assert (await api.register(email=email))["errors"] == []
    await api.login(email)
    async with db.transaction() as uow:
        player = await uow.session.scalar(select(Player).where(Player.email == email))
        assert player is not None
        for number in range(count):
            uow.session.add(
                InboxMessage(
                    brand=player.brand,
                    player_id=player.id,
                    kind="notice",
                    subject=f"Message {number}",
                    body="Hello",
                )
            )
    return email


async def inbox(api: Api) -> dict[str, Any]:
    return dict((await api.query(INBOX)).data["viewer"]["player"])


async def test_reading_and_deleting_messages_moves_the_unread_count(
    aurora: Api, db: Database
) -> None:
    await player_with_messages(db, aurora, 3)
    before = await inbox(aurora)
    first, second = before["inbox"][0]["id"], before["inbox"][1]["id"]

    read = await aurora.query(MARK_READ, {"id": first})
    read_again = await aurora.query(MARK_READ, {"id": first})
    deleted = await aurora.query(DELETE, {"id": second})
    deleted_again = await aurora.query(DELETE, {"id": second})

    assert before["unreadInboxCount"] == 3
    payload = read.data["markInboxMessageRead"]
    assert payload["errors"] == [] and payload["message"]["readAt"] is not None
    assert read_again.data["markInboxMessageRead"]["message"] == payload["message"]
    assert deleted.data["deleteInboxMessage"] == {"deleted": True, "errors": []}
    assert deleted_again.data["deleteInboxMessage"]["errors"][0]["code"] == (
        "INBOX_MESSAGE_NOT_FOUND"
    )
    after = await inbox(aurora)
    assert after["unreadInboxCount"] == 1
    assert [message["id"] for message in after["inbox"]] == [
        message["id"] for message in before["inbox"] if message["id"] != second
    ]


async def test_another_players_message_cannot_be_touched(
    aurora: Api, server: str, db: Database
) -> None:
    await player_with_messages(db, aurora, 1)
    (mine,) = (await inbox(aurora))["inbox"]
    other = Api(server, aurora.host)
    await player_with_messages(db, other, 0)
    anonymous = Api(server, aurora.host)

    for api in (other, anonymous):
        read = await api.query(MARK_READ, {"id": mine["id"]})
        deleted = await api.query(DELETE, {"id": mine["id"]})
        codes = {
            read.data["markInboxMessageRead"]["errors"][0]["code"],
            deleted.data["deleteInboxMessage"]["errors"][0]["code"],
        }
        assert codes <= {"INBOX_MESSAGE_NOT_FOUND", "NOT_AUTHENTICATED"}
    malformed = await aurora.query(MARK_READ, {"id": "not-an-id"})
    assert malformed.data["markInboxMessageRead"]["errors"][0]["code"] == (
        "INBOX_MESSAGE_NOT_FOUND"
    )
    assert await inbox(aurora) == {"unreadInboxCount": 1, "inbox": [mine]}
    await other.aclose()
    await anonymous.aclose()


async def test_the_unread_count_is_pushed_to_the_subscriber(
    aurora: Api, server: str, db: Database
) -> None:
    await player_with_messages(db, aurora, 20)
    messages = (await inbox(aurora))["inbox"]
    socket = await _connect(server, aurora.host)
    await socket.send(
        json.dumps(
            {"type": "connection_init", "payload": {"authorization": f"Bearer {aurora.token}"}}
        )
    )
    assert json.loads(await socket.recv())["type"] == "connection_ack"
    await socket.send(json.dumps({"id": "1", "type": "subscribe", "payload": {"query": SUBSCRIBE}}))

    # The subscription becomes live asynchronously: read messages until an event arrives
    # (bounded); from then on each change arrives, in order.
    first = None
    read = 0
    while first is None and read < 10:
        await aurora.query(MARK_READ, {"id": messages[read]["id"]})
        read += 1
        first = await _next(socket, 0.5)
    assert first is not None, "no inboxChanged message arrived"
    await aurora.query(DELETE, {"id": messages[read]["id"]})
    following = await _next(socket, 5)

    assert following is not None
    assert following["payload"]["data"]["inboxChanged"] == {"unreadCount": 20 - read - 1}
    await socket.close()
