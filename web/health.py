"""Probes: /livez (the process answers), /readyz (database and broker reachable, the
long-lived tasks up), /metrics."""

from __future__ import annotations

import asyncio
import logging
from urllib.parse import urlsplit

from sqlalchemy import text
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from domain.kernel.db import Database
from web.observability import metrics_payload

log = logging.getLogger(__name__)
PROBE_TIMEOUT_SECONDS = 2.0


async def livez(request: Request) -> Response:
    return JSONResponse({"status": "ok"})


async def _database_ready(db: Database) -> None:
    async with db.engine.connect() as connection:
        await connection.execute(text("SELECT 1"))


async def _broker_ready(url: str) -> None:
    if url.startswith(("redis://", "rediss://", "unix://")):
        import redis.asyncio as redis  # noqa: PLC0415

        client = redis.Redis.from_url(url)
        try:
            await client.ping()
        finally:
            await client.aclose()
        return
    parts = urlsplit(url)
    _, writer = await asyncio.open_connection(parts.hostname, parts.port or 5672)
    writer.close()
    await writer.wait_closed()


async def readyz(request: Request) -> Response:
    state = request.scope["state"]
    checks = {"database": _database_ready(state["db"])}
    if state.get("broker_url"):
        checks["broker"] = _broker_ready(state["broker_url"])
    results: dict[str, str] = {}
    # Without its LISTEN connection a replica serves no subscription events, and without
    # its relay no event leaves the outbox: not ready while either recovers.
    hub = state.get("hub")
    if hub is not None:
        results["pubsub"] = "ok" if hub.listening else "unavailable"
    for task in state.get("tasks", ()):
        results[task.name] = "ok" if task.up else "unavailable"
    for name, check in checks.items():
        try:
            await asyncio.wait_for(check, PROBE_TIMEOUT_SECONDS)
            results[name] = "ok"
        except Exception as error:  # a probe reports every failure, whatever its kind
            log.warning("readiness check %s failed: %s", name, error)
            results[name] = "unavailable"
    ready = all(result == "ok" for result in results.values())
    return JSONResponse(
        {"status": "ok" if ready else "unavailable", "checks": results},
        status_code=200 if ready else 503,
    )


async def metrics(request: Request) -> Response:
    body, content_type = metrics_payload()
    return Response(body, media_type=content_type)
