"""The seamless-wallet protocol: what a provider sends and what it is answered.

POST /providers/{provider}/wallet/{authenticate|balance|bet|win|rollback}
{"request_uuid", "transaction_uuid", "reference_transaction_uuid", "token", "user",
 "round", "round_closed", "game_code", "amount" (integer minor units), "currency",
 "is_free", "reward_uuid"}
-> {"status", "request_uuid", "user", "currency", "balance"}

A free round (free spin) is a bet with `is_free: true` and the `reward_uuid` of free rounds
the operator granted at the provider: it stakes no money (its amount is the reward's stake
per round); its win is paid by the operator's bonus engine, per the reward's terms.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from domain.casino.errors import MalformedRequest, WalletStatus
from domain.kernel.money import AmountError, parse_minor_units

# Ids are printable ASCII and short: they become ledger idempotency keys (1-200 chars).
IDENTIFIER = re.compile(r"^[\x21-\x7e]{1,100}$")
TOKEN = re.compile(r"^[A-Za-z0-9_-]{16,128}$")


class WalletOperation(StrEnum):
    AUTHENTICATE = "authenticate"
    BALANCE = "balance"
    BET = "bet"
    WIN = "win"
    ROLLBACK = "rollback"


# The fields each operation must carry (beyond request_uuid, token and user).
_REQUIRED = {
    WalletOperation.AUTHENTICATE: (),
    WalletOperation.BALANCE: (),
    WalletOperation.BET: ("transaction_uuid", "round", "game_code", "amount", "currency"),
    WalletOperation.WIN: (
        "transaction_uuid",
        "reference_transaction_uuid",
        "round",
        "amount",
        "currency",
    ),
    WalletOperation.ROLLBACK: ("transaction_uuid", "reference_transaction_uuid"),
}


@dataclass(frozen=True)
class WalletRequest:
    operation: WalletOperation
    request_uuid: str
    token: str
    user: str
    transaction_uuid: str | None = None
    reference_transaction_uuid: str | None = None
    round: str | None = None
    round_closed: bool = False
    game_code: str | None = None
    amount_minor: int | None = None
    currency: str | None = None
    is_free: bool = False
    reward_uuid: str | None = None


@dataclass(frozen=True)
class WalletReply:
    status: WalletStatus
    currency: str | None = None
    balance_minor: int | None = None


def parse_request(operation: WalletOperation, body: bytes) -> WalletRequest:
    """Read a signed body. Errors: MalformedRequest."""
    try:
        document: Any = json.loads(body)
    except ValueError:
        raise MalformedRequest() from None
    if not isinstance(document, dict):
        raise MalformedRequest()
    for name in ("request_uuid", "token", "user", *_REQUIRED[operation]):
        if document.get(name) is None:
            raise MalformedRequest(field=name)
    # A free round names the reward (the operator's free rounds) it is played from.
    free = operation is WalletOperation.BET and document.get("is_free") is True
    if free and document.get("reward_uuid") is None:
        raise MalformedRequest(field="reward_uuid")
    return WalletRequest(
        operation=operation,
        request_uuid=_identifier(document, "request_uuid") or "",
        token=_text(document, "token", TOKEN) or "",
        user=_identifier(document, "user") or "",
        transaction_uuid=_identifier(document, "transaction_uuid"),
        reference_transaction_uuid=_identifier(document, "reference_transaction_uuid"),
        round=_identifier(document, "round"),
        round_closed=_flag(document, "round_closed"),
        game_code=_identifier(document, "game_code"),
        amount_minor=_amount(document, operation),
        currency=_text(document, "currency", re.compile(r"^[A-Z]{3}$")),
        is_free=_flag(document, "is_free"),
        reward_uuid=_identifier(document, "reward_uuid"),
    )


def _text(document: dict[str, Any], name: str, pattern: re.Pattern[str]) -> str | None:
    value = document.get(name)
    if value is None:
        return None
    if not isinstance(value, str) or not pattern.match(value):
        raise MalformedRequest(field=name)
    return value


def _identifier(document: dict[str, Any], name: str) -> str | None:
    return _text(document, name, IDENTIFIER)


def _flag(document: dict[str, Any], name: str) -> bool:
    value = document.get(name, False)
    if type(value) is not bool:
        raise MalformedRequest(field=name)
    return value


def _amount(document: dict[str, Any], operation: WalletOperation) -> int | None:
    value = document.get("amount")
    if value is None:
        return None
    # bool is an int in Python; `true` as an amount is malformed. A bet moves money, so it
    # is positive; a win may be 0 (a lost round closed by its win call).
    try:
        amount_minor = parse_minor_units(value)
    except AmountError:
        raise MalformedRequest(field="amount") from None
    if operation is WalletOperation.BET and amount_minor == 0:
        raise MalformedRequest(field="amount")
    return amount_minor
