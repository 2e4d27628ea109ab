from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from domain.kernel.settings import get_settings
from tests.support import AURORA
from tests.web.site.support import SiteClient
from web.site import assets


@pytest.fixture(scope="session")
def site_assets() -> bool:
    """htmx from npm into the test data folder (once; later runs reuse it)."""
    return assets.ensure_assets(get_settings())


@pytest.fixture
async def aurora_site(server: str) -> AsyncIterator[SiteClient]:
    site = SiteClient(server, AURORA)
    yield site
    await site.aclose()
