"""The console's campaign form in Chromium: a text message has no subject, so the subject
field disappears while SMS is chosen and comes back for the inbox and e-mail. (The form's
submission without a subject is tests/web/backoffice/test_segments_page.py.)"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest

from domain.brands.service import BrandRegistry
from domain.kernel.db import Database
from domain.segments import service
from tests.chromium import CHROMIUM, CHROMIUM_ARGS
from tests.domain.segments.support import CRM, new_player
from tests.web.backoffice.support import ADMIN_HOST, signed_in_console


@pytest.fixture
async def chromium() -> AsyncIterator[Any]:
    assert CHROMIUM.exists(), "/usr/bin/chromium is missing (apt-get install -y chromium)"
    from playwright import async_api as playwright_api

    async with playwright_api.async_playwright() as playwright:
        launched = await playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS
        )
        yield launched
        await launched.close()


async def test_the_subject_field_is_hidden_while_sms_is_chosen(
    server: str, db: Database, registry: BrandRegistry, chromium: Any
) -> None:
    await new_player(db, registry)
    rule = {"condition": {"field": "country", "op": "in", "values": ["MT"]}}
    async with db.transaction() as uow:
        await service.create_rule_segment(uow, CRM, "aurora", "Malta players", rule)
    console = await signed_in_console(server, db, f"crm-{uuid.uuid4().hex[:6]}@op.example", ["crm"])
    origin = f"http://{ADMIN_HOST}:{console.port}"
    page = await chromium.new_page()

    async def through_console(route: Any) -> None:
        # The staff session's cookie is a Secure __Host- one, which Chromium keeps from a
        # plain-HTTP test server: the page's requests go through the signed-in client.
        path = route.request.url.removeprefix(origin)
        answer = await console.get(path)
        await route.fulfill(
            status=answer.status_code, headers=dict(answer.headers), body=answer.content
        )

    await page.route(f"{origin}/**", through_console)
    await page.goto(f"{origin}/segments")
    subject = page.locator("#campaign-subject")
    shown_for_inbox = await subject.is_visible()
    await page.select_option("#campaign-channel", "SMS")
    shown_for_sms = await subject.is_visible()
    await page.select_option("#campaign-channel", "EMAIL")
    shown_for_email = await subject.is_visible()

    assert (shown_for_inbox, shown_for_sms, shown_for_email) == (True, False, True)
    await page.close()
    await console.aclose()
