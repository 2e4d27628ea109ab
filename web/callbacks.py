"""Payment provider callbacks, and the built-in test PSP's hosted checkout (dev and test).

`POST /callbacks/psp/{provider}` on a brand host receives a PSP's webhook. It fails closed:
the raw body is read with a size cap, then the signature and its timestamp are verified
before anything is parsed or looked up; a missing, forged or stale signature gets 401 and
changes nothing. A genuine event is applied once: a duplicate or late delivery of an event
already applied answers 200 (so the PSP stops retrying) and moves no money.

    200  {"received": true, "applied": true|false}   applied, or nothing left to apply
    400  MALFORMED_WEBHOOK     signed, but not an event we understand
    401  INVALID_SIGNATURE     not provably from the PSP, or stale: no effect
    404  UNKNOWN_PROVIDER | PAYMENT_NOT_FOUND   (the PSP retries; then a person looks)
    413  BODY_TOO_LARGE
    422  AMOUNT_MISMATCH       the PSP reports another amount: nothing credited

`/test-psp/checkout/{reference}` is the test PSP's hosted page (never in production): a
player pays or fails there, and the test PSP delivers its signed webhook to the same code
path the endpoint runs, exactly as its HTTP delivery would.
"""

from __future__ import annotations

import html
import logging
import secrets
from decimal import Decimal
from functools import partial
from typing import Final
from urllib.parse import urlsplit

from babel.numbers import format_currency, get_currency_precision
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from domain.brands.service import Brand
from domain.integrations import built_in_sandbox_psp, payment_provider
from domain.integrations.psp import (
    InvalidWebhook,
    MalformedWebhook,
    PaymentProvider,
    UnknownProvider,
)
from domain.integrations.psp_sandbox import InvalidCheckout, SandboxPsp, Scenario, WebhookDelivery
from domain.kernel import clock
from domain.kernel.db import Database
from domain.kernel.errors import DomainError
from domain.kernel.settings import Settings
from domain.payments import service as payments
from domain.payments.errors import AmountMismatch, PaymentNotFound
from web.webhooks import (
    BodyTooLarge,
    WebhookReply,
    provider_webhook,
    refusal,
)

log = logging.getLogger("stakehouse.callbacks")

_STATUS_BY_CODE: Final = {
    InvalidWebhook.code: 401,
    MalformedWebhook.code: 400,
    UnknownProvider.code: 404,
    PaymentNotFound.code: 404,
    AmountMismatch.code: 422,
    BodyTooLarge.code: 413,
}
_CHECKOUT_OUTCOMES: Final = {"pay": Scenario.SUCCESS, "fail": Scenario.FAILURE}


async def receive_webhook(
    db: Database, brand: Brand, provider: PaymentProvider, *, headers: dict[str, str], body: bytes
) -> WebhookReply:
    """Verify and apply one webhook delivery; what the endpoint answers."""
    try:
        # Verified before anything else: an unsigned body is never parsed or looked up.
        event = provider.verify_webhook(headers, body, now=clock.now())
        async with db.uow() as uow:
            result = await payments.apply_webhook(
                uow, brand=brand.slug, provider=provider.name, event=event
            )
            await uow.commit()
    except DomainError as error:
        log.warning("psp webhook refused: %s %s", provider.name, error.code)
        return refusal(error, _STATUS_BY_CODE)
    return WebhookReply(200, {"received": True, "applied": result.applied})


# -- the test PSP's hosted checkout (dev and test only) -----------------------------------


def _checkout_url(request: Request) -> str:
    reference = request.path_params["reference"]
    return f"/test-psp/checkout/{reference}?{request.url.query}"


# The test checkout dressed in the brand's tokens (colours, fonts, radii), as a hosted
# payment page is when the operator configures it: one small inline stylesheet.
_CHECKOUT_CSS: Final = """
*{box-sizing:border-box}
body{margin:0;min-height:100vh;display:grid;place-items:center;padding:1rem;
background:var(--colour-background);color:var(--colour-text);font-family:var(--font-body);line-height:1.5}
main{width:100%;max-width:26rem;background:var(--colour-surface);
border:1px solid var(--colour-border);border-radius:var(--radius-large);padding:1.5rem}
h1{font-family:var(--font-heading);font-size:1.35rem;line-height:1.2;margin:0 0 1rem}
.merchant{color:var(--colour-muted);margin:0}
.amount{font-size:2rem;font-weight:700;margin:0 0 1.25rem;font-variant-numeric:tabular-nums}
.actions{display:grid;gap:.6rem}
form{margin:0}
button{width:100%;min-height:2.75rem;font:inherit;font-weight:700;cursor:pointer;
border-radius:var(--radius-small);background:var(--colour-primary);color:var(--colour-on-primary);
border:2px solid var(--colour-primary)}
.secondary button{background:var(--colour-accent);color:var(--colour-on-accent);
border-color:var(--colour-accent)}
a{color:var(--colour-link)}
.note{color:var(--colour-muted);font-size:.85rem;margin:1rem 0 0}
"""


def _page(title: str, content: str, status: int = 200, brand: Brand | None = None) -> HTMLResponse:
    nonce = secrets.token_urlsafe(16)
    style = ""
    if brand is not None:
        tokens = "".join(f"{name}:{value};" for name, value in brand.tokens.css_variables().items())
        style = f'<style nonce="{nonce}">:root{{{tokens}}}{_CHECKOUT_CSS}</style>'
    document = (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{html.escape(title)}</title>{style}</head><body><main>"
        f"<h1>{html.escape(title)}</h1>{content}</main></body></html>"
    )
    headers = {
        "cache-control": "no-store",
        "content-security-policy": (
            f"default-src 'none'; style-src 'nonce-{nonce}'; form-action 'self'"
        ),
    }
    return HTMLResponse(document, status, headers=headers)


def _amount(amount_minor: int, currency: str) -> str:
    """Minor units as the currency is written ("€25.00", "¥3,000")."""
    places = get_currency_precision(currency)
    return format_currency(Decimal(amount_minor).scaleb(-places), currency, locale="en")


async def checkout_page(request: Request) -> Response:
    sandbox = built_in_sandbox_psp(request.scope["state"]["settings"])
    brand: Brand | None = request.scope["state"].get("brand")
    url = _checkout_url(request)
    try:
        assert sandbox is not None, "these routes are mounted only with the test PSP"
        checkout = sandbox.read_checkout(url)
    except InvalidCheckout:
        return _page("Unknown checkout", "<p>This checkout link is not valid.</p>", 404, brand)
    query = html.escape(request.url.query)
    base = html.escape(f"/test-psp/checkout/{checkout.reference}")
    amount = html.escape(_amount(checkout.amount_minor, checkout.currency))
    merchant = html.escape(brand.name if brand is not None else "")
    buttons = "".join(
        f'<form method="post" action="{base}/{outcome}?{query}"'
        f"{' class=secondary' if scenario is Scenario.FAILURE else ''}>"
        f'<button type="submit">{outcome.capitalize()}</button></form>'
        for outcome, scenario in _CHECKOUT_OUTCOMES.items()
    )
    content = (
        f'<p class="merchant">Pay {merchant}</p><p class="amount">{amount}</p>'
        f'<div class="actions">{buttons}</div>'
        '<p class="note">Test payment: no real money moves. "Fail" declines it.</p>'
    )
    return _page("Test PSP checkout", content, brand=brand)


def _same_origin(request: Request) -> bool:
    origin = request.headers.get("origin")
    if origin is None:
        return True
    return urlsplit(origin).netloc == request.headers.get("host")


async def complete_checkout(request: Request) -> Response:
    """Pay or Fail: the test PSP sends its signed webhooks, through the callback's code."""
    state = request.scope["state"]
    sandbox = built_in_sandbox_psp(state["settings"])
    scenario = _CHECKOUT_OUTCOMES.get(request.path_params["outcome"])
    if sandbox is None or scenario is None or not _same_origin(request):
        return _page("Not allowed", "<p>This request is not allowed.</p>", 403, state.get("brand"))
    try:
        deliveries = sandbox.complete_checkout(_checkout_url(request), scenario=scenario)
    except InvalidCheckout:
        return _page(
            "Unknown checkout", "<p>This checkout link is not valid.</p>", 404, state.get("brand")
        )
    statuses = [await _deliver(request, sandbox, delivery) for delivery in deliveries]
    paid = scenario is Scenario.SUCCESS and all(status == 200 for status in statuses)
    title = "Payment received" if paid else "Payment not completed"
    return _page(title, '<p><a href="/">Back to the site</a></p>', brand=state.get("brand"))


async def _deliver(request: Request, provider: SandboxPsp, delivery: WebhookDelivery) -> int:
    state = request.scope["state"]
    reply = await receive_webhook(
        state["db"], state["brand"], provider, headers=dict(delivery.headers), body=delivery.body
    )
    return reply.status


def callback_routes(settings: Settings) -> list[Route]:
    endpoint = provider_webhook(
        partial(payment_provider, settings),
        receive_webhook,
        status_by_code=_STATUS_BY_CODE,
        realm="psp",
    )
    routes = [Route("/callbacks/psp/{provider}", endpoint, methods=["POST"])]
    if not settings.is_production:
        routes += [
            Route("/test-psp/checkout/{reference}", checkout_page, methods=["GET"]),
            Route("/test-psp/checkout/{reference}/{outcome}", complete_checkout, methods=["POST"]),
        ]
    return routes
