"""Postbacks: what an affiliate is told (a registration, a CPA earned, a statement), queued
in the transaction that caused it and delivered after commit through the postback port,
signed with the affiliate's secret and retried with backoff.

The body names no person: a referral is an opaque reference stable per affiliate and
player, so the affiliate can match its own clicks and nothing else.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import uuid
from datetime import timedelta
from typing import Any, Final

from sqlalchemy import select, update

from domain.affiliates.models import Affiliate, Postback
from domain.integrations.postbacks import (
    POSTBACK_TIMEOUT_S,
    HttpPostbacks,
    PostbackFailed,
    PostbackSender,
    SandboxPostbacks,
    signed_headers,
)
from domain.kernel import clock
from domain.kernel.db import Database, UnitOfWork

ATTEMPTS_MAX: Final = 8
# Backoff doubles from this: 1, 2, 4 ... 64 minutes between the 8 attempts.
RETRY_FIRST_DELAY_S: Final = 60
DELIVERY_BATCH: Final = 50
# A claimed postback is not due again for this long: longer than a batch of sends at
# their timeout, so a second scheduler never sends it too; a sender that dies mid-batch
# leaves it to be retried once the lease has passed.
CLAIM_LEASE: Final = timedelta(seconds=DELIVERY_BATCH * POSTBACK_TIMEOUT_S + 60)
# Outside production postbacks go to the built-in receiver (dev and tests reach no one).
_SANDBOX = SandboxPostbacks()
# In production one sender (one HTTP client) for the process's life: see close_senders.
_http_sender: HttpPostbacks | None = None


def sender(*, production: bool) -> PostbackSender:
    global _http_sender  # noqa: PLW0603 (the process's one client, opened on first use)
    if not production:
        return _SANDBOX
    if _http_sender is None:
        _http_sender = HttpPostbacks()
    return _http_sender


async def close_senders() -> None:
    """Close the production sender's client (the scheduler's shutdown)."""
    global _http_sender
    closing, _http_sender = _http_sender, None
    if closing is not None:
        await closing.aclose()


def referral_ref(affiliate: Affiliate, player_id: uuid.UUID) -> str:
    digest = hmac.new(affiliate.postback_secret.encode(), player_id.bytes, hashlib.sha256)
    return digest.hexdigest()[:24]


async def queue(uow: UnitOfWork, affiliate: Affiliate, event: str, body: dict[str, Any]) -> None:
    """Owe the affiliate a postback (none when it has no URL)."""
    if affiliate.postback_url is None:
        return
    uow.session.add(
        Postback(
            brand=affiliate.brand,
            affiliate_id=affiliate.id,
            event=event,
            body={"event": event, "brand": affiliate.brand, **body},
            status="pending",
            attempts=0,
            next_attempt_at=clock.now(),
        )
    )
    await uow.session.flush()


async def deliver_due(db: Database, sender: PostbackSender, *, limit: int = DELIVERY_BATCH) -> int:
    """Claim the postbacks that are due (rows another scheduler holds are skipped, and a
    claim pushes them past a lease so no other batch takes them), send each outside any
    transaction, and record each outcome in a short one of its own. A flow (it opens its
    own units of work). Returns how many were delivered."""
    async with db.uow() as uow:
        due = (
            await uow.session.execute(
                select(
                    Postback.id, Postback.body, Affiliate.postback_url, Affiliate.postback_secret
                )
                .join(Affiliate, Affiliate.id == Postback.affiliate_id)
                .where(Postback.status == "pending", Postback.next_attempt_at <= clock.now())
                .order_by(Postback.next_attempt_at, Postback.id)
                .limit(limit)
                .with_for_update(of=Postback, skip_locked=True)
            )
        ).all()
        if due:
            await uow.session.execute(
                update(Postback)
                .where(Postback.id.in_([row[0] for row in due]))
                .values(next_attempt_at=clock.now() + CLAIM_LEASE)
            )
        await uow.commit()
    delivered = 0
    for postback_id, body, url, secret in due:
        raw = json.dumps({"id": postback_id, **body}, sort_keys=True).encode()
        error: str | None = None
        try:
            await sender.send(url, raw, signed_headers(secret, int(clock.now().timestamp()), raw))
        except PostbackFailed as failed:
            error = str(failed) or "failed"
        async with db.uow() as uow:
            await _record(uow, postback_id, error)
            await uow.commit()
        delivered += error is None
    return delivered


async def _record(uow: UnitOfWork, postback_id: int, error: str | None) -> None:
    postback = await uow.session.get(Postback, postback_id, with_for_update=True)
    if postback is None or postback.status != "pending":
        return
    attempts = postback.attempts + 1
    if error is None:
        values: dict[str, Any] = {"status": "delivered", "attempts": attempts, "last_error": None}
    else:
        delay = timedelta(seconds=RETRY_FIRST_DELAY_S * 2 ** (attempts - 1))
        values = {
            "status": "failed" if attempts >= ATTEMPTS_MAX else "pending",
            "attempts": attempts,
            "last_error": error[:200],
            "next_attempt_at": clock.now() + delay,
        }
    await uow.session.execute(update(Postback).where(Postback.id == postback_id).values(**values))
