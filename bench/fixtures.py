"""What the ledger benchmark runs against: a database of its own (on the embedded
PostgreSQL, or on the server of STAKEHOUSE_DATABASE_URL), funded players, a signed-in
finance staff member, and the real app under uvicorn in a child process.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import httpx
from sqlalchemy import update

from domain.accounts import sessions
from domain.accounts import staff as staff_service
from domain.accounts.models import PrincipalKind, SessionState, SessionTransport, StaffUser
from domain.accounts.players import Registration, register
from domain.brands.service import BrandRegistry, sync_brands
from domain.kernel.db import Database
from domain.kernel.migrate import upgrade
from domain.wallets.models import HouseAccountKind, WalletKind
from domain.wallets.service import house_account_id, transfer, wallet_id
from web import embedded

REPO_ROOT = Path(__file__).resolve().parents[1]
DATA_DIR = REPO_ROOT / ".stakehouse" / "bench"
BRAND = "aurora"
CURRENCY = "EUR"
# Far more than any run can debit one minor unit at a time: no debit is ever refused.
FUNDING_MINOR = 10**12
SERVER_START_TIMEOUT_S = 30.0
# The benchmark's players never sign in; they need a password that registration accepts.
PLAYER_PASSWORD = "correct horse battery"  # noqa: S105


@dataclass(frozen=True)
class Player:
    id: uuid.UUID
    cash_account: int


@dataclass(frozen=True)
class Fixtures:
    players: list[Player]
    wagers_account: int
    adjustments_account: int
    staff_token: str


@contextlib.contextmanager
def bench_database() -> Iterator[tuple[str, str | None]]:
    """A migrated database of this run; yields (url, broker url or None) and drops it after.

    Embedded PostgreSQL and Redis unless STAKEHOUSE_DATABASE_URL / STAKEHOUSE_BROKER_URL
    name servers (then only the database is created and dropped there)."""
    postgres = redis = None
    admin_url = os.environ.get("STAKEHOUSE_DATABASE_URL")
    if not admin_url:
        postgres = embedded.start_postgres(DATA_DIR)
        admin_url = postgres.admin_url
    broker_url = os.environ.get("STAKEHOUSE_BROKER_URL")
    if not broker_url:
        redis = embedded.start_redis(DATA_DIR, f"bench-{os.getpid()}")
        broker_url = redis.url
    name = f"stakehouse_bench_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    asyncio.run(embedded.ensure_database(admin_url, name))
    url = embedded.with_database(admin_url, name)
    try:
        upgrade(url)
        yield url, broker_url
    finally:
        asyncio.run(embedded.drop_database(admin_url, name))
        if redis is not None:
            redis.stop()
        if postgres is not None:
            postgres.stop()


async def prepare(db: Database, registry: BrandRegistry, players: int) -> Fixtures:
    async with db.transaction() as uow:
        await sync_brands(uow, registry)
    created = [await _funded_player(db, registry, index) for index in range(players)]
    async with db.transaction() as uow:
        wagers = await house_account_id(uow, BRAND, HouseAccountKind.WAGERS, CURRENCY)
        adjustments = await house_account_id(uow, BRAND, HouseAccountKind.ADJUSTMENTS, CURRENCY)
    return Fixtures(created, wagers, adjustments, await _staff_token(db))


async def _funded_player(db: Database, registry: BrandRegistry, index: int) -> Player:
    async with db.transaction() as uow:
        player = await register(
            uow,
            registry.get(BRAND),
            Registration(
                email=f"bench-{index}@example.com", phone=None, username=None,
                password=PLAYER_PASSWORD, date_of_birth=date(1990, 1, 1),
                country="MT", currency=CURRENCY,
            ),
        )  # fmt: skip
        cash = await wallet_id(uow, BRAND, player.id, WalletKind.CASH, CURRENCY)
        clearing = await house_account_id(uow, BRAND, HouseAccountKind.PSP_CLEARING, CURRENCY)
        await transfer(
            uow, brand=BRAND, kind="deposit", source=clearing, destination=cash,
            amount_minor=FUNDING_MINOR, scope=None, key=None,
        )  # fmt: skip
    return Player(player.id, cash)


async def _staff_token(db: Database) -> str:
    """A bearer token of a finance staff member in the state the real first sign-in leaves
    (TOTP enrolled, password changed, session active), without walking it."""
    async with db.transaction() as uow:
        created = await staff_service.create(
            uow, None, email="bench-finance@example.com", roles=["finance"]
        )
        await uow.session.execute(
            update(StaffUser)
            .where(StaffUser.id == created.staff.id)
            .values(password_change_required=False, two_factor_enabled=True)
        )
        issued = await sessions.issue(
            uow, kind=PrincipalKind.STAFF, principal_id=created.staff.id, brand=None,
            transport=SessionTransport.BEARER, state=SessionState.ACTIVE,
            ip_address="127.0.0.1", user_agent="bench",
        )  # fmt: skip
    return issued.token


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextlib.contextmanager
def app_server(database_url: str, broker_url: str | None) -> Iterator[str]:
    """The real app (`web.cli:asgi_app`) under uvicorn in a child process, as `stakehouse
    serve` runs it (one worker, its outbox relay included); yields its base URL."""
    port = _free_port()
    env = {
        **os.environ,
        "STAKEHOUSE_DATABASE_URL": database_url,
        "STAKEHOUSE_BROKER_URL": broker_url or "",
        "STAKEHOUSE_LOG_LEVEL": "WARNING",
        "STAKEHOUSE_DATABASE_POOL_SIZE": "20",
    }
    command = [
        sys.executable, "-m", "uvicorn", "web.cli:asgi_app", "--factory",
        "--host", "127.0.0.1", "--port", str(port), "--no-access-log",
        "--log-level", "warning", "--lifespan", "on",
    ]  # fmt: skip
    server = subprocess.Popen(command, env=env, cwd=REPO_ROOT)  # noqa: S603
    base_url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_live(server, base_url)
        yield base_url
    finally:
        server.terminate()
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def _wait_until_live(server: subprocess.Popen[bytes], base_url: str) -> None:
    deadline = time.monotonic() + SERVER_START_TIMEOUT_S
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"the app server exited with {server.returncode}")
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(f"{base_url}/livez", timeout=1).status_code == 200:
                return
        time.sleep(0.1)
    raise RuntimeError("the app server did not come up")
