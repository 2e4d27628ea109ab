"""`balanceChanged` over graphql-transport-ws, end to end and across API processes:
ledger posting -> outbox row (same transaction) -> a relay -> PostgreSQL NOTIFY -> the
event hub of the process holding the socket -> the client. Never before commit."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
import websockets
from strawberry.relay import from_base64
from websockets.exceptions import ConnectionClosed

from domain.kernel.db import Database
from domain.wallets.models import HouseAccountKind, WalletKind
from domain.wallets.service import house_account_id, transfer, wallet_id
from tests.schema.wallets.support import (
    BALANCE_CHANGED,
    PROTOCOL,
    changed_transaction,
    fund,
    ledger_id,
    messages_until,
    next_message,
    player_global_id,
    signed_in_player,
    signed_in_staff,
    subscribe,
    wait_until_live,
)
from tests.support import AURORA, NORTHSTAR

ADJUST = """mutation($i: AdjustBalanceInput!) {
  adjustBalance(input: $i) { transactionId errors { code } } }"""
# How long the test listens for a message that must not come. The marker transaction
# below already proves the pipeline ran past the held one; this only widens the window.
QUIET_S = 0.3


def _change(message: dict[str, Any]) -> dict[str, Any]:
    return dict(message["payload"]["data"]["balanceChanged"])


async def test_a_deposit_reaches_another_process_only_after_its_commit(
    server: str, second_server: str, db: Database
) -> None:
    player, player_id = await signed_in_player(server, AURORA, "rex@example.com")
    socket = await subscribe(second_server, AURORA, player.token, BALANCE_CHANGED)
    await wait_until_live(socket, db, player_id)

    async with db.uow() as held:
        cash = await wallet_id(held, "aurora", player_id, WalletKind.CASH, "EUR")
        clearing = await house_account_id(held, "aurora", HouseAccountKind.PSP_CLEARING, "EUR")
        deposit = await transfer(
            held, brand="aurora", kind="deposit", source=clearing, destination=cash,
            amount_minor=1_000, scope=None, key=None,
        )  # fmt: skip
        # A transaction committed after the held one (on another wallet, so it does not
        # wait for the held row lock) is delivered while the held one is not.
        marker = await fund(db, player_id, 7, wallet=WalletKind.BONUS, kind="bonus_grant")
        before_commit = await messages_until(socket, marker.transaction_id)
        quiet = await next_message(socket, QUIET_S)
        await held.commit()
    after_commit = await messages_until(socket, deposit.transaction_id)

    assert ledger_id(deposit.transaction_id) not in map(changed_transaction, before_commit)
    assert quiet is None or changed_transaction(quiet) != ledger_id(deposit.transaction_id)
    assert _change(after_commit[-1]) == {
        "transactionId": ledger_id(deposit.transaction_id),
        "kind": "deposit",
        "changes": [
            {
                "wallet": {"kind": "CASH", "balance": {"amount": "10.00", "currency": "EUR"}},
                "delta": {"amount": "10.00", "currency": "EUR"},
            }
        ],
    }
    await socket.close()
    await player.aclose()


async def test_a_staff_adjustment_on_one_process_reaches_only_its_player_on_another(
    server: str, second_server: str, db: Database
) -> None:
    player, player_id = await signed_in_player(server, AURORA, "sam@example.com")
    bystander, bystander_id = await signed_in_player(server, AURORA, "tia@example.com")
    finance = await signed_in_staff(server, AURORA, db, ["finance"])
    socket = await subscribe(second_server, AURORA, player.token, BALANCE_CHANGED)
    watcher = await subscribe(second_server, AURORA, bystander.token, BALANCE_CHANGED)
    await wait_until_live(socket, db, player_id)
    await wait_until_live(watcher, db, bystander_id)

    adjusted = await finance.query(
        ADJUST,
        {
            "i": {
                "playerId": player_global_id(player_id),
                "wallet": "CASH",
                "direction": "CREDIT",
                "amount": {"amount": "4.20", "currency": "EUR"},
                "reason": "Compensation",
                "idempotencyKey": "comp-1",
            }
        },
    )
    type_name, key = from_base64(adjusted.data["adjustBalance"]["transactionId"])
    assert type_name == "LedgerTransaction"
    transaction_id = int(key)
    received = await messages_until(socket, transaction_id)
    # The bystander's next change is delivered; the adjustment never was.
    marker = await fund(db, bystander_id, 1, wallet=WalletKind.BONUS, kind="bonus_grant")
    seen_by_bystander = await messages_until(watcher, marker.transaction_id)

    assert _change(received[-1])["kind"] == "adjustment"
    assert _change(received[-1])["changes"][0]["delta"] == {"amount": "4.20", "currency": "EUR"}
    assert ledger_id(transaction_id) not in map(changed_transaction, seen_by_bystander)
    for closing in (socket, watcher):
        await closing.close()
    for api in (player, bystander, finance):
        await api.aclose()


async def test_the_stream_ends_when_the_session_does(
    server: str, second_server: str, db: Database
) -> None:
    player, player_id = await signed_in_player(server, AURORA, "uli@example.com")
    socket = await subscribe(second_server, AURORA, player.token, BALANCE_CHANGED)
    await wait_until_live(socket, db, player_id)

    await player.query("mutation { logout { errors { code } } }")
    late = await fund(db, player_id, 500)
    messages = []
    while (message := await next_message(socket, 5)) is not None:
        messages.append(message)
        if message["type"] == "complete":
            break

    assert messages[-1] == {"id": "1", "type": "complete"}
    assert ledger_id(late.transaction_id) not in map(changed_transaction, messages)
    await socket.close()
    await player.aclose()


async def test_an_unauthenticated_or_foreign_brand_subscription_is_refused(
    server: str, second_server: str
) -> None:
    elsewhere, _ = await signed_in_player(server, NORTHSTAR, "vea@example.com")

    anonymous = await subscribe(second_server, AURORA, None, BALANCE_CHANGED)
    refusal = await next_message(anonymous, 5)
    # Another brand's token does not sign in here: the socket is refused at
    # connection_init (4403), before any subscription.
    port = int(second_server.rsplit(":", 1)[1])
    async with websockets.connect(
        f"ws://{AURORA}:{port}/graphql", subprotocols=[PROTOCOL], host="127.0.0.1", port=port
    ) as foreign:
        payload = {"authorization": f"Bearer {elsewhere.token}"}
        await foreign.send(json.dumps({"type": "connection_init", "payload": payload}))
        with pytest.raises(ConnectionClosed):
            await asyncio.wait_for(foreign.recv(), 5)
        assert foreign.close_code == 4403

    assert refusal is not None
    assert refusal["payload"]["data"] is None
    assert refusal["payload"]["errors"][0]["extensions"]["code"] == "NOT_AUTHENTICATED"
    assert await next_message(anonymous, 5) == {"id": "1", "type": "complete"}
    await anonymous.close()
    await elsewhere.aclose()
