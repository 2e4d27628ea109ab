"""Helpers for the wallet read-side, adjustment and export tests (domain, GraphQL, web)."""

from __future__ import annotations

import asyncio
import itertools
import json
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime
from typing import Any

import websockets
from sqlalchemy import event, func, select
from sqlalchemy.engine import Engine
from strawberry.relay import from_base64, to_base64

from domain.accounts import staff as staff_service
from domain.accounts.models import PrincipalKind
from domain.accounts.permissions import permissions_for
from domain.accounts.players import Registration
from domain.accounts.principal import Principal
from domain.brands.service import BrandRegistry
from domain.compliance.onboarding import register
from domain.kernel.audit import AuditEntry
from domain.kernel.db import Database
from domain.wallets import invariants
from domain.wallets.ledger import Posting
from domain.wallets.models import HouseAccountKind, WalletKind
from domain.wallets.service import balances, house_account_id, transfer, wallet_id
from tests.support import STRONG_PASSWORD, Api, GraphQLResponse, fresh_code

# Where a test player of each brand lives (a brand accepts only its own countries and
# currencies).
HOME = {"aurora": ("MT", "EUR"), "northstar": ("SE", "SEK")}


async def player_of(
    db: Database, registry: BrandRegistry, brand: str = "aurora", *, email: str | None = None
) -> uuid.UUID:
    """A registered, committed player of `brand` (wallets open in its currency)."""
    country, currency = HOME[brand]
    async with db.transaction() as uow:
        player = await register(
            uow,
            registry.get(brand),
            Registration(
                email=email or f"{uuid.uuid4().hex[:12]}@example.com", phone=None,
                username=None, password=STRONG_PASSWORD, date_of_birth=date(1990, 1, 1),
                country=country, currency=currency,
            ),
        )  # fmt: skip
        return player.id


async def fund(
    db: Database,
    player_id: uuid.UUID,
    amount_minor: int,
    *,
    brand: str = "aurora",
    currency: str = "EUR",
    wallet: WalletKind = WalletKind.CASH,
    kind: str = "deposit",
) -> Posting:
    """Credit a wallet from the PSP clearing account, committed (one transaction)."""
    async with db.transaction() as uow:
        source = await house_account_id(uow, brand, HouseAccountKind.PSP_CLEARING, currency)
        destination = await wallet_id(uow, brand, player_id, wallet, currency)
        return await transfer(
            uow, brand=brand, kind=kind, source=source, destination=destination,
            amount_minor=amount_minor, scope=None, key=None,
        )  # fmt: skip


async def spend(
    db: Database, player_id: uuid.UUID, amount_minor: int, *, kind: str = "stake",
    brand: str = "aurora", currency: str = "EUR", wallet: WalletKind = WalletKind.CASH,
) -> Posting:  # fmt: skip
    """Debit a wallet to the wagers account, committed."""
    async with db.transaction() as uow:
        source = await wallet_id(uow, brand, player_id, wallet, currency)
        destination = await house_account_id(uow, brand, HouseAccountKind.WAGERS, currency)
        return await transfer(
            uow, brand=brand, kind=kind, source=source, destination=destination,
            amount_minor=amount_minor, scope=None, key=None,
        )  # fmt: skip


async def balance_of(
    db: Database, player_id: uuid.UUID, *, brand: str = "aurora",
    wallet: WalletKind = WalletKind.CASH, currency: str = "EUR",
) -> int:  # fmt: skip
    async with db.uow() as uow:
        return next(
            b.amount_minor
            for b in await balances(uow, brand, player_id)
            if b.kind is wallet and b.currency == currency
        )


async def database_now(db: Database) -> datetime:
    """The database's clock now: ledger rows are stamped by it, not by this process."""
    async with db.uow() as uow:
        moment = await uow.session.scalar(select(func.clock_timestamp()))
    assert moment is not None
    return moment


def staff_principal(*roles: str, brand: str = "aurora") -> Principal:
    """A fully signed-in staff principal with `roles` (no session row: domain tests only)."""
    return Principal(
        PrincipalKind.STAFF,
        uuid.uuid4(),
        uuid.uuid4(),
        brand,
        True,
        roles=roles,
        permissions=permissions_for(list(roles)),
    )


def player_principal(player_id: uuid.UUID, brand: str = "aurora") -> Principal:
    return Principal(PrincipalKind.PLAYER, player_id, uuid.uuid4(), brand, True)


async def audit_rows(db: Database, action: str = "wallet.adjust") -> int:
    """audit_log is append-only and survives between tests: compare counts."""
    async with db.uow() as uow:
        return int(
            await uow.session.scalar(
                select(func.count()).select_from(AuditEntry).where(AuditEntry.action == action)
            )
            or 0
        )


async def assert_invariants(db: Database) -> None:
    async with db.uow() as uow:
        report = await invariants.check(uow)
    assert report.ok, report.violations


def money(value: dict[str, Any]) -> tuple[str, str]:
    return value["amount"], value["currency"]


STAFF_LOGIN = """mutation($i: StaffLoginInput!) {
  staffLogin(input: $i) { token twoFactorRequired errors { code } } }"""
BEGIN_TWO_FACTOR = "mutation { beginTwoFactorEnrolment { secret errors { code } } }"
CONFIRM_TWO_FACTOR = """mutation($c: String!) {
  confirmTwoFactorEnrolment(input: {code: $c}) { enabled token errors { code } } }"""
CHANGE_PASSWORD = """mutation($i: ChangePasswordInput!) {
  changePassword(input: $i) { changed errors { code field } } }"""
STAFF_PASSWORD = "staff-password-2026!"


async def signed_in_staff(server: str, host: str, db: Database, roles: list[str]) -> Api:
    """A staff member with `roles`, through the whole first sign-in over the API
    (one-time password, TOTP enrolment, new password)."""
    email = f"{'-'.join(roles) or 'none'}-{uuid.uuid4().hex[:6]}@op.example"
    async with db.transaction() as uow:
        created = await staff_service.create(uow, None, email=email, roles=roles, brands=None)
    api = Api(server, host)
    login = await api.query(
        STAFF_LOGIN, {"i": {"email": email, "password": created.one_time_password}}
    )
    api.token = login.data["staffLogin"]["token"]
    secret = (await api.query(BEGIN_TWO_FACTOR)).data["beginTwoFactorEnrolment"]["secret"]
    confirmed = await api.query(CONFIRM_TWO_FACTOR, {"c": fresh_code(secret)})
    api.token = confirmed.data["confirmTwoFactorEnrolment"]["token"]
    changed = await api.query(
        CHANGE_PASSWORD,
        {"i": {"currentPassword": created.one_time_password, "newPassword": STAFF_PASSWORD}},
    )
    assert changed.data["changePassword"] == {"changed": True, "errors": []}
    return api


async def signed_in_player(server: str, host: str, email: str) -> tuple[Api, uuid.UUID]:
    """A player registered and signed in over the API, with a bearer token."""
    api = Api(server, host)
    registered = await api.register(email=email, **_home_fields(host))
    await api.login(email)
    node_id = registered["player"]["id"]
    return api, uuid.UUID(from_base64(node_id)[1])


def _home_fields(host: str) -> dict[str, str]:
    country, currency = HOME[host.split(".", maxsplit=1)[0]]
    return {"country": country, "currency": currency}


def player_global_id(player_id: uuid.UUID) -> str:
    return to_base64("Player", str(player_id))


def error_codes(response: GraphQLResponse) -> list[str]:
    return [error["extensions"]["code"] for error in response.body.get("errors", [])]


# Statements the app's background relay runs on its own schedule: not the request's.
_BACKGROUND = ("outbox_events", "pg_notify")


@contextmanager
def counted_statements() -> Iterator[list[str]]:
    """The SQL statements every engine of this process sends while inside the block
    (the app under test runs in this process), minus the outbox relay's."""
    statements: list[str] = []

    def record(*args: Any) -> None:
        statement: str = args[2]
        if not any(marker in statement for marker in _BACKGROUND):
            statements.append(statement)

    event.listen(Engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(Engine, "before_cursor_execute", record)


PROTOCOL = "graphql-transport-ws"
BALANCE_CHANGED = """subscription { balanceChanged { transactionId kind
  changes { wallet { kind balance { amount currency } } delta { amount currency } } } }"""


async def subscribe(server: str, host: str, token: str | None, document: str) -> Any:
    """A graphql-transport-ws socket on `ws://<brand host>:<port>/graphql` (routed to the
    loopback server), acknowledged, with `document` subscribed as operation "1"."""
    port = int(server.rsplit(":", 1)[1])
    socket = await websockets.connect(
        f"ws://{host}:{port}/graphql", subprotocols=[PROTOCOL], host="127.0.0.1", port=port
    )
    payload = {"authorization": f"Bearer {token}"} if token else {}
    await socket.send(json.dumps({"type": "connection_init", "payload": payload}))
    assert json.loads(await socket.recv())["type"] == "connection_ack"
    await socket.send(json.dumps({"id": "1", "type": "subscribe", "payload": {"query": document}}))
    return socket


async def next_message(socket: Any, timeout_s: float) -> dict[str, Any] | None:
    """The next message within `timeout_s`, or None."""
    try:
        return dict(json.loads(await asyncio.wait_for(socket.recv(), timeout_s)))
    except TimeoutError:
        return None


def ledger_id(transaction_id: int) -> str:
    """The opaque global id the API gives ledger transaction `transaction_id`."""
    return to_base64("LedgerTransaction", transaction_id)


def changed_transaction(message: dict[str, Any]) -> str | None:
    if message.get("type") != "next" or not message["payload"].get("data"):
        return None
    return str(message["payload"]["data"]["balanceChanged"]["transactionId"])


async def messages_until(socket: Any, transaction_id: int, timeout_s: float = 5) -> list[Any]:
    """Every message up to and including the `balanceChanged` of `transaction_id`; fails
    after `timeout_s`. (Events of other transactions may arrive in any order: several
    relays publish concurrently.)"""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    received: list[dict[str, Any]] = []
    while True:
        message = await next_message(socket, max(deadline - loop.time(), 0.001))
        assert message is not None, f"no balanceChanged of {transaction_id}; got {received}"
        received.append(message)
        if changed_transaction(message) == ledger_id(transaction_id):
            return received


async def wait_until_live(socket: Any, db: Database, player_id: uuid.UUID) -> None:
    """Subscriptions start asynchronously after `subscribe`: move a cent of loyalty
    points until one change arrives (bounded), which proves the stream is live."""
    for _ in range(20):
        posting = await fund(db, player_id, 1, wallet=WalletKind.LOYALTY_POINTS, kind="warm_up")
        message = await next_message(socket, 0.5)
        if message is not None:
            assert message["type"] == "next", message
            return
    raise AssertionError(f"the subscription never delivered (last {posting.transaction_id})")


STATEMENT = """query($first: Int!) { viewer { player {
  wallets { kind balance { amount } }
  transactions(first: $first, walletKind: CASH) {
    edges { node { amount { amount } balanceAfter { amount } } } } } } }"""


def _minor(amount: str) -> int:
    return int(amount.replace(".", ""))


def statement_breaks(player: dict[str, Any]) -> list[str]:
    """What is wrong with a `STATEMENT` answer's cash statement (empty when nothing): each
    row's balance after minus its amount must be the next older row's balance after, and
    the newest row's balance after the cash balance the same answer shows."""
    rows = [edge["node"] for edge in player["transactions"]["edges"]]
    cash = next(w for w in player["wallets"] if w["kind"] == "CASH")["balance"]["amount"]
    breaks = []
    if rows and rows[0]["balanceAfter"]["amount"] != cash:
        breaks.append(f"newest row ends at {rows[0]['balanceAfter']['amount']}, balance {cash}")
    for newer, older in itertools.pairwise(rows):
        before = _minor(newer["balanceAfter"]["amount"]) - _minor(newer["amount"]["amount"])
        if before != _minor(older["balanceAfter"]["amount"]):
            breaks.append(f"{newer} does not follow {older}")
    return breaks
