"""Database engine, declarative base and the unit of work.

The caller (a mutation, an actor, a callback endpoint) opens a unit of work and commits;
domain services only flush. Leaving the block without `commit()` rolls back.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Self
from urllib.parse import urlsplit, urlunsplit

from sqlalchemy import CursorResult, MetaData
from sqlalchemy.dialects.postgresql.asyncpg import PGDialect_asyncpg
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.sql.elements import TextClause

from domain.kernel import telemetry

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def asyncpg_url(url: str) -> str:
    """Normalise any PostgreSQL URL to the SQLAlchemy asyncpg dialect."""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(scheme="postgresql+asyncpg"))


def plain_url(url: str) -> str:
    """The libpq/asyncpg form of a URL (no SQLAlchemy dialect suffix)."""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(scheme="postgresql"))


def create_engine(url: str, *, pool_size: int = 10) -> AsyncEngine:
    return create_async_engine(
        asyncpg_url(url),
        pool_size=pool_size,
        max_overflow=pool_size,
        pool_pre_ping=False,
        # Statement timeouts bound every query the platform sends.
        connect_args={
            "server_settings": {"statement_timeout": "30000", "application_name": "stakehouse"}
        },
    )


@dataclass(frozen=True)
class DriverStatement:
    """A `text()` statement compiled once, at import, to the SQL asyncpg receives (`$n`
    placeholders with their casts) and its parameters' names in `$n` order.

    For the few statements on a hot path (the casino bet callback): run through
    `UnitOfWork.execute_driver`, a call skips the ORM session's execute and the compiled
    cache's lookup, which cost more CPU than the statement's own round trip, while it stays
    in the unit of work's transaction, its SQL events (statement counts, tracing) and its
    error translation. Arguments go to the driver as they are: no bind processors run, so a
    JSONB argument is passed as its JSON text."""

    sql: str
    names: tuple[str, ...]

    @classmethod
    def of(cls, statement: TextClause) -> DriverStatement:
        compiled = statement.compile(dialect=PGDialect_asyncpg())  # type: ignore[no-untyped-call]
        return cls(str(compiled), tuple(compiled.positiontup or ()))

    def arguments(self, params: Mapping[str, Any]) -> tuple[Any, ...]:
        return tuple(params[name] for name in self.names)


class UnitOfWork:
    """One database transaction. `async with uow: ...; await uow.commit()`."""

    def __init__(self, session_factory: async_sessionmaker[AsyncSession]) -> None:
        self._session_factory = session_factory
        self._session: AsyncSession | None = None
        self._committed = False

    @property
    def session(self) -> AsyncSession:
        assert self._session is not None, "unit of work used outside `async with`"
        return self._session

    async def __aenter__(self) -> Self:
        self._session = self._session_factory()
        self._committed = False
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        # close() rolls back anything uncommitted and detaches loaded objects without
        # expiring them, so callers can still read what they loaded.
        try:
            await self.session.close()
        finally:
            self._session = None

    async def commit(self) -> None:
        await self.session.commit()
        self._committed = True

    async def flush(self) -> None:
        await self.session.flush()

    async def execute_driver(
        self, statement: DriverStatement, params: Mapping[str, Any]
    ) -> CursorResult[Any]:
        """Run a precompiled statement on this unit of work's connection and transaction
        (see DriverStatement). Errors: sqlalchemy.exc.DBAPIError, as `session.execute`."""
        connection = await self.session.connection()
        return await connection.exec_driver_sql(statement.sql, statement.arguments(params))


@dataclass(frozen=True)
class Database:
    """The engine and the factory of units of work; one per process and event loop."""

    engine: AsyncEngine
    session_factory: async_sessionmaker[AsyncSession]
    autocommit_factory: async_sessionmaker[AsyncSession]

    @classmethod
    def connect(cls, url: str, *, pool_size: int = 10) -> Database:
        engine = create_engine(url, pool_size=pool_size)
        telemetry.watch_pool(engine)
        return cls(
            engine,
            async_sessionmaker(engine, expire_on_commit=False, autoflush=False),
            async_sessionmaker(
                engine.execution_options(isolation_level="AUTOCOMMIT"),
                expire_on_commit=False,
                autoflush=False,
            ),
        )

    def uow(self) -> UnitOfWork:
        return UnitOfWork(self.session_factory)

    def autocommit(self) -> UnitOfWork:
        """Statements that each stand alone (no BEGIN/COMMIT round trips): for hot reads
        that need no transaction, such as looking up the session behind a token. Every
        statement is its own transaction; never use it for anything that must be atomic."""
        return UnitOfWork(self.autocommit_factory)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[UnitOfWork]:
        """A unit of work that commits when the block ends without an exception."""
        async with self.uow() as uow:
            yield uow
            await uow.commit()

    async def dispose(self) -> None:
        await self.engine.dispose()
