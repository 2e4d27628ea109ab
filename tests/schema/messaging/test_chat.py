"""Support chat over GraphQL: a player writes, an agent of the brand sees the conversation
waiting in the queue with the player's context, takes it and replies, and each side gets the
other's message over its subscription without asking; an agent of another brand sees
nothing of it and cannot act on it."""

from __future__ import annotations

import json
import uuid
from typing import Any

from domain.kernel.db import Database
from tests.schema.accounts.test_staff import signed_in_staff
from tests.schema.sportsbook.support import next_raw, subscribe
from tests.support import AURORA, NORTHSTAR, Api

SEND = """
mutation Send($input: SendSupportMessageInput!) {
  sendSupportMessage(input: $input) {
    conversation { id status } message { body fromSupport } errors { code field }
  }
}
"""
MINE = """
{ mySupportConversation { id status messages { body fromSupport } } }
"""
QUEUE = """
{ supportQueue { id status takenByMe player { email status country }
  cannedReplies { title } messages { body } } }
"""
TAKE = """
mutation Take($input: SupportConversationInput!) {
  takeSupportConversation(input: $input) { conversation { id status takenByMe } errors { code } }
}
"""
REPLY = """
mutation Reply($input: ReplyToSupportConversationInput!) {
  replyToSupportConversation(input: $input) { message { body fromSupport } errors { code } }
}
"""
PLAYER_FEED = (
    "subscription { mySupportConversationChanged { status message { body fromSupport } } }"
)
STAFF_FEED = "subscription { supportQueueChanged { conversationId status message { body } } }"


async def _next(socket: Any) -> dict[str, Any]:
    raw = await next_raw(socket, 5)
    assert raw is not None, "no update within 5 s"
    message = json.loads(raw)
    assert message["type"] == "next", message
    return message["payload"]["data"]  # type: ignore[no-any-return]


async def player(server: str) -> tuple[Api, str]:
    api = Api(server, AURORA)
    email = f"chat-{uuid.uuid4().hex[:8]}@example.com"
    assert (await api.register(email=email))["errors"] == []
    await api.login(email)
    return api, email


async def test_a_player_and_an_agent_chat_and_each_sees_the_others_message_live(
    server: str, db: Database
) -> None:
    customer, email = await player(server)
    agent = await signed_in_staff(
        Api(server, AURORA), db, f"agent-{uuid.uuid4().hex[:6]}@op.example", ["support"], ["aurora"]
    )
    staff_feed = await subscribe(server, AURORA, agent.token, STAFF_FEED, {})
    player_feed = await subscribe(server, AURORA, customer.token, PLAYER_FEED, {})

    sent = (await customer.query(SEND, {"input": {"body": "  Where is my withdrawal?  "}})).data
    conversation = sent["sendSupportMessage"]["conversation"]
    assert sent["sendSupportMessage"]["errors"] == []
    assert conversation["status"] == "WAITING"
    # The player's own message reaches their other tabs too.
    assert (await _next(player_feed))["mySupportConversationChanged"] == {
        "status": "WAITING",
        "message": {"body": "Where is my withdrawal?", "fromSupport": False},
    }
    seen = await _next(staff_feed)
    assert seen["supportQueueChanged"] == {
        "conversationId": conversation["id"],
        "status": "WAITING",
        "message": {"body": "Where is my withdrawal?"},
    }

    queue = (await agent.query(QUEUE)).data["supportQueue"]
    waiting = next(c for c in queue if c["id"] == conversation["id"])
    assert waiting["player"] == {"email": email, "status": "active", "country": "MT"}
    assert waiting["takenByMe"] is False and waiting["cannedReplies"]
    assert waiting["messages"] == [{"body": "Where is my withdrawal?"}]

    taken = (await agent.query(TAKE, {"input": {"conversationId": conversation["id"]}})).data
    assert taken["takeSupportConversation"]["conversation"]["takenByMe"] is True
    assert (await _next(player_feed))["mySupportConversationChanged"] == {
        "status": "TAKEN",
        "message": None,
    }
    replied = await agent.query(
        REPLY, {"input": {"conversationId": conversation["id"], "body": "Let me check."}}
    )
    assert replied.data["replyToSupportConversation"]["errors"] == []
    assert (await _next(player_feed))["mySupportConversationChanged"] == {
        "status": "TAKEN",
        "message": {"body": "Let me check.", "fromSupport": True},
    }

    # The transcript, kept per player and brand.
    mine = (await customer.query(MINE)).data["mySupportConversation"]
    assert mine["messages"] == [
        {"body": "Where is my withdrawal?", "fromSupport": False},
        {"body": "Let me check.", "fromSupport": True},
    ]
    for socket in (staff_feed, player_feed):
        await socket.close()
    await customer.aclose()
    await agent.aclose()


async def test_an_agent_of_another_brand_sees_nothing_of_the_chat_and_cannot_act_on_it(
    server: str, db: Database
) -> None:
    customer, _ = await player(server)
    sent = (await customer.query(SEND, {"input": {"body": "Hello?"}})).data
    conversation_id = sent["sendSupportMessage"]["conversation"]["id"]
    other = await signed_in_staff(
        Api(server, NORTHSTAR),
        db,
        f"agent-{uuid.uuid4().hex[:6]}@op.example",
        ["support"],
        ["northstar"],
    )
    feed = await subscribe(server, NORTHSTAR, other.token, STAFF_FEED, {})

    queue = (await other.query(QUEUE)).data["supportQueue"]
    assert conversation_id not in [c["id"] for c in queue]
    take = (await other.query(TAKE, {"input": {"conversationId": conversation_id}})).data
    assert take["takeSupportConversation"]["errors"] == [{"code": "CONVERSATION_NOT_FOUND"}]
    reply = await other.query(REPLY, {"input": {"conversationId": conversation_id, "body": "hi"}})
    assert reply.data["replyToSupportConversation"]["errors"] == [
        {"code": "CONVERSATION_NOT_FOUND"}
    ]
    await customer.query(SEND, {"input": {"body": "Anyone there?"}})
    assert await next_raw(feed, 1.5) is None  # aurora's chat never reaches northstar's agent

    # A player is no agent.
    refused = await customer.query(QUEUE)
    assert refused.body["errors"][0]["extensions"]["code"] == "PERMISSION_DENIED"
    await feed.close()
    await customer.aclose()
    await other.aclose()


INBOX = "query { viewer { player { inbox { subject body } } } }"


async def test_supports_replies_reach_the_players_inbox_once_per_burst(
    server: str, db: Database
) -> None:
    customer, _ = await player(server)
    agent = await signed_in_staff(
        Api(server, AURORA), db, f"agent-{uuid.uuid4().hex[:6]}@op.example", ["support"], ["aurora"]
    )
    sent = (await customer.query(SEND, {"input": {"body": "Hello?"}})).data
    conversation_id = sent["sendSupportMessage"]["conversation"]["id"]

    async def reply(body: str) -> None:
        replied = await agent.query(
            REPLY, {"input": {"conversationId": conversation_id, "body": body}}
        )
        assert replied.data["replyToSupportConversation"]["errors"] == []

    async def notices() -> list[dict[str, str]]:
        inbox = (await customer.query(INBOX)).data["viewer"]["player"]["inbox"]
        return [message for message in inbox if message["subject"] == "Support replied"]

    await reply("Hi!")
    await reply("Let me check your account.")
    after_one_burst = await notices()
    await customer.query(SEND, {"input": {"body": "Thanks, any news?"}})
    await reply("Yes: it is paid.")

    assert after_one_burst == [
        {
            "subject": "Support replied",
            "body": "Support answered your message. Open Support to read it.",
        }
    ]
    assert len(await notices()) == 2
    await customer.aclose()
    await agent.aclose()
