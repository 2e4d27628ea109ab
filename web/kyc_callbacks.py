"""KYC provider callbacks, and the built-in test provider's hosted flow (dev and test).

`POST /callbacks/kyc/{provider}` on a brand host receives a provider's decision webhook. It
fails closed like the PSP endpoint: the raw body is read with a size cap, the signature and
its timestamp are verified before anything is parsed or looked up; a missing, forged or
stale signature gets 401 and changes nothing. A decision is recorded once per provider
event and applied only when it is newer (by the provider's sequence) than the one the check
holds, so repeats and stragglers answer 200 with `"applied": false`.

    200  {"received": true, "applied": true|false, "tier": "basic"}
    400  MALFORMED_WEBHOOK     signed, but not a decision we understand
    401  INVALID_SIGNATURE     not provably from the provider, or stale: no effect
    404  UNKNOWN_PROVIDER | CHECK_NOT_FOUND
    413  BODY_TOO_LARGE

`/test-kyc/flow/{reference}` is the test provider's hosted page (never in production): the
tester picks the outcome and how it is delivered; the provider's signed webhooks go
through the endpoint's own code, then the player is sent back to the site.
"""

from __future__ import annotations

import html
import logging
from functools import partial
from typing import Final

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from domain.brands.service import Brand
from domain.compliance.kyc import checks
from domain.compliance.kyc.errors import CheckNotFound
from domain.integrations import built_in_sandbox_kyc, kyc_provider
from domain.integrations.kyc import (
    InvalidWebhook,
    KycOutcome,
    KycProvider,
    MalformedKycWebhook,
    UnknownKycProvider,
)
from domain.integrations.kyc_sandbox import Delivery, InvalidFlow
from domain.kernel import clock
from domain.kernel.db import Database
from domain.kernel.errors import DomainError
from domain.kernel.settings import Settings
from web.callbacks import _page, _same_origin
from web.webhooks import BodyTooLarge, WebhookReply, provider_webhook, refusal

log = logging.getLogger("stakehouse.callbacks.kyc")

_STATUS_BY_CODE: Final = {
    InvalidWebhook.code: 401,
    MalformedKycWebhook.code: 400,
    UnknownKycProvider.code: 404,
    CheckNotFound.code: 404,
    BodyTooLarge.code: 413,
}
# The hosted page's buttons: what the tester decides.
_OUTCOMES: Final = {
    "approve": KycOutcome.APPROVED,
    "reject": KycOutcome.REJECTED,
    "resubmit": KycOutcome.RESUBMISSION_REQUESTED,
    "review": KycOutcome.MANUAL_REVIEW,
}


async def receive_decision(
    db: Database, brand: Brand, provider: KycProvider, *, headers: dict[str, str], body: bytes
) -> WebhookReply:
    """Verify and apply one decision delivery; what the endpoint answers."""
    try:
        event = provider.verify_webhook(headers, body, now=clock.now())
        async with db.uow() as uow:
            result = await checks.apply_decision(
                uow, brand=brand.slug, provider=provider.name, event=event
            )
            await uow.commit()
    except DomainError as error:
        log.warning("kyc webhook refused: %s %s", provider.name, error.code)
        return refusal(error, _STATUS_BY_CODE)
    return WebhookReply(
        200, {"received": True, "applied": result.applied, "tier": result.tier.value}
    )


# -- the test provider's hosted flow (dev and test only) ----------------------------------


def _flow_url(request: Request) -> str:
    return f"/test-kyc/flow/{request.path_params['reference']}?{request.url.query}"


async def flow_page(request: Request) -> Response:
    sandbox = built_in_sandbox_kyc(request.scope["state"]["settings"])
    try:
        assert sandbox is not None, "these routes are mounted only with the test provider"
        flow = sandbox.read_flow(_flow_url(request))
    except InvalidFlow:
        return _page("Unknown verification", "<p>This verification link is not valid.</p>", 404)
    query = html.escape(request.url.query)
    base = html.escape(f"/test-kyc/flow/{flow.reference}")
    deliveries = "".join(
        f'<option value="{delivery.value}">{delivery.value}</option>' for delivery in Delivery
    )
    forms = "".join(
        f'<form method="post" action="{base}/{name}?{query}">'
        f'<label>Delivery <select name="delivery">{deliveries}</select></label> '
        f'<button type="submit">{name.capitalize()}</button></form>'
        for name in _OUTCOMES
    )
    tier = html.escape(flow.tier)
    return _page(
        "Test identity verification",
        f"<p>Check for the <strong>{tier}</strong> tier. Pretend the documents were "
        f"uploaded, then choose the provider's decision.</p>{forms}",
    )


def _back_to(return_url: str) -> str:
    """Only a path on the same site (no scheme, no host): never an open redirect."""
    if not return_url.startswith("/") or return_url.startswith("//") or "\\" in return_url:
        return "/"
    return return_url


async def complete_flow(request: Request) -> Response:
    """A decision on the hosted page: the provider's signed webhooks, through the endpoint's
    code, then back to the site."""
    state = request.scope["state"]
    sandbox = built_in_sandbox_kyc(state["settings"])
    outcome = _OUTCOMES.get(request.path_params["outcome"])
    form = await request.form()
    try:
        delivery = Delivery(str(form.get("delivery", Delivery.NORMAL.value)))
    except ValueError:
        delivery = Delivery.NORMAL
    if sandbox is None or outcome is None or not _same_origin(request):
        return _page("Not allowed", "<p>This request is not allowed.</p>", 403)
    try:
        flow = sandbox.read_flow(_flow_url(request))
        deliveries = sandbox.complete_flow(_flow_url(request), outcome, delivery=delivery)
    except InvalidFlow:
        return _page("Unknown verification", "<p>This verification link is not valid.</p>", 404)
    for each in deliveries:
        reply = await receive_decision(
            state["db"], state["brand"], sandbox, headers=dict(each.headers), body=each.body
        )
        log.info("test kyc delivery %s: %s", delivery.value, reply.status)
    return RedirectResponse(_back_to(flow.return_url), status_code=303)


def kyc_callback_routes(settings: Settings) -> list[Route]:
    endpoint = provider_webhook(
        partial(kyc_provider, settings),
        receive_decision,
        status_by_code=_STATUS_BY_CODE,
        # The realm the PSP endpoint names too: what a 401 has always said here.
        realm="psp",
    )
    routes = [Route("/callbacks/kyc/{provider}", endpoint, methods=["POST"])]
    if not settings.is_production:
        routes += [
            Route("/test-kyc/flow/{reference}", flow_page, methods=["GET"]),
            Route("/test-kyc/flow/{reference}/{outcome}", complete_flow, methods=["POST"]),
        ]
    return routes
