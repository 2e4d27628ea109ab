"""The built-in test KYC provider: behaves like a real one, without a network.

It opens checks with a hosted flow (a signed link to its own page, served by this platform
outside production at `/test-kyc/flow/<reference>`), where the tester chooses the outcome:
approve, reject, ask for resubmission, or send to manual review. It then signs its decision
webhooks exactly as a real provider does (see `domain.integrations.kyc`):

    X-Test-Kyc-Timestamp: <unix seconds>
    X-Test-Kyc-Signature: v1=<hex HMAC-SHA256(secret, timestamp + "." + raw body)>

Where a real provider would POST, it returns the requests (`WebhookDelivery`) and the
hosted page (or a test) POSTs them to `/callbacks/kyc/test` on the brand host. Like real
providers it delivers at least once and not always on time (`Delivery`):

    normal      one webhook
    duplicate   the same webhook twice, byte for byte
    late        the webhook signed ten minutes ago (stale: must be refused), then the
                provider's retry of it, freshly signed
A decision's `sequence` is the decision time in microseconds unless given, so a decision
taken later always has a higher one, whenever it is delivered. `unavailable=True` makes
every call fail as a refused connection would.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import ClassVar
from urllib.parse import parse_qs, urlencode, urlsplit

from domain.integrations.kyc import (
    CheckRequest,
    CheckSession,
    DecisionEvent,
    KycOutcome,
    VerifiedIdentity,
    parse_decision,
)
from domain.integrations.psp import HmacSignatureScheme
from domain.integrations.psp_sandbox import WebhookDelivery
from domain.kernel import clock
from domain.kernel.settings import DEV_KYC_WEBHOOK_SECRET

PROVIDER_NAME = "test"
FLOW_BASE_URL = "/test-kyc/flow"
TIMESTAMP_HEADER = "X-Test-Kyc-Timestamp"
SIGNATURE_HEADER = "X-Test-Kyc-Signature"
LATE_DELAY = timedelta(minutes=10)
# An approved identity document stays valid this long unless the test says otherwise.
DOCUMENT_VALIDITY = timedelta(days=5 * 365)
SECRET_LENGTH_MIN = 16
_REFERENCE_HEX_CHARS = 24
_REASONS = {
    KycOutcome.REJECTED: "document_unreadable",
    KycOutcome.RESUBMISSION_REQUESTED: "photo_blurred",
    KycOutcome.MANUAL_REVIEW: "name_mismatch",
}


class Delivery(StrEnum):
    NORMAL = "normal"
    DUPLICATE = "duplicate"
    LATE = "late"


@dataclass(frozen=True)
class Flow:
    """What a hosted-flow link carries (signed, so it cannot be edited)."""

    reference: str
    merchant_reference: str
    tier: str
    return_url: str


class InvalidFlow(ValueError):
    """A flow link this provider did not issue (or one that was edited)."""


class SandboxKyc:
    """The test provider. Stateless: references derive from our check id."""

    default_name: ClassVar[str] = PROVIDER_NAME

    def __init__(
        self,
        secret: str = DEV_KYC_WEBHOOK_SECRET,
        *,
        name: str = PROVIDER_NAME,
        unavailable: bool = False,
    ) -> None:
        if len(secret) < SECRET_LENGTH_MIN:
            raise ValueError(f"a webhook secret has at least {SECRET_LENGTH_MIN} characters")
        self._name = name
        self._secret = secret.encode()
        self._unavailable = unavailable
        self.scheme = HmacSignatureScheme(TIMESTAMP_HEADER, SIGNATURE_HEADER)

    @property
    def name(self) -> str:
        return self._name

    @property
    def webhook_path(self) -> str:
        return f"/callbacks/kyc/{self._name}"

    # -- the port ------------------------------------------------------------------------

    async def start_check(self, request: CheckRequest) -> CheckSession:
        if self._unavailable:
            raise ConnectionError("test KYC provider: connection refused")
        reference = self._reference("chk", request.merchant_reference)
        flow = Flow(reference, request.merchant_reference, request.tier, request.return_url)
        query = {
            "m": flow.merchant_reference,
            "t": flow.tier,
            "r": flow.return_url,
            "s": self._flow_signature(flow),
        }
        return CheckSession(reference, f"{FLOW_BASE_URL}/{reference}?{urlencode(query)}")

    def verify_webhook(
        self, headers: Mapping[str, str], body: bytes, *, now: datetime
    ) -> DecisionEvent:
        self.scheme.verify((self._secret,), headers, body, now=now)
        return parse_decision(body)

    # -- the provider's side: the hosted flow and its webhooks ---------------------------

    def read_flow(self, flow_url: str) -> Flow:
        """The flow a link stands for. Errors: InvalidFlow."""
        parts = urlsplit(flow_url)
        query = {key: values[0] for key, values in parse_qs(parts.query).items()}
        try:
            flow = Flow(parts.path.rsplit("/", 1)[-1], query["m"], query["t"], query["r"])
        except KeyError:
            raise InvalidFlow(flow_url) from None
        if not hmac.compare_digest(
            self._flow_signature(flow).encode(), query.get("s", "").encode()
        ):
            raise InvalidFlow(flow_url)
        return flow

    def complete_flow(
        self,
        flow_url: str,
        outcome: KycOutcome,
        *,
        delivery: Delivery = Delivery.NORMAL,
        now: datetime | None = None,
        document_number: str | None = None,
        person: VerifiedIdentity | None = None,
    ) -> list[WebhookDelivery]:
        """The tester chose `outcome` on the hosted page (and, for an approval, the number
        of the document shown, default one of this check's own, and the identity the
        provider read and verified, default none): the webhooks the provider sends.
        Errors: InvalidFlow."""
        flow = self.read_flow(flow_url)
        at = now or clock.now()
        webhook = self.decision_webhook(
            reference=flow.reference, outcome=outcome, decided_at=at,
            document_number=document_number, person=person,
        )  # fmt: skip
        if delivery is Delivery.DUPLICATE:
            return [webhook, webhook]
        if delivery is Delivery.LATE:
            stale = self.decision_webhook(
                reference=flow.reference, outcome=outcome, decided_at=at, signed_at=at - LATE_DELAY
            )
            return [stale, self.redeliver(stale, now=at)]
        return [webhook]

    def decision_webhook(
        self,
        *,
        reference: str,
        outcome: KycOutcome,
        decided_at: datetime | None = None,
        sequence: int | None = None,
        signed_at: datetime | None = None,
        reason: str | None = None,
        document_type: str = "passport",
        document_expires_on: date | None = None,
        document_number: str | None = None,
        person: VerifiedIdentity | None = None,
    ) -> WebhookDelivery:
        """A `check.decided` webhook for the decision taken at `decided_at` (default now),
        signed at `signed_at` (default: when decided)."""
        decided = decided_at or clock.now()
        order = sequence if sequence is not None else int(decided.timestamp() * 1_000_000)
        approved = outcome is KycOutcome.APPROVED
        expires = document_expires_on or (decided + DOCUMENT_VALIDITY).date()
        document = {
            "id": self._reference("evt", f"{reference}:{order}:{outcome.value}"),
            "type": "check.decided",
            "created": int(decided.timestamp()),
            "data": {
                "reference": reference,
                "outcome": outcome.value,
                "sequence": order,
                "decided_at": int(decided.timestamp()),
                "reason": None if approved else (reason or _REASONS[outcome]),
                "document": (
                    {
                        "type": document_type,
                        "expires_on": expires.isoformat(),
                        # A number of this check's own unless the tester chose one.
                        "number": document_number
                        or "SBX" + hashlib.sha256(reference.encode()).hexdigest()[:9].upper(),
                    }
                    if approved
                    else None
                ),
                "person": (
                    {
                        "given_name": person.given_name,
                        "family_name": person.family_name,
                        "date_of_birth": person.date_of_birth.isoformat(),
                        "address_line1": person.address_line1,
                        "postal_code": person.postal_code,
                        "address_country": person.address_country,
                    }
                    if approved and person is not None
                    else None
                ),
            },
        }
        body = json.dumps(document, separators=(",", ":")).encode()
        timestamp = int((signed_at or decided).timestamp())
        return WebhookDelivery(
            self.webhook_path, self.scheme.headers(self._secret, timestamp, body), body
        )

    def redeliver(
        self, delivery: WebhookDelivery, *, now: datetime | None = None
    ) -> WebhookDelivery:
        """The provider's retry of `delivery`: the same body, signed again at `now`."""
        timestamp = int((now or clock.now()).timestamp())
        return WebhookDelivery(
            delivery.path,
            self.scheme.headers(self._secret, timestamp, delivery.body),
            delivery.body,
        )

    def _reference(self, prefix: str, seed: str) -> str:
        digest = hmac.new(self._secret, f"{prefix}:{seed}".encode(), hashlib.sha256).hexdigest()
        return f"tk_{prefix}_{digest[:_REFERENCE_HEX_CHARS]}"

    def _flow_signature(self, flow: Flow) -> str:
        canonical = "|".join((flow.reference, flow.merchant_reference, flow.tier, flow.return_url))
        return hmac.new(self._secret, f"flow:{canonical}".encode(), hashlib.sha256).hexdigest()
