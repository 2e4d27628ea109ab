"""The built-in test PSP: behaves like a real provider, without a network.

It opens hosted checkouts (a redirect URL and a reference) or charges directly, pays out,
and signs its webhooks exactly as a real PSP does (see `domain.integrations.psp`):

    X-Test-Psp-Timestamp: <unix seconds>
    X-Test-Psp-Signature: v1=<hex HMAC-SHA256(secret, timestamp + "." + raw body)>

It never calls anyone. Where a real PSP would POST a webhook, it returns the request
(`WebhookDelivery`: path, headers, body) and the test, or the dev checkout page
(`web/callbacks.py`), POSTs it to `/callbacks/psp/test` on the brand host.

Outcomes are deterministic. Without an explicit `scenario` argument they follow the last two
digits of the amount in minor units (10.00 EUR = 1000 succeeds, 10.01 EUR = 1001 fails):

    deposits    ..00 and anything not below: SUCCESS
                ..01 FAILURE    one `deposit.failed`
                ..02 PENDING    one `deposit.pending` (send the final event yourself)
                ..03 DUPLICATE  `deposit.succeeded` twice, byte for byte
                ..04 LATE       `deposit.succeeded` signed 10 minutes ago (stale: must be
                                refused), then the PSP's retry of it, freshly signed
                ..05 UNAVAILABLE the PSP cannot be reached: the call raises ConnectionError
                                (an OSError, as a refused connection would)
    payouts     ..01 fails, ..02 stays pending (finish with `payout_webhook`), ..05 cannot be
                reached, else succeeds

The secret is a constructor argument (`STAKEHOUSE_PSP_WEBHOOK_SECRET`); `DEV_SECRET` is the
documented default for dev and tests, which is why the provider registry never offers this
PSP in production. Hosted checkouts are relative URLs to the dev checkout page this
platform serves outside production (`/test-psp/checkout/<reference>?...`).
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import ClassVar
from urllib.parse import parse_qs, urlencode, urlsplit

from domain.integrations.psp import (
    DepositFlow,
    DepositRequest,
    DepositSession,
    HmacSignatureScheme,
    PayoutRequest,
    PayoutResult,
    ProviderStatus,
    WebhookEvent,
    WebhookSubject,
    parse_event,
)
from domain.kernel import clock
from domain.kernel.settings import DEV_PSP_WEBHOOK_SECRET

PROVIDER_NAME = "test"
# Public on purpose (dev and tests): the registry never offers this PSP in production.
DEV_SECRET = DEV_PSP_WEBHOOK_SECRET
SECRET_LENGTH_MIN = 16
# The hosted page is served by this platform in dev and test (web/callbacks.py), on the
# brand host the player is on: a relative URL.
CHECKOUT_BASE_URL = "/test-psp/checkout"
TIMESTAMP_HEADER = "X-Test-Psp-Timestamp"
SIGNATURE_HEADER = "X-Test-Psp-Signature"
# How long the LATE scenario's first delivery sat in the PSP's queue: past the window.
LATE_DELAY = timedelta(minutes=10)
_REFERENCE_HEX_CHARS = 24


class Scenario(StrEnum):
    SUCCESS = "success"
    FAILURE = "failure"
    PENDING = "pending"
    DUPLICATE = "duplicate"
    LATE = "late"
    UNAVAILABLE = "unavailable"


_BY_CENTS = {
    1: Scenario.FAILURE,
    2: Scenario.PENDING,
    3: Scenario.DUPLICATE,
    4: Scenario.LATE,
    5: Scenario.UNAVAILABLE,
}


def scenario_for(amount_minor: int) -> Scenario:
    """The outcome an amount selects when no scenario is given (see the module docstring)."""
    return _BY_CENTS.get(amount_minor % 100, Scenario.SUCCESS)


def _payout_status(amount_minor: int) -> ProviderStatus:
    scenario = scenario_for(amount_minor)
    if scenario is Scenario.FAILURE:
        return ProviderStatus.FAILED
    if scenario is Scenario.PENDING:
        return ProviderStatus.PENDING
    return ProviderStatus.SUCCEEDED


def _reachable(amount_minor: int) -> None:
    if scenario_for(amount_minor) is Scenario.UNAVAILABLE:
        raise ConnectionError("test PSP: connection refused")


@dataclass(frozen=True)
class WebhookDelivery:
    """One HTTP request the PSP would send: POST `path` with `headers` and `body`."""

    path: str
    headers: Mapping[str, str]
    body: bytes


@dataclass(frozen=True)
class Checkout:
    """What a hosted checkout URL carries (the PSP signed it, so it cannot be edited)."""

    reference: str
    merchant_reference: str
    amount_minor: int
    currency: str


class InvalidCheckout(ValueError):
    """A checkout URL this PSP did not issue (or one that was edited)."""


class SandboxPsp:
    """The test PSP. Stateless: references derive from the merchant reference, so a retried
    call returns the same session, as a real PSP's idempotency key would."""

    default_name: ClassVar[str] = PROVIDER_NAME

    def __init__(
        self,
        secret: str = DEV_SECRET,
        *,
        name: str = PROVIDER_NAME,
        previous_secrets: tuple[str, ...] = (),
        checkout_base_url: str = CHECKOUT_BASE_URL,
    ) -> None:
        if len(secret) < SECRET_LENGTH_MIN:
            raise ValueError(f"a webhook secret has at least {SECRET_LENGTH_MIN} characters")
        self._name = name
        self._secret = secret.encode()
        # Still accepted while a rotation completes; never used to sign.
        self._verifying_secrets = (self._secret, *(old.encode() for old in previous_secrets))
        self._checkout_base_url = checkout_base_url.rstrip("/")
        self.scheme = HmacSignatureScheme(TIMESTAMP_HEADER, SIGNATURE_HEADER)

    @property
    def name(self) -> str:
        return self._name

    @property
    def webhook_path(self) -> str:
        return f"/callbacks/psp/{self._name}"

    # -- the port ------------------------------------------------------------------------

    async def create_deposit(self, request: DepositRequest) -> DepositSession:
        _reachable(request.amount_minor)
        reference = self._reference("dep", request.merchant_reference)
        if request.flow is DepositFlow.HOSTED:
            return DepositSession(reference, self._checkout_url(reference, request))
        scenario = scenario_for(request.amount_minor)
        if scenario is Scenario.FAILURE:
            return DepositSession(reference, None, ProviderStatus.FAILED, "card_declined")
        if scenario is Scenario.PENDING:
            return DepositSession(reference, None, ProviderStatus.PENDING)
        return DepositSession(reference, None, ProviderStatus.SUCCEEDED)

    async def request_payout(self, request: PayoutRequest) -> PayoutResult:
        _reachable(request.amount_minor)
        status = _payout_status(request.amount_minor)
        reason = "account_closed" if status is ProviderStatus.FAILED else None
        return PayoutResult(self._reference("pay", request.merchant_reference), status, reason)

    def verify_webhook(
        self, headers: Mapping[str, str], body: bytes, *, now: datetime
    ) -> WebhookEvent:
        self.scheme.verify(self._verifying_secrets, headers, body, now=now)
        return parse_event(body)

    # -- what the PSP does on its side: checkouts and webhooks ---------------------------

    def read_checkout(self, redirect_url: str) -> Checkout:
        """The checkout a redirect URL stands for. Errors: InvalidCheckout."""
        parts = urlsplit(redirect_url)
        query = {key: values[0] for key, values in parse_qs(parts.query).items()}
        try:
            checkout = Checkout(
                reference=parts.path.rsplit("/", 1)[-1],
                merchant_reference=query["m"],
                amount_minor=int(query["a"]),
                currency=query["c"],
            )
        except (KeyError, ValueError):
            raise InvalidCheckout(redirect_url) from None
        expected = self._checkout_signature(checkout)
        if not hmac.compare_digest(expected.encode(), query.get("s", "").encode()):
            raise InvalidCheckout(redirect_url)
        return checkout

    def complete_checkout(
        self,
        redirect_url: str,
        *,
        scenario: Scenario | None = None,
        now: datetime | None = None,
    ) -> list[WebhookDelivery]:
        """The player finished on the hosted page: the webhooks the PSP sends, in order.
        `scenario` overrides the one the amount selects."""
        checkout = self.read_checkout(redirect_url)
        at = now or clock.now()
        chosen = scenario or scenario_for(checkout.amount_minor)

        def event(status: ProviderStatus, signed_at: datetime) -> WebhookDelivery:
            return self.deposit_webhook(
                reference=checkout.reference,
                merchant_reference=checkout.merchant_reference,
                amount_minor=checkout.amount_minor,
                currency=checkout.currency,
                status=status,
                now=signed_at,
                failure_reason="card_declined" if status is ProviderStatus.FAILED else None,
            )

        if chosen is Scenario.FAILURE:
            return [event(ProviderStatus.FAILED, at)]
        if chosen is Scenario.PENDING:
            return [event(ProviderStatus.PENDING, at)]
        if chosen is Scenario.DUPLICATE:
            delivery = event(ProviderStatus.SUCCEEDED, at)
            return [delivery, delivery]
        if chosen is Scenario.LATE:
            stale = event(ProviderStatus.SUCCEEDED, at - LATE_DELAY)
            return [stale, self.redeliver(stale, now=at)]
        return [event(ProviderStatus.SUCCEEDED, at)]

    def deposit_webhook(
        self,
        *,
        reference: str,
        merchant_reference: str | None,
        amount_minor: int,
        currency: str,
        status: ProviderStatus,
        now: datetime | None = None,
        failure_reason: str | None = None,
    ) -> WebhookDelivery:
        """A `deposit.<status>` webhook, signed at `now` (default: the current time)."""
        return self._webhook(
            WebhookSubject.DEPOSIT,
            status,
            reference=reference,
            merchant_reference=merchant_reference,
            amount_minor=amount_minor,
            currency=currency,
            at=now or clock.now(),
            failure_reason=failure_reason,
        )

    def payout_webhook(
        self,
        *,
        reference: str,
        merchant_reference: str | None,
        amount_minor: int,
        currency: str,
        status: ProviderStatus,
        now: datetime | None = None,
        failure_reason: str | None = None,
    ) -> WebhookDelivery:
        """A `payout.<status>` webhook, signed at `now` (default: the current time)."""
        return self._webhook(
            WebhookSubject.PAYOUT,
            status,
            reference=reference,
            merchant_reference=merchant_reference,
            amount_minor=amount_minor,
            currency=currency,
            at=now or clock.now(),
            failure_reason=failure_reason,
        )

    def redeliver(
        self, delivery: WebhookDelivery, *, now: datetime | None = None
    ) -> WebhookDelivery:
        """The PSP's retry of `delivery`: the same body, signed again at `now`."""
        timestamp = int((now or clock.now()).timestamp())
        return WebhookDelivery(
            delivery.path,
            self.scheme.headers(self._secret, timestamp, delivery.body),
            delivery.body,
        )

    # -- internals -----------------------------------------------------------------------

    def _webhook(
        self,
        subject: WebhookSubject,
        status: ProviderStatus,
        *,
        reference: str,
        merchant_reference: str | None,
        amount_minor: int,
        currency: str,
        at: datetime,
        failure_reason: str | None,
    ) -> WebhookDelivery:
        timestamp = int(at.timestamp())
        event_type = f"{subject.value}.{status.value}"
        document = {
            # The same event keeps its id across retries, as real PSPs do.
            "id": self._reference("evt", f"{event_type}:{reference}"),
            "type": event_type,
            "created": timestamp,
            "data": {
                "reference": reference,
                "merchant_reference": merchant_reference,
                "amount_minor": amount_minor,
                "currency": currency,
                "failure_reason": failure_reason,
            },
        }
        body = json.dumps(document, separators=(",", ":")).encode()
        return WebhookDelivery(
            self.webhook_path, self.scheme.headers(self._secret, timestamp, body), body
        )

    def _reference(self, prefix: str, seed: str) -> str:
        digest = hmac.new(self._secret, f"{prefix}:{seed}".encode(), hashlib.sha256).hexdigest()
        return f"tp_{prefix}_{digest[:_REFERENCE_HEX_CHARS]}"

    def _checkout_signature(self, checkout: Checkout) -> str:
        canonical = "|".join(
            (
                checkout.reference,
                checkout.merchant_reference,
                str(checkout.amount_minor),
                checkout.currency,
            )
        )
        return hmac.new(self._secret, f"checkout:{canonical}".encode(), hashlib.sha256).hexdigest()

    def _checkout_url(self, reference: str, request: DepositRequest) -> str:
        checkout = Checkout(
            reference, request.merchant_reference, request.amount_minor, request.currency
        )
        query = {
            "m": checkout.merchant_reference,
            "a": str(checkout.amount_minor),
            "c": checkout.currency,
            "s": self._checkout_signature(checkout),
        }
        return f"{self._checkout_base_url}/{reference}?{urlencode(query)}"
