"""Helpers for tests that talk to the running app over real HTTP and WebSocket."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from typing import Any

import httpx
import pyotp
from sqlalchemy import event

from domain.accounts.players import Registration
from domain.brands.service import BrandRegistry
from domain.compliance.onboarding import register
from domain.kernel.db import Database

STRONG_PASSWORD = "correct horse battery"
AURORA = "aurora.localhost"
NORTHSTAR = "northstar.localhost"


@dataclass
class GraphQLResponse:
    status: int
    body: dict[str, Any]
    headers: httpx.Headers

    @property
    def data(self) -> dict[str, Any]:
        assert "errors" not in self.body, self.body
        return self.body["data"]


class Api:
    """A GraphQL client bound to one brand host, as a frontend developer would use it."""

    def __init__(self, base_url: str, host: str) -> None:
        self.base_url = base_url
        self.host = host
        self.token: str | None = None
        self.client = httpx.AsyncClient(base_url=base_url, headers={"host": host}, timeout=30)

    async def post(self, body: Any, *, headers: dict[str, str] | None = None) -> httpx.Response:
        merged = {"content-type": "application/json", **(headers or {})}
        if self.token:
            merged.setdefault("authorization", f"Bearer {self.token}")
        return await self.client.post("/graphql", content=json.dumps(body), headers=merged)

    async def query(
        self, document: str, variables: dict[str, Any] | None = None, **kwargs: Any
    ) -> GraphQLResponse:
        response = await self.post({"query": document, "variables": variables or {}}, **kwargs)
        return GraphQLResponse(response.status_code, response.json(), response.headers)

    async def register(self, **fields: Any) -> dict[str, Any]:
        values = {
            "password": STRONG_PASSWORD,
            "dateOfBirth": "1990-05-17",
            "country": "MT",
            "currency": "EUR",
            **fields,
        }
        result = await self.query(REGISTER, {"input": values})
        return result.data["register"]

    async def login(self, identifier: str, password: str = STRONG_PASSWORD) -> dict[str, Any]:
        result = await self.query(
            LOGIN, {"input": {"identifier": identifier, "password": password}}
        )
        payload = result.data["login"]
        if payload["token"]:
            self.token = payload["token"]
        return payload

    async def aclose(self) -> None:
        await self.client.aclose()


async def create_player(
    db: Database, registry: BrandRegistry, *, brand: str = "aurora", email: str | None = None
) -> uuid.UUID:
    """A registered, committed player through the domain service (no HTTP)."""
    async with db.transaction() as uow:
        player = await register(
            uow,
            registry.get(brand),
            Registration(
                email=email or f"{uuid.uuid4().hex[:12]}@example.com",
                phone=None,
                username=None,
                password=STRONG_PASSWORD,
                date_of_birth=date(1990, 1, 1),
                country="MT",
                currency="EUR",
            ),
        )
        return player.id


def fresh_code(secret: str, *, steps_ahead: int = 0) -> str:
    """A TOTP code for now (+ steps): codes are single-use, so tests step ahead for a second."""
    return pyotp.TOTP(secret).at(time.time() + 30 * steps_ahead)


REGISTER = """
mutation Register($input: RegisterInput!) {
  register(input: $input) {
    player { id email phone username country currency locale status }
    errors { code field message }
  }
}
"""

LOGIN = """
mutation Login($input: LoginInput!) {
  login(input: $input) { token twoFactorRequired errors { code field message } }
}
"""

VIEWER = """
query { viewer { twoFactorPending permissions player { id email username status } staff { id email roles } } }
"""


@contextmanager
def statements_of(db: Database) -> Iterator[list[str]]:
    """The SQL statements `db`'s engine sends while inside the block (BEGIN and COMMIT are
    not statements here)."""
    seen: list[str] = []

    def record(*args: object) -> None:
        seen.append(str(args[2]))

    event.listen(db.engine.sync_engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(db.engine.sync_engine, "before_cursor_execute", record)


@contextmanager
def selects_of(db: Database) -> Iterator[list[tuple[str, Any]]]:
    """The SELECT statements `db`'s engine sends while inside the block, with their
    parameters, as `explained` takes them."""
    seen: list[tuple[str, Any]] = []

    def record(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            seen.append((statement, parameters))

    event.listen(db.engine.sync_engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(db.engine.sync_engine, "before_cursor_execute", record)


async def explained(db: Database, statement: str, parameters: Any, *, seqscan: bool = False) -> str:
    """PostgreSQL's plan for a statement the app sent, as text. Sequential scans are priced
    out unless `seqscan`: a test's tables are tiny, so the planner would rightly scan them
    and a missing index would fail only in production; with `seqscan` the table holds
    enough analysed rows to plan on its own statistics."""
    async with db.engine.connect() as connection:
        if not seqscan:
            await connection.exec_driver_sql("SET enable_seqscan = off")
        rows = await connection.exec_driver_sql("EXPLAIN " + statement, parameters)
        plan = "\n".join(row[0] for row in rows)
        await connection.exec_driver_sql("RESET enable_seqscan")
    return plan


def request_context(
    db: Database, registry: BrandRegistry, brand: str, token: str | None = None
) -> Any:
    """A fresh API request's context, as web/graphql.py builds one (for a bearer `token`, or
    signed out), for running the schema or a resolver in process without a server."""
    from domain.accounts.models import SessionTransport
    from domain.kernel.settings import get_settings
    from resolvers.context import Credentials
    from web.graphql import GraphQLContext

    return GraphQLContext(
        db=db, brand=registry.get(brand), registry=registry, settings=get_settings(),
        hub=None, request_id="in-process", client_address=None, user_agent=None,
        credentials=Credentials(token, SessionTransport.BEARER) if token else None,
    )  # fmt: skip


class _Tracing:
    """One SDK tracer provider per test process (the global provider is set once), with
    the SDK's own in-memory exporter behind a synchronous processor."""

    exporter: Any = None


def traced_spans() -> Any:
    """Turn tracing on (domain/kernel/telemetry.py) and return the in-memory exporter,
    emptied; the caller turns it off again with `telemetry.disable_tracing()`."""
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import (
        InMemorySpanExporter,
    )

    from domain.kernel import telemetry

    if _Tracing.exporter is None:
        _Tracing.exporter = InMemorySpanExporter()
        provider = TracerProvider()
        provider.add_span_processor(SimpleSpanProcessor(_Tracing.exporter))
        telemetry.enable_tracing(provider)
    telemetry.enable_tracing(provider=None)
    _Tracing.exporter.clear()
    return _Tracing.exporter
