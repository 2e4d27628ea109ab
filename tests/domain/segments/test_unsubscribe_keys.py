"""Unsubscribe links have their own key: drawn from `unsubscribe_secret` under a label of
their own (HMAC-SHA256), never the app's `secret_key` itself; rotating `secret_key` leaves
sent links working, and rotating the link key keeps the previous one accepted for as long
as it is listed. Production refuses to start without the dedicated secret."""

from __future__ import annotations

import hashlib
import hmac
import uuid

import pytest

from domain.kernel.settings import ConfigurationError, Settings, get_settings, load_settings
from domain.segments import consent
from domain.segments.errors import InvalidUnsubscribeToken
from domain.segments.models import ConsentChannel

BRAND = "aurora"
PLAYER = uuid.UUID("5b0f1c52-7a3e-4c55-9a57-1d8f6f0a2b11")
FIRST = "first-unsubscribe-secret-0123456789"
SECOND = "second-unsubscribe-secret-0123456789"


def _use(monkeypatch: pytest.MonkeyPatch, **changes: object) -> Settings:
    settings = get_settings().model_copy(update=changes)
    monkeypatch.setattr(consent, "get_settings", lambda: settings)
    return settings


def test_a_link_signed_with_the_dedicated_key_is_read_back(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _use(monkeypatch, unsubscribe_secret=FIRST)
    token = consent.unsubscribe_token(BRAND, PLAYER, ConsentChannel.SMS)

    assert consent.read_unsubscribe_token(token, BRAND) == (PLAYER, ConsentChannel.SMS)
    with pytest.raises(InvalidUnsubscribeToken):
        consent.read_unsubscribe_token(token, "borealis")


def test_the_link_key_is_neither_the_secret_key_nor_the_bare_secret(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    settings = _use(monkeypatch, unsubscribe_secret=FIRST, secret_key=FIRST)
    (key,) = settings.unsubscribe_keys
    assert key not in (FIRST.encode(), hashlib.sha256(FIRST.encode()).digest())
    # Domain separation: the same material keys linking's digests differently.
    linking = hmac.new(FIRST.encode(), b"compliance.linking", hashlib.sha256).digest()
    assert key != linking
    # A link forged with the bare secret (as an HMAC key) is refused.
    token = consent.unsubscribe_token(BRAND, PLAYER, ConsentChannel.EMAIL)
    body = token.split(".")[0]
    padded = body + "=" * (-len(body) % 4)
    forged = hmac.new(FIRST.encode(), padded.encode(), hashlib.sha256).hexdigest()[:32]
    with pytest.raises(InvalidUnsubscribeToken):
        consent.read_unsubscribe_token(f"{body}.{forged}", BRAND)


def test_rotating_the_secret_key_leaves_sent_links_working(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _use(monkeypatch, unsubscribe_secret=FIRST, secret_key="an-old-app-secret-key-0123456789")
    token = consent.unsubscribe_token(BRAND, PLAYER, ConsentChannel.EMAIL)

    _use(monkeypatch, unsubscribe_secret=FIRST, secret_key="a-new-app-secret-key-0123456789")
    assert consent.read_unsubscribe_token(token, BRAND) == (PLAYER, ConsentChannel.EMAIL)


def test_a_rotated_link_key_is_accepted_while_listed_as_previous_and_never_signs(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _use(monkeypatch, unsubscribe_secret=FIRST)
    old_link = consent.unsubscribe_token(BRAND, PLAYER, ConsentChannel.EMAIL)

    _use(monkeypatch, unsubscribe_secret=SECOND, unsubscribe_previous_secrets=[FIRST])
    new_link = consent.unsubscribe_token(BRAND, PLAYER, ConsentChannel.EMAIL)
    assert new_link != old_link
    assert consent.read_unsubscribe_token(old_link, BRAND) == (PLAYER, ConsentChannel.EMAIL)
    assert consent.read_unsubscribe_token(new_link, BRAND) == (PLAYER, ConsentChannel.EMAIL)

    _use(monkeypatch, unsubscribe_secret=SECOND, unsubscribe_previous_secrets=[])
    with pytest.raises(InvalidUnsubscribeToken):
        consent.read_unsubscribe_token(old_link, BRAND)
    assert consent.read_unsubscribe_token(new_link, BRAND) == (PLAYER, ConsentChannel.EMAIL)


def test_previous_secrets_come_from_a_comma_separated_variable(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("STAKEHOUSE_UNSUBSCRIBE_PREVIOUS_SECRETS", f"{FIRST}, {SECOND}")
    assert load_settings().unsubscribe_previous_secrets == [FIRST, SECOND]
    monkeypatch.setenv("STAKEHOUSE_UNSUBSCRIBE_PREVIOUS_SECRETS", "short")
    with pytest.raises(ConfigurationError, match="UNSUBSCRIBE_PREVIOUS_SECRETS"):
        load_settings()


def test_production_refuses_to_start_without_the_dedicated_secret(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("STAKEHOUSE_ENV", "production")
    monkeypatch.setenv("STAKEHOUSE_SECRET_KEY", "s" * 32)
    monkeypatch.setenv("STAKEHOUSE_PSP_WEBHOOK_SECRET", "whsec_" + "r" * 32)
    monkeypatch.setenv("STAKEHOUSE_MAIL_WEBHOOK_SECRET", "mail_" + "m" * 32)
    monkeypatch.delenv("STAKEHOUSE_UNSUBSCRIBE_SECRET", raising=False)

    with pytest.raises(ConfigurationError, match="STAKEHOUSE_UNSUBSCRIBE_SECRET"):
        load_settings()
    monkeypatch.setenv("STAKEHOUSE_UNSUBSCRIBE_SECRET", FIRST)
    assert load_settings().unsubscribe_keys == (
        hmac.new(
            FIRST.encode(), b"stakehouse/segments/unsubscribe-link/v1", hashlib.sha256
        ).digest(),
    )
