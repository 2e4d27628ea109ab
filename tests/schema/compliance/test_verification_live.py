"""A verification opens the gates at once: the approval's commit is what the deposit gate
reads, and the player's `verificationChanged` subscription hears it within a second of
the provider's webhook (no polling, no waiting)."""

from __future__ import annotations

import time
import uuid
from typing import Any

from domain.integrations.kyc import KycOutcome
from tests.domain.compliance.kyc_support import enforce_gates
from tests.schema.compliance.test_kyc_api import DEPOSIT, PROVIDER, _post, _start
from tests.schema.wallets.support import next_message, subscribe
from tests.support import Api

VERIFICATION_CHANGED = "subscription { verificationChanged { tier previousTier } }"
# What "at once" means here: from the webhook's answer to the player's notification.
NOTIFIED_WITHIN_S = 1.0


async def test_an_approval_reaches_the_player_within_a_second_and_the_deposit_goes_through(
    server: str, northstar: Api, monkeypatch: Any
) -> None:
    """Sweden's pack: basic verification before a deposit."""
    enforce_gates(monkeypatch)
    email = f"live-se-{uuid.uuid4().hex[:8]}@example.com"
    await northstar.register(email=email, country="SE", currency="SEK", locale="sv")
    await northstar.login(email)
    sek = {"amount": "100", "currency": "SEK"}
    refused = await northstar.query(DEPOSIT, {"i": {"amount": sek, "idempotencyKey": "live-1"}})
    socket = await subscribe(server, northstar.host, northstar.token, VERIFICATION_CHANGED)
    try:
        check = await _start(northstar, "BASIC")
        (approval,) = PROVIDER.complete_flow(check["flowUrl"], KycOutcome.APPROVED)
        assert (await _post(server, approval, host=northstar.host)).status_code == 200
        answered = time.monotonic()
        message = await next_message(socket, NOTIFIED_WITHIN_S)
        notified_s = time.monotonic() - answered
    finally:
        await socket.close()
    accepted = await northstar.query(DEPOSIT, {"i": {"amount": sek, "idempotencyKey": "live-2"}})

    assert [e["code"] for e in refused.data["deposit"]["errors"]] == ["VERIFICATION_REQUIRED"]
    assert message is not None, f"no notification within {NOTIFIED_WITHIN_S} s"
    assert message["payload"]["data"] == {
        "verificationChanged": {"tier": "BASIC", "previousTier": "NONE"}
    }
    assert notified_s < NOTIFIED_WITHIN_S
    assert accepted.data["deposit"]["errors"] == []


async def test_another_player_s_verification_is_not_heard(server: str, northstar: Api) -> None:
    email = f"live-other-{uuid.uuid4().hex[:8]}@example.com"
    await northstar.register(email=email, country="SE", currency="SEK", locale="sv")
    await northstar.login(email)
    listener = await subscribe(server, northstar.host, northstar.token, VERIFICATION_CHANGED)
    other = Api(server, northstar.host)
    try:
        other_email = f"live-other-{uuid.uuid4().hex[:8]}@example.com"
        await other.register(email=other_email, country="SE", currency="SEK", locale="sv")
        await other.login(other_email)
        check = await _start(other, "BASIC")
        (approval,) = PROVIDER.complete_flow(check["flowUrl"], KycOutcome.APPROVED)
        assert (await _post(server, approval, host=northstar.host)).status_code == 200
        heard = await next_message(listener, NOTIFIED_WITHIN_S)
    finally:
        await listener.close()
        await other.aclose()
    assert heard is None
