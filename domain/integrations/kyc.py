"""The KYC provider port: what the compliance context needs from an identity-verification
provider.

A provider opens a check for a tier (a hosted flow: the player goes to its page, uploads
documents, takes a selfie) and later tells its decision by webhook: approved (with the
document it read and its expiry), rejected with a reason, resubmission requested, or
manual review. Webhooks are signed like the PSP's (HMAC-SHA256 over `timestamp.body`, a
five-minute window, fail closed: `HmacSignatureScheme`); each decision carries the
provider's `sequence`, increasing per check, so decisions delivered late or out of order
are put back in the provider's order.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Any, Protocol

from domain.integrations.psp import InvalidWebhook, ProviderUnavailable, call_provider
from domain.kernel.errors import DomainError

__all__ = [
    "CheckRequest",
    "CheckSession",
    "DecisionEvent",
    "InvalidWebhook",
    "KycOutcome",
    "KycProvider",
    "MalformedKycWebhook",
    "ProviderUnavailable",
    "UnknownKycProvider",
    "VerifiedIdentity",
    "call_provider",
    "parse_decision",
]

REFERENCE_PATTERN = re.compile(r"^[\x21-\x7e]{1,200}$")
_TEXT = re.compile(r"[^\x00-\x1f\x7f]{1,500}")
# A sequence is a positive 63-bit integer (PostgreSQL bigint).
SEQUENCE_MAX = 2**63 - 1


class KycOutcome(StrEnum):
    APPROVED = "approved"
    REJECTED = "rejected"
    RESUBMISSION_REQUESTED = "resubmission_requested"
    MANUAL_REVIEW = "manual_review"


class MalformedKycWebhook(DomainError):
    code = "MALFORMED_WEBHOOK"
    message = "The webhook body is not a KYC decision this platform understands."


class UnknownKycProvider(DomainError):
    code = "UNKNOWN_PROVIDER"
    message = "No such KYC provider."


@dataclass(frozen=True)
class CheckRequest:
    # Our check id: the provider's idempotency key, so a retried call opens nothing new.
    merchant_reference: str
    brand: str
    player_reference: str
    tier: str
    # Where the hosted flow sends the player back.
    return_url: str


@dataclass(frozen=True)
class CheckSession:
    reference: str
    flow_url: str


@dataclass(frozen=True)
class VerifiedIdentity:
    """Who the provider verified: the name and birth date read from the document and the
    address it checked (not what the player typed into their profile)."""

    given_name: str
    family_name: str
    date_of_birth: date
    address_line1: str
    postal_code: str
    address_country: str


@dataclass(frozen=True)
class DecisionEvent:
    """A verified decision. The same event may arrive several times (same `event_id`)."""

    event_id: str
    reference: str
    outcome: KycOutcome
    sequence: int
    decided_at: datetime
    reason: str | None = None
    document_type: str | None = None
    document_expires_on: date | None = None
    # The document's number as the provider read it (links one person's accounts).
    document_number: str | None = None
    # The identity the provider verified (approvals only; links one person's accounts).
    identity: VerifiedIdentity | None = None


class KycProvider(Protocol):
    @property
    def name(self) -> str: ...

    async def start_check(self, request: CheckRequest) -> CheckSession:
        """Open a check. Idempotent on `merchant_reference`."""
        ...

    def verify_webhook(
        self, headers: Mapping[str, str], body: bytes, *, now: datetime
    ) -> DecisionEvent:
        """The decision of a genuine, fresh webhook. Errors: InvalidWebhook,
        MalformedKycWebhook."""
        ...


def parse_decision(body: bytes) -> DecisionEvent:
    """Read the JSON decision shape of the built-in provider:

        {"id": "evt_…", "type": "check.decided", "created": <unix seconds>,
         "data": {"reference": "…", "outcome": "approved" | "rejected"
                    | "resubmission_requested" | "manual_review",
                  "sequence": 17, "decided_at": <unix seconds>, "reason": null,
                  "document": {"type": "passport", "expires_on": "2031-05-01",
                               "number": "X1234567"} | null,
                  "person": {"given_name": "…", "family_name": "…",
                             "date_of_birth": "1990-04-01", "address_line1": "…",
                             "postal_code": "…", "address_country": "SE"} | null}}

    Errors: MalformedKycWebhook.
    """
    try:
        document: Any = json.loads(body)
        if document["type"] != "check.decided":
            raise ValueError("not a decision")
        data = document["data"]
        paper = data.get("document")
        person = data.get("person")
        event = DecisionEvent(
            event_id=_text(document["id"]),
            reference=_text(data["reference"]),
            outcome=KycOutcome(data["outcome"]),
            sequence=_integer(data["sequence"]),
            decided_at=datetime.fromtimestamp(_integer(data["decided_at"]), UTC),
            reason=None if data.get("reason") is None else _text(data["reason"]),
            document_type=None if paper is None else _text(paper["type"]),
            document_expires_on=(
                None
                if paper is None or paper.get("expires_on") is None
                else date.fromisoformat(_text(paper["expires_on"]))
            ),
            document_number=(
                None if paper is None or paper.get("number") is None else _text(paper["number"])
            ),
            identity=None if person is None else _identity(person),
        )
    except (ValueError, KeyError, TypeError, AttributeError, OverflowError):
        raise MalformedKycWebhook() from None
    if not REFERENCE_PATTERN.match(event.reference) or not 0 < event.sequence <= SEQUENCE_MAX:
        raise MalformedKycWebhook()
    return event


def _identity(person: Any) -> VerifiedIdentity:
    return VerifiedIdentity(
        given_name=_text(person["given_name"]),
        family_name=_text(person["family_name"]),
        date_of_birth=date.fromisoformat(_text(person["date_of_birth"])),
        address_line1=_text(person["address_line1"]),
        postal_code=_text(person["postal_code"]),
        address_country=_text(person["address_country"]),
    )


def _integer(value: object) -> int:
    if type(value) is not int:
        raise TypeError("not an integer")
    return value


def _text(value: object) -> str:
    if not isinstance(value, str) or not _TEXT.fullmatch(value):
        raise ValueError("not printable text of 1-500 characters")
    return value
