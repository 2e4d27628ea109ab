"""Playwright on Debian's Chromium (never `playwright install`): one browser for the whole
module, a fresh context per test. `*.localhost` brand hosts resolve to the test server."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from domain.kernel.settings import get_settings
from tests.chromium import CHROMIUM, CHROMIUM_ARGS
from tests.conftest import REPO_ROOT
from web.site import assets

ARTIFACTS = REPO_ROOT / "test-artifacts"
AXE_FILE = "axe-core/axe.min.js"


@pytest.fixture(scope="session")
def axe_script() -> Path:
    """axe-core from npm, installed like the site's htmx (into the test data folder)."""
    modules = get_settings().data_dir / "axe" / "node_modules"
    if not (modules / AXE_FILE).exists():
        installed = assets.npm_install(
            modules.parent, ("axe-core@4",), present=(modules / AXE_FILE).exists
        )
        assert installed, "npm install axe-core failed"
    return modules / AXE_FILE


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


@pytest.fixture(scope="session")
def chromium() -> Path:
    # Missing tools fail the suite rather than skipping it: these tests are the proof that
    # the site works in a browser (.ci/run installs Debian's chromium).
    assert CHROMIUM.exists(), "/usr/bin/chromium is missing (apt-get install -y chromium)"
    assert shutil.which("npm"), "npm is missing: the site's htmx and axe-core come from npm"
    assert assets.ensure_assets(get_settings()), "npm install of htmx failed"
    return CHROMIUM


@pytest.fixture(scope="module")
async def browser(server: str, chromium: Path) -> AsyncIterator[object]:
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(
            executable_path=str(chromium), args=CHROMIUM_ARGS
        )
        yield launched
        await launched.close()
