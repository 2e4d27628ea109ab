"""A second API process for the wallet tests: subscriptions must work across replicas."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
import uvicorn

from domain.brands.service import BrandRegistry
from domain.kernel.db import Database
from domain.kernel.settings import get_settings
from web.app import create_app


@pytest.fixture(scope="module")
async def second_server(db: Database, registry: BrandRegistry) -> AsyncIterator[str]:
    """Another instance of the real app on its own uvicorn server: its own engine, event
    hub (LISTEN connection) and outbox relay, sharing only PostgreSQL with `server`."""
    app = create_app(get_settings(), registry)
    config = uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="on")
    uvicorn_server = uvicorn.Server(config)
    task = asyncio.create_task(uvicorn_server.serve())
    while not uvicorn_server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.02)
    port = uvicorn_server.servers[0].sockets[0].getsockname()[1]
    yield f"http://127.0.0.1:{port}"
    uvicorn_server.should_exit = True
    await task
