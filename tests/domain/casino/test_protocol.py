"""Signature verification and request parsing, as pure functions."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from domain.casino.errors import InvalidSignature, MalformedRequest
from domain.casino.protocol import WalletOperation, parse_request
from domain.casino.signatures import TOLERANCE_S, signature_header, verify

SECRET = "s" * 32
NOW = datetime(2026, 1, 1, tzinfo=UTC)
STAMP = int(NOW.timestamp())
BODY = b'{"a": 1}'


def test_a_fresh_signature_with_a_current_secret_verifies() -> None:
    verify([SECRET], signature_header(SECRET, STAMP, BODY), BODY, now=NOW)
    verify(["old" * 8, SECRET], signature_header(SECRET, STAMP - TOLERANCE_S, BODY), BODY, now=NOW)


@pytest.mark.parametrize(
    "header",
    [
        None,
        "",
        f"v1={signature_header(SECRET, STAMP, BODY).split('v1=')[1]}",
        signature_header(SECRET, STAMP - TOLERANCE_S - 1, BODY),
        signature_header(SECRET, STAMP + TOLERANCE_S + 1, BODY),
        signature_header("x" * 32, STAMP, BODY),
        f"t={STAMP},t={STAMP},v1=00",
        "t=abc,v1=00",
    ],
)
def test_anything_else_is_an_invalid_signature(header: str | None) -> None:
    with pytest.raises(InvalidSignature):
        verify([SECRET], header, BODY, now=NOW)


def test_no_secret_verifies_nothing() -> None:
    with pytest.raises(InvalidSignature):
        verify([], signature_header(SECRET, STAMP, BODY), BODY, now=NOW)


def test_a_win_may_be_zero_and_a_bet_may_not() -> None:
    base = {"request_uuid": "r", "token": "t" * 20, "user": "u", "transaction_uuid": "x",
            "reference_transaction_uuid": "b", "round": "1", "game_code": "g", "currency": "EUR"}  # fmt: skip

    win = parse_request(WalletOperation.WIN, json.dumps(base | {"amount": 0}).encode())

    assert win.amount_minor == 0
    with pytest.raises(MalformedRequest):
        parse_request(WalletOperation.BET, json.dumps(base | {"amount": 0}).encode())
    with pytest.raises(MalformedRequest):
        parse_request(WalletOperation.BET, b"[1, 2]")
