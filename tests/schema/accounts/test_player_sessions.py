"""Staff with player.read see a player's live sessions (not revoked ones), the players of a
page in one statement; revoking them empties the list; nobody else sees any."""

from __future__ import annotations

from domain.brands.service import BrandRegistry
from domain.kernel.db import Database
from tests.schema.accounts.test_player_list_queries import statements_on
from tests.schema.accounts.test_staff import signed_in_staff
from tests.support import AURORA, Api

SESSIONS = """query($s: String!) {
  players(search: $s) { email sessions { id transport createdAt lastSeenAt current } } }"""
REVOKE = """mutation($i: RevokePlayerSessionsInput!) {
  revokePlayerSessions(input: $i) { errors { code } } }"""


async def _signed_in(server: str, email: str, times: int) -> str:
    first = Api(server, AURORA)
    registered = await first.register(email=email)
    for _ in range(times):
        await Api(server, AURORA).login(email)
    return registered["player"]["id"]


async def test_support_sees_live_sessions_of_a_page_of_players_in_one_statement(
    server: str, db: Database, registry: BrandRegistry
) -> None:
    one = await _signed_in(server, "sess-one@example.com", 2)
    await _signed_in(server, "sess-two@example.com", 1)
    support = await signed_in_staff(Api(server, AURORA), db, "sess-sup@op.example", ["support"])
    crm_without = await signed_in_staff(Api(server, AURORA), db, "sess-trd@op.example", ["trader"])

    with statements_on("auth_sessions") as statements:
        page = (await support.query(SESSIONS, {"s": "sess-"})).data["players"]
    by_email = {player["email"]: player["sessions"] for player in page}
    revoked = await support.query(REVOKE, {"i": {"playerId": one}})
    after = (await support.query(SESSIONS, {"s": "sess-one"})).data["players"]
    stranger = await crm_without.query(SESSIONS, {"s": "sess-"})

    assert {email: len(found) for email, found in by_email.items()} == {
        "sess-one@example.com": 2,
        "sess-two@example.com": 1,
    }
    # The staff member's own session lookup, then one statement for both players' sessions.
    assert len([s for s in statements if "auth_sessions.player_id IN" in s]) == 1
    assert all(not session["current"] for found in by_email.values() for session in found)
    assert revoked.data["revokePlayerSessions"]["errors"] == []
    assert after[0]["sessions"] == []
    assert "errors" in stranger.body
