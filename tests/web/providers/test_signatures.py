"""Fail closed: unsigned, forged, stale, oversized or malformed callbacks change nothing."""

from __future__ import annotations

import json
import time

import pytest

from domain.casino.signatures import provider_secrets
from domain.kernel.db import Database
from domain.kernel.settings import DEV_CASINO_PROVIDER_SECRET, ConfigurationError, load_settings
from tests.web.provider_simulator import ProviderSimulator
from tests.web.providers.conftest import GamePlayer, execute, wallets

REFUSED = {
    "status": "RS_ERROR_INVALID_SIGNATURE",
    "request_uuid": None,
    "user": None,
    "currency": None,
    "balance": None,
}


def _bet_body(provider: ProviderSimulator) -> bytes:
    payload = provider.payload("bet", transaction_uuid="bet-1", amount=100, round="r1")
    return json.dumps(payload).encode()


async def test_forged_stale_missing_or_foreign_signatures_get_401_and_no_effect(
    db: Database, provider: ProviderSimulator, player: GamePlayer
) -> None:
    body = _bet_body(provider)
    forged = ProviderSimulator(provider.base_url, provider.token, provider.user, secret="w" * 32)
    # A minute past the 300 s window each way, so a slow request cannot bring one back inside.
    stale_headers = provider.sign(body, timestamp=int(time.time()) - 360)
    future_headers = provider.sign(body, timestamp=int(time.time()) + 360)
    tampered = body.replace(b'"amount": 100', b'"amount": 1')

    replies = [
        await forged.send("bet", body, forged.sign(body)),
        await provider.send("bet", body, stale_headers),
        await provider.send("bet", body, future_headers),
        await provider.send("bet", body, {}),
        await provider.send("bet", tampered, provider.sign(body)),
        await provider.send("bet", body, {"X-Stakehouse-Signature": "t=1,v1=00"}),
    ]
    await forged.aclose()

    assert [(r.http_status, r.body) for r in replies] == [(401, REFUSED)] * 6
    assert await wallets(db, player.player_id) == {"cash": 300, "bonus": 500}
    assert await execute(db, "SELECT count(*) FROM casino_transactions") == [(0,)]


async def test_a_provider_without_a_configured_secret_is_refused(
    provider: ProviderSimulator,
) -> None:
    provider.provider = "unknown-provider"

    reply = await provider.bet("bet-1", 100)

    assert (reply.http_status, reply.status) == (401, "RS_ERROR_INVALID_SIGNATURE")


async def test_an_oversized_body_is_refused_before_it_is_verified(
    provider: ProviderSimulator,
) -> None:
    body = json.dumps(provider.payload("bet", padding="x" * 20_000)).encode()

    reply = await provider.send("bet", body, provider.sign(body))

    assert (reply.http_status, reply.status) == (413, "RS_ERROR_UNKNOWN")


@pytest.mark.parametrize(
    "fields",
    [
        {"amount": "100"},
        {"amount": 1.5},
        {"amount": True},
        {"amount": 0},
        {"amount": -5},
        {"transaction_uuid": None},
        {"round_closed": "yes"},
    ],
)
async def test_a_signed_but_malformed_request_is_refused_with_no_effect(
    db: Database, provider: ProviderSimulator, player: GamePlayer, fields: dict[str, object]
) -> None:
    payload = provider.payload("bet", transaction_uuid="bet-1", amount=100, round="r1") | fields

    reply = await provider.call("bet", **payload)

    assert (reply.http_status, reply.status) == (400, "RS_ERROR_UNKNOWN")
    assert await wallets(db, player.player_id) == {"cash": 300, "bonus": 500}


async def test_a_free_round_without_a_granted_reward_is_refused_with_no_effect(
    db: Database, provider: ProviderSimulator, player: GamePlayer
) -> None:
    unnamed = await provider.bet("bet-1", 100, is_free=True)
    unknown = await provider.bet("bet-2", 100, is_free=True, reward_uuid="no-such-reward")

    assert (unnamed.http_status, unnamed.status) == (400, "RS_ERROR_UNKNOWN")
    assert (unknown.http_status, unknown.status) == (200, "RS_ERROR_UNKNOWN")
    assert await wallets(db, player.player_id) == {"cash": 300, "bonus": 500}


def test_production_refuses_the_dev_provider_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STAKEHOUSE_ENV", "production")
    monkeypatch.setenv("STAKEHOUSE_SECRET_KEY", "a-real-secret-key-of-enough-length")
    monkeypatch.setenv("STAKEHOUSE_PSP_WEBHOOK_SECRET", "whsec_a_real_psp_secret_value")
    monkeypatch.setenv("STAKEHOUSE_MAIL_WEBHOOK_SECRET", "mail_a_real_bounce_secret_value")
    monkeypatch.setenv("STAKEHOUSE_UNSUBSCRIBE_SECRET", "unsubscribe_a_real_link_secret")
    # Unset, production knows no provider secret: every callback is refused.
    assert provider_secrets(load_settings(), "stakehouse-originals") == ()

    monkeypatch.setenv(
        "STAKEHOUSE_CASINO_PROVIDER_SECRETS", f"stakehouse-originals={DEV_CASINO_PROVIDER_SECRET}"
    )
    with pytest.raises(ConfigurationError, match="CASINO_PROVIDER_SECRETS"):
        load_settings()

    monkeypatch.setenv("STAKEHOUSE_CASINO_PROVIDER_SECRETS", "stakehouse-originals=" + "s" * 32)
    assert provider_secrets(load_settings(), "stakehouse-originals") == ("s" * 32,)


def test_outside_production_the_demo_provider_signs_with_the_public_dev_secret() -> None:
    assert provider_secrets(load_settings(), "stakehouse-originals") == (
        DEV_CASINO_PROVIDER_SECRET,
    )
    assert provider_secrets(load_settings(), "unknown-provider") == ()
