"""Self-exclusion reaches the person on every brand, from outside: one human registered on
aurora and northstar (same e-mail and date of birth) excludes themself on aurora; on
northstar their socket closes, sign-in, deposit, a bet and the casino callback are refused."""

from __future__ import annotations

import asyncio
import json
import uuid
from typing import Any

from sqlalchemy import text

from domain.casino.catalog import ORIGINALS, seed_demo_catalog
from domain.casino.service import launch
from domain.kernel.db import Database
from tests.schema.accounts.test_subscriptions import SUBSCRIBE, _connect
from tests.support import Api
from tests.web.provider_simulator import ProviderSimulator

SELF_EXCLUDE = """mutation($p: SelfExclusionPeriod!) {
  selfExclude(input: {period: $p, confirm: true}) { excluded excludedUntil errors { code } }
}"""
DEPOSIT = """mutation($k: String!) {
  deposit(input: {amount: {amount: "10", currency: "SEK"}, idempotencyKey: $k}) {
    payment { id } errors { code }
  }
}"""


async def _player_id(db: Database, brand: str, email: str) -> uuid.UUID:
    async with db.uow() as uow:
        found = await uow.session.scalar(
            text("SELECT id FROM players WHERE brand = :b AND email = :e"), {"b": brand, "e": email}
        )
    assert found is not None
    return uuid.UUID(str(found))


async def _subscribed(server: str, api: Api) -> Any:
    socket = await _connect(server, api.host)
    init = {"type": "connection_init", "payload": {"authorization": f"Bearer {api.token}"}}
    await socket.send(json.dumps(init))
    assert json.loads(await socket.recv())["type"] == "connection_ack"
    await socket.send(json.dumps({"id": "1", "type": "subscribe", "payload": {"query": SUBSCRIBE}}))
    return socket


async def _messages_until_complete(socket: Any, timeout_s: float) -> list[dict[str, Any]]:
    messages: list[dict[str, Any]] = []
    async with asyncio.timeout(timeout_s):
        while True:
            message = json.loads(await socket.recv())
            messages.append(message)
            if message["type"] == "complete":
                return messages


async def test_a_person_excluded_elsewhere_who_registers_on_a_new_brand_is_excluded_there(
    db: Database, aurora: Api, northstar: Api
) -> None:
    email = f"{uuid.uuid4().hex[:10]}@example.com"
    await aurora.register(email=email, dateOfBirth="1985-07-09")
    await aurora.login(email)
    await aurora.query(SELF_EXCLUDE, {"p": "ONE_YEAR"})

    registered = await northstar.register(
        email=email, dateOfBirth="1985-07-09", country="SE", currency="SEK", locale="sv"
    )
    other_person = await northstar.register(
        email=email.replace("@", "+x@"), dateOfBirth="1985-07-09", country="SE",
        currency="SEK", locale="sv",
    )  # fmt: skip

    assert registered["player"]["status"] == "SELF_EXCLUDED"
    assert other_person["player"]["status"] == "ACTIVE"
    refused = await northstar.login(email)
    assert [e["code"] for e in refused["errors"]] == ["SELF_EXCLUDED"]


async def test_excluded_on_aurora_the_person_is_refused_everything_on_northstar(
    server: str, db: Database, aurora: Api, northstar: Api
) -> None:
    email = f"{uuid.uuid4().hex[:10]}@example.com"
    await aurora.register(email=email, dateOfBirth="1991-03-02")
    await northstar.register(
        email=email, dateOfBirth="1991-03-02", country="SE", currency="SEK", locale="sv"
    )
    await aurora.login(email)
    await northstar.login(email)
    elsewhere = northstar.token
    player_id = await _player_id(db, "northstar", email)
    async with db.transaction() as uow:
        await seed_demo_catalog(uow, ["northstar"])
        game = await launch(
            uow, brand="northstar", player_id=player_id, provider=ORIGINALS.code,
            game_code="originals-dice",
        )  # fmt: skip
    socket = await _subscribed(server, northstar)
    await asyncio.sleep(0.3)  # the subscription listens once its first step has run

    excluded = (await aurora.query(SELF_EXCLUDE, {"p": "SIX_MONTHS"})).data["selfExclude"]
    closing = await _messages_until_complete(socket, 5)

    assert excluded["excluded"] is True and excluded["errors"] == []
    # The stream tells the socket its own session ended, then completes.
    assert [m["type"] for m in closing] == ["next", "complete"]
    assert closing[0]["payload"]["data"]["sessionEvents"]["current"] is True
    again = Api(server, northstar.host)
    refused = await again.login(email)
    assert (refused["token"], [e["code"] for e in refused["errors"]]) == (None, ["SELF_EXCLUDED"])
    await again.aclose()
    northstar.token = elsewhere
    deposit = (await northstar.query(DEPOSIT, {"k": uuid.uuid4().hex})).data["deposit"]
    assert deposit["payment"] is None
    assert [e["code"] for e in deposit["errors"]] == ["NOT_AUTHENTICATED"]
    provider = ProviderSimulator(
        server, game.token, str(player_id), currency="SEK", host=northstar.host
    )
    try:
        bet = await provider.bet("after-exclusion", 100)
    finally:
        await provider.aclose()
    assert bet.status == "RS_ERROR_USER_DISABLED"
    async with db.uow() as uow:
        statuses = (
            await uow.session.execute(
                text("SELECT brand, status FROM players WHERE email = :e ORDER BY brand"),
                {"e": email},
            )
        ).all()
        events = await uow.session.scalar(
            text(
                "SELECT count(*) FROM outbox_events WHERE topic = 'compliance.player_self_excluded'"
                " AND payload ->> 'person_id' = (SELECT person_id::text FROM person_links"
                " WHERE player_id = :p)"
            ),
            {"p": player_id},
        )
    assert [tuple(row) for row in statuses] == [
        ("aurora", "self_excluded"),
        ("northstar", "self_excluded"),
    ]
    assert events == 2
