"""Risk staff decide KYC manual reviews in the console: the queue shows the brand's checks
in review, a decision needs a reason, and the player's tier follows (audited)."""

from __future__ import annotations

import uuid

import httpx
from sqlalchemy import select

from domain.integrations.kyc import KycOutcome
from domain.integrations.kyc_sandbox import SandboxKyc
from domain.kernel.audit import AuditEntry
from domain.kernel.db import Database
from tests.support import AURORA, Api
from tests.web.backoffice.support import signed_in_console
from tests.web.backoffice.test_console import last_audit_id

TIER = "{ viewer { player { verification { tier } } } }"


async def test_risk_approves_a_check_in_review_with_a_reason(server: str, db: Database) -> None:
    player = Api(server, AURORA)
    email = f"kyc-bo-{uuid.uuid4().hex[:8]}@example.com"
    await player.register(email=email)
    await player.login(email)
    started = await player.query(
        "mutation { startVerification(input: { tier: FULL }) { check { id flowUrl } } }"
    )
    check = started.data["startVerification"]["check"]
    (review,) = SandboxKyc().complete_flow(check["flowUrl"], KycOutcome.MANUAL_REVIEW)
    async with httpx.AsyncClient(base_url=server, headers={"host": AURORA}) as client:
        sent = await client.post(review.path, content=review.body, headers=dict(review.headers))
    assert sent.status_code == 200
    risk = await signed_in_console(server, db, f"risk-{uuid.uuid4().hex[:6]}@op.example", ["risk"])
    since = await last_audit_id(db)

    queue = await risk.get("/kyc")
    no_reason = await risk.post(
        "/kyc/decide", {"check": check["id"], "decision": "approve", "reason": ""}
    )
    decided = await risk.post(
        "/kyc/decide", {"check": check["id"], "decision": "approve", "reason": "ID checked"}
    )
    after = await risk.get(decided.headers["location"])

    assert queue.status_code == 200 and email in queue.text
    assert no_reason.status_code == 400 and "Give a reason" in no_reason.text
    assert decided.status_code == 303
    assert "The check was decided" in after.text and email not in after.text
    assert (await player.query(TIER)).data["viewer"]["player"]["verification"]["tier"] == "FULL"
    async with db.uow() as uow:
        actions = list(
            await uow.session.scalars(select(AuditEntry.action).where(AuditEntry.id > since))
        )
    assert "kyc.check.review" in actions and "player.kyc_tier.change" in actions
    await player.aclose()
    await risk.aclose()
