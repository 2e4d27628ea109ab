"""The PSP webhook endpoint over real HTTP: signed and fresh or 401 with no effect;
duplicates and late deliveries answer 200 and credit once. And the test PSP's hosted page,
which exists outside production only."""

from __future__ import annotations

import json
import uuid
from datetime import timedelta

import httpx
import pytest
from starlette.testclient import TestClient

from domain.brands.service import BrandRegistry
from domain.integrations import payment_providers
from domain.integrations.psp import ProviderStatus
from domain.integrations.psp_sandbox import SandboxPsp, WebhookDelivery
from domain.kernel import clock
from domain.kernel.db import Database
from domain.kernel.settings import (
    ConfigurationError,
    Environment,
    get_settings,
    load_settings,
)
from domain.payments.models import Payment, PaymentStatus
from tests.domain.payments.support import (
    PSP,
    assert_invariants,
    deposit_webhook,
    opened_deposit,
    payment_row,
    wallet_balances,
)
from tests.support import create_player
from web.app import create_app

APPLIED = {"received": True, "applied": True}
IGNORED = {"received": True, "applied": False}
INVALID_SIGNATURE = {
    "error": {
        "code": "INVALID_SIGNATURE",
        "message": "The webhook signature is missing, invalid or stale.",
    }
}


async def _post(
    server: str, delivery: WebhookDelivery, *, host: str = "aurora.localhost"
) -> httpx.Response:
    async with httpx.AsyncClient(base_url=server, headers={"host": host}) as client:
        return await client.post(
            delivery.path, content=delivery.body, headers=dict(delivery.headers)
        )


async def _pending_deposit(
    db: Database, registry: BrandRegistry, amount_minor: int = 1000
) -> tuple[uuid.UUID, Payment]:
    player_id = await create_player(db, registry)
    return player_id, await opened_deposit(db, player_id, amount_minor)


async def test_success_is_credited_and_every_redelivery_answers_200_without_effect(
    server: str, db: Database, registry: BrandRegistry
) -> None:
    player_id, payment = await _pending_deposit(db, registry)
    delivery = deposit_webhook(payment, ProviderStatus.SUCCEEDED)

    first = await _post(server, delivery)
    duplicate = await _post(server, delivery)
    late = await _post(server, PSP.redeliver(delivery, now=clock.now() + timedelta(minutes=1)))

    assert [(r.status_code, r.json()) for r in (first, duplicate, late)] == [
        (200, APPLIED),
        (200, IGNORED),
        (200, IGNORED),
    ]
    assert await wallet_balances(db, player_id) == {"cash": 1000, "withdrawal_pending": 0}
    await assert_invariants(db)


async def test_the_late_scenario_refuses_the_stale_copy_and_credits_the_retry(
    server: str, db: Database, registry: BrandRegistry
) -> None:
    player_id, payment = await _pending_deposit(db, registry, 1004)
    assert payment.redirect_url is not None

    replies = [await _post(server, d) for d in PSP.complete_checkout(payment.redirect_url)]

    assert [(r.status_code, r.json()) for r in replies] == [
        (401, INVALID_SIGNATURE),
        (200, APPLIED),
    ]
    assert await wallet_balances(db, player_id) == {"cash": 1004, "withdrawal_pending": 0}


async def test_a_forged_signature_gets_401_and_changes_nothing(
    server: str, db: Database, registry: BrandRegistry
) -> None:
    player_id, payment = await _pending_deposit(db, registry)
    genuine = deposit_webhook(payment, ProviderStatus.SUCCEEDED)
    forged_by_other_secret = SandboxPsp("an-attacker-guessed-secret").deposit_webhook(
        reference=str(payment.psp_reference), merchant_reference=str(payment.id),
        amount_minor=1000, currency="EUR", status=ProviderStatus.SUCCEEDED,
    )  # fmt: skip
    tampered_body = WebhookDelivery(
        genuine.path, genuine.headers, genuine.body.replace(b"1000", b"9000")
    )
    unsigned = WebhookDelivery(genuine.path, {}, genuine.body)

    replies = [await _post(server, d) for d in (forged_by_other_secret, tampered_body, unsigned)]

    assert [(r.status_code, r.json()) for r in replies] == [(401, INVALID_SIGNATURE)] * 3
    assert (await payment_row(db, payment.id)).status == PaymentStatus.PENDING
    assert await wallet_balances(db, player_id) == {"cash": 0, "withdrawal_pending": 0}


async def test_a_stale_or_future_timestamp_gets_401_and_changes_nothing(
    server: str, db: Database, registry: BrandRegistry
) -> None:
    player_id, payment = await _pending_deposit(db, registry)
    delivery = deposit_webhook(payment, ProviderStatus.SUCCEEDED)
    # A minute past the 300 s window each way: a second past it let the future one through
    # when the request took over a second to arrive (a loaded CI machine).
    stale = PSP.redeliver(delivery, now=clock.now() - timedelta(seconds=360))
    future = PSP.redeliver(delivery, now=clock.now() + timedelta(seconds=360))

    replies = [await _post(server, stale), await _post(server, future)]

    assert [(r.status_code, r.json()) for r in replies] == [(401, INVALID_SIGNATURE)] * 2
    assert (await payment_row(db, payment.id)).status == PaymentStatus.PENDING
    assert await wallet_balances(db, player_id) == {"cash": 0, "withdrawal_pending": 0}


async def test_failure_credits_nothing_and_pending_stays_pending(
    server: str, db: Database, registry: BrandRegistry
) -> None:
    failing_player, failing = await _pending_deposit(db, registry, 1001)
    waiting_player, waiting = await _pending_deposit(db, registry, 1002)
    assert failing.redirect_url is not None and waiting.redirect_url is not None

    (failed,) = [await _post(server, d) for d in PSP.complete_checkout(failing.redirect_url)]
    (pending,) = [await _post(server, d) for d in PSP.complete_checkout(waiting.redirect_url)]

    assert (failed.status_code, failed.json()) == (200, APPLIED)
    assert (pending.status_code, pending.json()) == (200, IGNORED)
    assert (await payment_row(db, failing.id)).status == PaymentStatus.FAILED
    assert (await payment_row(db, waiting.id)).status == PaymentStatus.PENDING
    assert await wallet_balances(db, failing_player) == {"cash": 0, "withdrawal_pending": 0}
    assert await wallet_balances(db, waiting_player) == {"cash": 0, "withdrawal_pending": 0}
    await assert_invariants(db)


async def test_a_webhook_on_another_brands_host_finds_nothing(
    server: str, db: Database, registry: BrandRegistry
) -> None:
    player_id, payment = await _pending_deposit(db, registry)

    reply = await _post(
        server, deposit_webhook(payment, ProviderStatus.SUCCEEDED), host="northstar.localhost"
    )

    assert (reply.status_code, reply.json()["error"]["code"]) == (404, "PAYMENT_NOT_FOUND")
    assert await wallet_balances(db, player_id) == {"cash": 0, "withdrawal_pending": 0}


async def test_unknown_provider_malformed_and_oversized_bodies_are_refused(
    server: str, db: Database, registry: BrandRegistry
) -> None:
    _, payment = await _pending_deposit(db, registry)
    genuine = deposit_webhook(payment, ProviderStatus.SUCCEEDED)
    unknown = WebhookDelivery("/callbacks/psp/nope", genuine.headers, genuine.body)
    malformed = PSP.redeliver(WebhookDelivery(genuine.path, {}, b'{"id": "evt_1"}'))
    oversized = WebhookDelivery(genuine.path, genuine.headers, b"x" * (64 * 1024 + 1))

    replies = [await _post(server, d) for d in (unknown, malformed, oversized)]

    assert [(r.status_code, r.json()["error"]["code"]) for r in replies] == [
        (404, "UNKNOWN_PROVIDER"),
        (400, "MALFORMED_WEBHOOK"),
        (413, "BODY_TOO_LARGE"),
    ]
    assert (await payment_row(db, payment.id)).status == PaymentStatus.PENDING


@pytest.mark.parametrize(
    ("path", "value"),
    [
        (("data", "amount_minor"), 10**20),  # beyond a bigint
        (("data", "amount_minor"), 1000.0),
        (("data", "amount_minor"), "1000"),
        (("data", "amount_minor"), True),
        (("data", "currency"), "EUR\u0000"),
        (("id",), "evt\u0000"),
        (("data", "failure_reason"), "x" * 10_000),
    ],
)
async def test_a_signed_webhook_with_a_malformed_amount_or_text_changes_nothing(
    server: str, db: Database, registry: BrandRegistry, path: tuple[str, ...], value: object
) -> None:
    player_id, payment = await _pending_deposit(db, registry)
    genuine = deposit_webhook(payment, ProviderStatus.SUCCEEDED)
    document = json.loads(genuine.body)
    *parents, leaf = path
    target = document
    for name in parents:
        target = target[name]
    target[leaf] = value
    edited = PSP.redeliver(WebhookDelivery(genuine.path, {}, json.dumps(document).encode()))

    reply = await _post(server, edited)

    assert (reply.status_code, reply.json()["error"]["code"]) == (400, "MALFORMED_WEBHOOK")
    assert (await payment_row(db, payment.id)).status == PaymentStatus.PENDING
    assert await wallet_balances(db, player_id) == {"cash": 0, "withdrawal_pending": 0}


async def test_the_hosted_page_refuses_an_edited_checkout_link(
    server: str, db: Database, registry: BrandRegistry
) -> None:
    player_id, payment = await _pending_deposit(db, registry)
    assert payment.redirect_url is not None
    edited = payment.redirect_url.replace("a=1000", "a=100000")

    async with httpx.AsyncClient(base_url=server, headers={"host": "aurora.localhost"}) as client:
        page = await client.get(edited)
        paid = await client.post(edited.replace("?", "/pay?", 1))
        cross_site = await client.post(
            payment.redirect_url.replace("?", "/pay?", 1),
            headers={"origin": "https://evil.example"},
        )

    assert (page.status_code, paid.status_code, cross_site.status_code) == (404, 404, 403)
    assert await wallet_balances(db, player_id) == {"cash": 0, "withdrawal_pending": 0}


async def test_the_hosted_page_fail_button_credits_nothing(
    server: str, db: Database, registry: BrandRegistry
) -> None:
    player_id, payment = await _pending_deposit(db, registry)
    assert payment.redirect_url is not None

    async with httpx.AsyncClient(base_url=server, headers={"host": "aurora.localhost"}) as client:
        failed = await client.post(payment.redirect_url.replace("?", "/fail?", 1))

    assert failed.status_code == 200
    assert "Payment not completed" in failed.text
    assert (await payment_row(db, payment.id)).status == PaymentStatus.FAILED
    assert await wallet_balances(db, player_id) == {"cash": 0, "withdrawal_pending": 0}


def test_production_offers_no_test_psp(registry: BrandRegistry) -> None:
    settings = get_settings().model_copy(
        update={"env": Environment.PRODUCTION, "secret_key": "x" * 32}
    )
    # No lifespan: none of these requests may reach the database.
    client = TestClient(create_app(settings, registry), base_url="http://aurora.localhost")
    delivery = PSP.deposit_webhook(
        reference="tp_dep_x", merchant_reference=None, amount_minor=100, currency="EUR",
        status=ProviderStatus.SUCCEEDED,
    )  # fmt: skip

    webhook = client.post(delivery.path, content=delivery.body, headers=dict(delivery.headers))
    page = client.get("/test-psp/checkout/tp_dep_x")

    assert (webhook.status_code, json.loads(webhook.text)["error"]["code"]) == (
        404,
        "UNKNOWN_PROVIDER",
    )
    assert page.status_code == 404
    assert dict(payment_providers(settings)) == {}


def test_production_refuses_the_public_dev_webhook_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STAKEHOUSE_ENV", "production")
    monkeypatch.setenv("STAKEHOUSE_SECRET_KEY", "s" * 32)
    monkeypatch.delenv("STAKEHOUSE_PSP_WEBHOOK_SECRET", raising=False)
    monkeypatch.setenv("STAKEHOUSE_MAIL_WEBHOOK_SECRET", "mail_" + "m" * 32)
    monkeypatch.setenv("STAKEHOUSE_UNSUBSCRIBE_SECRET", "unsubscribe_" + "u" * 32)

    with pytest.raises(ConfigurationError, match="STAKEHOUSE_PSP_WEBHOOK_SECRET"):
        load_settings()
    monkeypatch.setenv("STAKEHOUSE_PSP_WEBHOOK_SECRET", "whsec_" + "r" * 32)
    assert load_settings().psp_webhook_secret == "whsec_" + "r" * 32
