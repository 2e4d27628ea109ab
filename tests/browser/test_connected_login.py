"""Connected login in Chromium, through the test identity provider the server serves: a
player registers through it (asked the date of birth and the deposit-limit prompt of the
brand's jurisdiction) and later signs in with it; a replayed answer, an answer with a
forged code and an answer with another state are refused and sign nobody in."""

from __future__ import annotations

import re
import time
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from playwright.async_api import expect

from tests.browser.test_site import _axe_violations, _new_page, _port
from web.site.connected import STATE_COOKIE

REFUSED = "This sign-in could not be confirmed. Please start again."


async def _to_provider(page: Any, base: str) -> dict[str, str]:
    """From the sign-in page to the provider's page: the authorization request's values."""
    await page.goto(f"{base}/login")
    await page.click("form[action='/login/connected'] button")
    await page.wait_for_url(re.compile(r"/test-idp/authorize\?"))
    return {name: values[0] for name, values in parse_qs(urlsplit(page.url).query).items()}


async def _approve(page: Any, email: str) -> str:
    """Sign in at the provider; returns the answer's URL (the callback) it sent us to."""
    answers: list[str] = []
    page.on(
        "request",
        lambda request: (
            answers.append(request.url) if "/login/connected/callback" in request.url else None
        ),
    )
    await page.fill("#email", email)
    await page.click("button[type=submit]")
    await page.wait_for_load_state()
    await expect(page.locator("h1")).not_to_have_text("Test identity provider")
    return answers[0]


async def _signed_out(page: Any, base: str) -> bool:
    await page.goto(f"{base}/account")
    return "/login" in page.url


async def test_a_player_registers_and_later_signs_in_through_the_identity_provider(
    browser: Any, server: str, axe_script: Path
) -> None:
    base = f"http://aurora.localhost:{_port(server)}"
    email = f"connected-{uuid.uuid4().hex[:8]}@aurora.example"
    context, page, problems = await _new_page(browser, axe_script)

    await _to_provider(page, base)
    await _approve(page, email)
    # Back on the brand: the registration form asks what the jurisdiction asks.
    await expect(page.locator("h1")).to_have_text("Create an account")
    await expect(page.get_by_text(email)).to_be_visible()
    assert await _axe_violations(page) == []
    await page.click("form[action='/login/connected/register'] button[type=submit]")
    await expect(page.locator(".error").first).to_be_visible()  # no date of birth yet
    await page.fill("#field-date_of_birth", "1990-05-17")
    await page.fill("#field-country", "MT")
    if await page.locator("#field-deposit_limit_period").count():
        await page.select_option("#field-deposit_limit_period", "WEEK")
        await page.fill("#field-deposit_limit_amount", "100")
    await page.click("form[action='/login/connected/register'] button[type=submit]")
    await page.wait_for_url(re.compile(r"/account/deposit$"))
    await context.close()

    # Later, in another browser session: the provider alone signs the player in.
    context, page, problems = await _new_page(browser, axe_script)
    await _to_provider(page, base)
    state_cookie = next(c for c in await context.cookies() if c["name"] == STATE_COOKIE)
    answer = await _approve(page, email)
    await page.wait_for_url(re.compile(r"/account$"))
    assert await _signed_out(page, base) is False
    await context.close()

    # The same answer replayed, even with the state cookie it came with, is refused.
    context, page, _ = await _new_page(browser, axe_script)
    await context.add_cookies([state_cookie])
    await page.goto(answer)
    await expect(page.get_by_text(REFUSED)).to_be_visible()
    assert await _signed_out(page, base) is True
    await context.close()
    assert problems == []


async def test_a_forged_code_or_another_state_is_refused(
    browser: Any, server: str, axe_script: Path
) -> None:
    base = f"http://aurora.localhost:{_port(server)}"
    context, page, problems = await _new_page(browser, axe_script)
    request = await _to_provider(page, base)

    # A code signed by someone else's key, made to look like the provider's.
    forger = rsa.generate_private_key(65537, 2048)
    now = int(time.time())
    forged_code = jwt.encode(
        {
            "iss": f"http://aurora.localhost:{_port(server)}/test-idp",
            "aud": f"{request['client_id']}#code",
            "iat": now,
            "exp": now + 60,
            "email": "victim@aurora.example",
            "nonce": request["nonce"],
            "redirect_uri": request["redirect_uri"],
            "code_challenge": request["code_challenge"],
        },
        forger,
        algorithm="RS256",
    )
    callback = f"{base}/login/connected/callback"
    await page.goto(f"{callback}?{urlencode({'state': request['state'], 'code': forged_code})}")
    await expect(page.get_by_text(REFUSED)).to_be_visible()
    assert await _signed_out(page, base) is True

    # A genuine answer carrying a state this browser never got is refused too.
    request = await _to_provider(page, base)
    answer = await _approve(page, f"other-{uuid.uuid4().hex[:8]}@aurora.example")
    await expect(page.locator("h1")).to_have_text("Create an account")
    code = parse_qs(urlsplit(answer).query)["code"][0]
    await page.goto(f"{callback}?{urlencode({'state': 'not-the-state-i-got', 'code': code})}")
    await expect(page.get_by_text(REFUSED)).to_be_visible()
    assert await _signed_out(page, base) is True
    assert problems == []
    await context.close()
