"""The signed-in player's pages: balances (live over SSE), deposit through the test PSP,
withdrawal, history with filters and the CSV link, inbox."""

from __future__ import annotations

import asyncio
import html
import re

import pyotp
from sqlalchemy import select

from domain.accounts.models import Player
from domain.kernel.db import Database
from domain.messaging.models import InboxMessage
from tests.support import NORTHSTAR, STRONG_PASSWORD, fresh_code
from tests.web.site.support import SiteClient, check_sse_fragments, register_and_sign_in

_KEY = re.compile(r'name="idempotency_key" value="([^"]+)"')
_CHECKOUT = re.compile(r'href="(/test-psp/checkout/[^"]+)"')


async def _deposit(site: SiteClient, amount: str) -> str:
    """Deposit through the site; returns the test PSP checkout URL it links to."""
    form_page = await site.get("/account/deposit")
    key = _KEY.search(form_page.text)
    assert key is not None
    answer = await site.post(
        "/account/deposit", {"amount": amount, "idempotency_key": key.group(1)}
    )
    assert answer.status_code == 200, answer.text
    found = _CHECKOUT.search(answer.text)
    assert found is not None, answer.text
    return html.unescape(found.group(1))


async def _pay(site: SiteClient, checkout_url: str) -> None:
    reference, _, query = checkout_url.removeprefix("/test-psp/checkout/").partition("?")
    paid = await site.post(f"/test-psp/checkout/{reference}/pay?{query}", csrf=False)
    assert "Payment received" in paid.text


async def _next_event(lines: object) -> str:
    event = []
    async for line in lines:  # type: ignore[attr-defined]
        if line == "" and event:
            check_sse_fragments("\n".join(event))  # its HTML, as strictly as a page's
            return "\n".join(event)
        if line and not line.startswith(":"):
            event.append(line)
    raise AssertionError("stream ended")


async def test_a_deposit_through_the_test_psp_updates_the_live_balance(
    aurora_site: SiteClient,
) -> None:
    await register_and_sign_in(
        aurora_site, email="ana@example.com", password=STRONG_PASSWORD, country="MT"
    )
    checkout = await _deposit(aurora_site, "25.00")
    headers = {**aurora_site._cookie_header(), "accept": "text/event-stream"}

    async with aurora_site.client.stream(
        "GET", "/account/balance/stream", headers=headers
    ) as stream:
        assert stream.headers["content-type"].startswith("text/event-stream")
        lines = stream.aiter_lines()
        first = await asyncio.wait_for(_next_event(lines), 10)
        await _pay(aurora_site, checkout)
        second = await asyncio.wait_for(_next_event(lines), 10)

    assert first.startswith("event: balances\n")
    assert "€0.00" in first
    assert "€25.00" in second
    account = await aurora_site.get("/account")
    assert "€25.00" in account.text


async def test_history_filters_and_the_csv_link(aurora_site: SiteClient) -> None:
    await register_and_sign_in(
        aurora_site, email="ana@example.com", password=STRONG_PASSWORD, country="MT"
    )
    await _pay(aurora_site, await _deposit(aurora_site, "30.00"))
    withdraw_page = await aurora_site.get("/account/withdraw")
    key = _KEY.search(withdraw_page.text)
    assert key is not None
    withdrawn = await aurora_site.post(
        "/account/withdraw", {"amount": "10", "idempotency_key": key.group(1)}
    )

    all_rows = await aurora_site.get("/account/transactions")
    deposits = await aurora_site.get("/account/transactions?kind=deposit&from=2020-01-01")
    csv = await aurora_site.get(
        "/account/transactions.csv?kind=deposit", headers={"sec-fetch-site": "same-origin"}
    )

    assert "€10.00 requested" in withdrawn.text
    # The header row; the deposit; the withdrawal out of cash and into pending.
    assert all_rows.text.count("<tr>") == 1 + 3
    assert deposits.text.count("<tr>") == 1 + 1
    assert (
        'href="/account/transactions.csv?kind=deposit&amp;from=2020-01-01T00%3A00%3A00%2B00%3A00"'
        in deposits.text
    )
    assert csv.status_code == 200 and csv.text.count("\r\n") == 2


async def test_a_payment_form_with_a_bad_amount_shows_the_error(aurora_site: SiteClient) -> None:
    await register_and_sign_in(
        aurora_site, email="ana@example.com", password=STRONG_PASSWORD, country="MT"
    )
    await aurora_site.get("/account/withdraw")

    too_much = await aurora_site.post(
        "/account/withdraw",
        {"amount": "5", "idempotency_key": "wd-1"},
        headers={"hx-request": "true"},
    )
    nonsense = await aurora_site.post(
        "/account/deposit", {"amount": "abc", "idempotency_key": "d-1"}
    )

    assert too_much.status_code == 200
    assert too_much.text.startswith('<div id="payment-outcome"')
    assert 'hx-swap-oob="true"' in too_much.text
    assert 'class="error"' in too_much.text
    assert nonsense.status_code == 400 and "Enter an amount above zero." in nonsense.text


async def test_inbox_messages_are_escaped(aurora_site: SiteClient, db: Database) -> None:
    await register_and_sign_in(
        aurora_site, email="ana@example.com", password=STRONG_PASSWORD, country="MT"
    )
    async with db.transaction() as uow:
        player = await uow.session.scalar(select(Player).where(Player.email == "ana@example.com"))
        assert player is not None
        uow.session.add(
            InboxMessage(
                brand="aurora",
                player_id=player.id,
                kind="crm",
                subject="<script>alert(1)</script>",
                body='<img src=x onerror="alert(2)">',
            )
        )

    inbox = await aurora_site.get("/account/inbox")

    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in inbox.text
    assert "&lt;img src=x onerror=&#34;alert(2)&#34;&gt;" in inbox.text
    assert "<script>alert" not in inbox.text


async def test_account_pages_send_the_signed_out_to_sign_in(aurora_site: SiteClient) -> None:
    for path in ("/account", "/account/deposit", "/account/transactions", "/account/inbox"):
        response = await aurora_site.get(path)
        assert response.status_code == 303
        assert response.headers["location"] == f"/login?next={path}"
    stream = await aurora_site.get("/account/balance/stream")
    assert stream.status_code == 204


async def test_northstar_shows_kronor_in_swedish(server: str) -> None:
    site = SiteClient(server, NORTHSTAR)
    await register_and_sign_in(site, email="sven@example.com", password=STRONG_PASSWORD)

    account = await site.get("/account")
    await site.aclose()

    assert '<html lang="sv">' in account.text
    assert "Mitt konto" in account.text
    assert re.search(r"0,00\s*kr", account.text)


async def test_kumo_amounts_are_whole_yen(server: str) -> None:
    site = SiteClient(server, "kumo.localhost")
    await register_and_sign_in(
        site, email="yuki@example.com", password=STRONG_PASSWORD, country="JP"
    )
    await _pay(site, await _deposit(site, "1500"))

    account = await site.get("/account")
    await site.aclose()

    assert "¥1,500" in account.text
    assert "¥1,500.00" not in account.text


async def test_a_player_with_two_factor_confirms_a_withdrawal_with_a_code_on_the_site(
    aurora_site: SiteClient, db: Database
) -> None:
    await register_and_sign_in(
        aurora_site, email="ana@example.com", password=STRONG_PASSWORD, country="MT"
    )
    await _pay(aurora_site, await _deposit(aurora_site, "30.00"))
    plain_form = await aurora_site.get("/account/withdraw")
    secret = pyotp.random_base32()
    async with db.transaction() as uow:
        player = await uow.session.scalar(select(Player).where(Player.email == "ana@example.com"))
        assert player is not None
        player.two_factor_secret, player.two_factor_enabled = secret, True

    form_page = await aurora_site.get("/account/withdraw")
    key = _KEY.search(form_page.text)
    assert key is not None
    without = await aurora_site.post(
        "/account/withdraw", {"amount": "10", "idempotency_key": key.group(1)}
    )
    with_code = await aurora_site.post(
        "/account/withdraw",
        {"amount": "10", "idempotency_key": key.group(1), "two_factor_code": fresh_code(secret)},
    )

    assert 'name="two_factor_code"' not in plain_form.text
    assert 'autocomplete="one-time-code"' in form_page.text
    assert 'for="field-two-factor-code"' in form_page.text
    assert without.status_code == 400
    assert "Enter the code from your authenticator app to confirm." in without.text
    assert with_code.status_code == 200, with_code.text
    assert "€10.00 requested" in with_code.text


async def test_the_test_psp_checkout_wears_the_brand_and_writes_the_amount(
    aurora_site: SiteClient,
) -> None:
    await register_and_sign_in(
        aurora_site, email="pay@example.com", password=STRONG_PASSWORD, country="MT"
    )
    checkout = await _deposit(aurora_site, "25.00")

    page = await aurora_site.get(checkout)

    assert page.status_code == 200
    assert "Pay Aurora Casino" in page.text and '<p class="amount">€25.00</p>' in page.text
    nonce = re.search(r"style-src 'nonce-([^']+)'", page.headers["content-security-policy"])
    assert nonce is not None and f'<style nonce="{nonce.group(1)}">' in page.text
    assert "--colour-primary:#6d4aff;" in page.text  # aurora's own tokens
    assert 'name="viewport"' in page.text
