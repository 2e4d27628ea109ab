"""Postbacks: a referred registration reaches the affiliate's URL signed with its secret and
naming no person; an endpoint that is down is retried with backoff, then given up."""

from __future__ import annotations

import json

from domain.affiliates import postbacks
from domain.brands.service import BrandRegistry
from domain.integrations.postbacks import SandboxPostbacks, signature
from domain.kernel.db import Database
from tests.domain.affiliates.support import affiliate, cpa_plan, referred_player, revshare_plan
from tests.domain.reporting.support import execute

MAKE_DUE = "UPDATE affiliate_postbacks SET next_attempt_at = now() - interval '1 second'"


async def test_a_referred_registration_is_posted_back_signed_and_without_personal_data(
    db: Database, registry: BrandRegistry
) -> None:
    created = await affiliate(
        db, "Cpa Partners", cpa_plan(), "cpa-spring", postback_url="https://cpa.example/pb"
    )
    await affiliate(db, "Quiet", revshare_plan(), "quiet-1")  # no URL: owed nothing
    player_id = await referred_player(db, registry, "cpa-spring")
    await referred_player(db, registry, "quiet-1")
    receiver = SandboxPostbacks()

    assert await postbacks.deliver_due(db, receiver) == 1
    assert await postbacks.deliver_due(db, receiver) == 0  # delivered once

    (received,) = receiver.received
    assert received.url == "https://cpa.example/pb"
    timestamp = int(received.headers["X-Stakehouse-Timestamp"])
    expected = signature(created.postback_secret, timestamp, received.body)
    assert received.headers["X-Stakehouse-Signature"] == expected
    body = json.loads(received.body)
    assert body["event"] == "registration"
    assert body["code"] == "cpa-spring"
    assert body["brand"] == "aurora"
    assert len(body["referral"]) == 24
    (email,) = (await execute(db, "SELECT email FROM players WHERE id = :p", p=player_id))[0]
    assert str(player_id) not in received.body.decode()
    assert str(email) not in received.body.decode()


async def test_a_postback_to_an_endpoint_that_is_down_is_retried_then_given_up(
    db: Database, registry: BrandRegistry
) -> None:
    await affiliate(
        db, "Flaky", cpa_plan(), "flaky-1", postback_url="https://postback-down.example/pb"
    )
    await referred_player(db, registry, "flaky-1")
    receiver = SandboxPostbacks()

    assert await postbacks.deliver_due(db, receiver) == 0
    status = "SELECT status, attempts, next_attempt_at > now() FROM affiliate_postbacks"
    assert await execute(db, status) == [("pending", 1, True)]
    # Not due again until its backoff has passed.
    assert await postbacks.deliver_due(db, receiver) == 0
    assert await execute(db, status) == [("pending", 1, True)]
    for _ in range(postbacks.ATTEMPTS_MAX - 1):
        await execute(db, MAKE_DUE)
        await postbacks.deliver_due(db, receiver)

    assert await execute(db, "SELECT status, attempts, last_error FROM affiliate_postbacks") == [
        ("failed", postbacks.ATTEMPTS_MAX, "HTTP 503")
    ]
    assert receiver.received == []
