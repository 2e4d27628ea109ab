"""A second API process for the wallet tests: subscriptions must work across replicas."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from domain.brands.service import BrandRegistry
from domain.kernel.db import Database
from tests.conftest import app_server


@pytest.fixture(scope="module")
async def second_server(db: Database, registry: BrandRegistry) -> AsyncIterator[str]:
    """Another instance of the real app, sharing only PostgreSQL with `server`."""
    async with app_server(registry) as url:
        yield url
