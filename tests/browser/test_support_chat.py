"""Support chat in Chromium, two browsers: a player writes from the site, a support agent
opens it in the back office, takes it and replies; the reply appears on the player's page
and the player's next message on the agent's page, each without a reload of the page that
shows it."""

from __future__ import annotations

import re
import uuid
from pathlib import Path
from typing import Any

from playwright.async_api import expect

from domain.kernel.db import Database
from tests.browser.test_backoffice import _console, _sign_in_staff
from tests.browser.test_site import _axe_violations, _new_page, _port, _register_and_sign_in

# The acceptance's "within a second" (measured: 0.03 s and 0.13 s on an idle machine).
LIVE_TIMEOUT_MS = 1_000


async def test_a_player_and_an_agent_see_each_others_messages_without_reloading(
    browser: Any, server: str, db: Database, axe_script: Path
) -> None:
    base = f"http://aurora.localhost:{_port(server)}"
    email = f"chat-{uuid.uuid4().hex[:8]}@aurora.example"
    player_context, player, problems = await _new_page(browser, axe_script)
    await _register_and_sign_in(player, base, "MT", email)
    await player.goto(f"{base}/support")
    await player.fill("#field-body", "Where is my withdrawal?")
    await player.click("form[action='/support'] button[type=submit]")
    await player.wait_for_url(re.compile(r"/support$"))
    await expect(player.locator("#chat .from-player")).to_have_text(
        re.compile("Where is my withdrawal?")
    )
    assert await _axe_violations(player) == []
    await player.evaluate("window.stillTheSamePage = true")

    agent_context = await browser.new_context(locale="en-GB")
    agent = await agent_context.new_page()
    await _sign_in_staff(agent, server, db, f"agent-{uuid.uuid4().hex[:6]}@op.example", "support")
    await agent.goto(_console(server) + "/support")
    row = agent.locator("tr", has_text=email)
    await row.get_by_role("link").click()
    await agent.click("form[action='/support/take'] button")
    await agent.wait_for_url(re.compile(r"/support\?conversation="))
    await expect(agent.locator("#transcript")).to_contain_text("Where is my withdrawal?")
    await agent.fill("#reply-body", "Let me check that for you.")
    await agent.click("form[action='/support/reply']:not(.canned) button")
    await agent.wait_for_url(re.compile(r"/support\?conversation="))

    # The player's page, never reloaded, shows the reply.
    await expect(player.locator("#chat .from-support")).to_contain_text(
        "Let me check that for you.", timeout=LIVE_TIMEOUT_MS
    )
    assert await player.evaluate("window.stillTheSamePage") is True

    # The agent's page, never reloaded, shows the player's next message.
    await agent.evaluate("window.stillTheSamePage = true")
    await player.fill("#field-body", "Thank you!")
    await player.click("form[action='/support'] button[type=submit]")
    await expect(agent.locator("#transcript")).to_contain_text(
        "Thank you!", timeout=LIVE_TIMEOUT_MS
    )
    assert await agent.evaluate("window.stillTheSamePage") is True
    assert problems == []
    await player_context.close()
    await agent_context.close()
