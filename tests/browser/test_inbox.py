"""The inbox in Chromium: the unread badge in the account navigation is filled live (server-
sent events from the inboxChanged subscription): the welcome message a real worker
delivers after registration shows up as 1 without a reload, and reading it in another tab
clears the badge of the first."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import expect

from tests.browser.test_site import _axe_violations, _new_page, _port, _register_and_sign_in
from tests.workers import flushed_broker, running_worker  # noqa: F401 (autouse fixture)
from workers.actors import messaging

BADGE = "#inbox-badge .badge"


@pytest.fixture(autouse=True)
async def worker(server: str) -> AsyncIterator[None]:
    async with running_worker(messaging.QUEUE):
        yield


async def test_the_unread_badge_follows_the_inbox_live(
    browser: Any, server: str, axe_script: Path
) -> None:
    base = f"http://aurora.localhost:{_port(server)}"
    context, watched, problems = await _new_page(browser, axe_script)
    await _register_and_sign_in(watched, base, "MT", "badge@aurora.example")
    await watched.goto(f"{base}/account")
    await watched.evaluate("window.stillTheSamePage = true")

    # The welcome message arrives (worker → outbox → pub/sub → SSE): 1 unread.
    await expect(watched.locator(BADGE)).to_have_text("1", timeout=10_000)

    actions = await context.new_page()
    await actions.goto(f"{base}/account/inbox")
    assert await _axe_violations(actions) == []
    await actions.locator("form[action$='/read'] button").click()
    await actions.wait_for_url(re.compile(r"/account/inbox$"))
    assert await actions.locator("article.message.unread").count() == 0

    # The first tab, never reloaded, loses its badge.
    await expect(watched.locator(BADGE)).to_have_count(0, timeout=10_000)
    assert await watched.evaluate("window.stillTheSamePage") is True

    await actions.locator("form[action$='/delete'] button").click()
    await actions.wait_for_url(re.compile(r"/account/inbox$"))
    assert await actions.locator("article.message").count() == 0
    assert problems == []
    await context.close()
