"""KYC and the profile over the public API and the provider endpoint, as a frontend and
the provider see them: the player saves their profile, starts a verification, finishes the
test provider's hosted flow and comes back verified; the provider's webhooks, forged,
stale, repeated and reordered, leave the tier its last decision says; risk staff decide
the manual reviews of their brands, audited."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
from sqlalchemy import select

from domain.integrations.kyc import KycOutcome
from domain.integrations.kyc_sandbox import SandboxKyc
from domain.integrations.psp_sandbox import WebhookDelivery
from domain.kernel import clock
from domain.kernel.audit import AuditEntry
from domain.kernel.db import Database
from resolvers.compliance import kyc as kyc_resolvers
from tests.domain.compliance.kyc_support import enforce_gates
from tests.schema.accounts.test_staff import signed_in_staff
from tests.support import Api

PROVIDER = SandboxKyc()
PROFILE = """mutation($i: UpdateProfileInput!) { updateProfile(input: $i) {
  profile { givenName familyName addressLine1 city postalCode addressCountry nationality phone
            phoneVerified complete }
  errors { code field message } } }"""
VIEWER_PROFILE = "{ viewer { profile { givenName familyName complete } } }"
START = """mutation($i: StartVerificationInput!) { startVerification(input: $i) {
  check { id tier status flowUrl } errors { code field } } }"""
VERIFICATION = """{ viewer { player { verification {
  tier nextTier enforced requirements { step tier met }
  checks { tier status reason documentType documentExpiresOn } } } } }"""
QUEUE = "{ kycReviewQueue { playerEmail check { id tier status reason flowUrl } } }"
STAFF_VERIFICATION = """query($id: ID!) { node(id: $id) { ... on Player {
  verification { tier checks { status flowUrl } } } } }"""
DECIDE = """mutation($i: DecideKycReviewInput!) { decideKycReview(input: $i) {
  check { status reason } playerTier errors { code field } } }"""
STAFF_PROFILE = """mutation($i: UpdatePlayerProfileInput!) { updatePlayerProfile(input: $i) {
  profile { givenName } errors { code field } } }"""
A_PROFILE = {
    "givenName": "  Ada ", "familyName": "Lovelace", "addressLine1": "12 St James's Square",
    "city": "London", "postalCode": "sw1y 4jh", "addressCountry": "gb", "nationality": "GB",
    "phone": "+44 7700 900123",
}  # fmt: skip


async def _player(aurora: Api) -> tuple[str, str]:
    email = f"kyc-{uuid.uuid4().hex[:10]}@example.com"
    registered = await aurora.register(email=email)
    await aurora.login(email)
    return registered["player"]["id"], email


async def _start(api: Api, tier: str) -> dict[str, Any]:
    started = (await api.query(START, {"i": {"tier": tier}})).data["startVerification"]
    assert started["errors"] == []
    return started["check"]


async def _post(
    server: str, delivery: WebhookDelivery, host: str = "aurora.localhost"
) -> httpx.Response:
    async with httpx.AsyncClient(base_url=server, headers={"host": host}) as client:
        return await client.post(
            delivery.path, content=delivery.body, headers=dict(delivery.headers)
        )


def _reference(check: dict[str, Any]) -> str:
    return PROVIDER.read_flow(check["flowUrl"]).reference


async def _verification(api: Api) -> dict[str, Any]:
    return (await api.query(VERIFICATION)).data["viewer"]["player"]["verification"]


async def test_the_player_saves_a_profile_and_reads_it_back(aurora: Api) -> None:
    await _player(aurora)

    saved = (await aurora.query(PROFILE, {"i": {"profile": A_PROFILE}})).data["updateProfile"]
    bad = (await aurora.query(PROFILE, {"i": {"profile": {"nationality": "Britain"}}})).data[
        "updateProfile"
    ]
    viewer = (await aurora.query(VIEWER_PROFILE)).data["viewer"]["profile"]

    assert saved == {
        "profile": {
            "givenName": "Ada", "familyName": "Lovelace", "addressLine1": "12 St James's Square",
            "city": "London", "postalCode": "SW1Y 4JH", "addressCountry": "GB",
            "nationality": "GB", "phone": "+447700900123", "phoneVerified": False,
            "complete": True,
        },
        "errors": [],
    }  # fmt: skip
    assert bad["profile"] is None
    assert [(e["code"], e["field"]) for e in bad["errors"]] == [("INVALID_PROFILE", "nationality")]
    assert viewer == {"givenName": "Ada", "familyName": "Lovelace", "complete": True}


async def test_the_hosted_flow_takes_the_player_there_and_back_verified(
    server: str, aurora: Api
) -> None:
    await _player(aurora)
    before = await _verification(aurora)
    check = await _start(aurora, "FULL")

    page = await aurora.client.get(check["flowUrl"])
    done = await aurora.client.post(
        check["flowUrl"].replace("?", "/approve?", 1), data={"delivery": "duplicate"}
    )
    after = await _verification(aurora)

    assert (check["tier"], check["status"]) == ("FULL", "PENDING")
    assert page.status_code == 200
    assert "Approve" in page.text and "Resubmit" in page.text and "Review" in page.text
    assert (done.status_code, done.headers["location"]) == (303, "/account/verification")
    assert before["tier"] == "NONE" and before["nextTier"] == "FULL"
    assert after["tier"] == "FULL"
    assert after["nextTier"] is None
    assert after["requirements"] == [
        {"step": "DEPOSIT", "tier": "NONE", "met": True},
        {"step": "PLAY", "tier": "NONE", "met": True},
        {"step": "WITHDRAWAL", "tier": "FULL", "met": True},
    ]
    assert [(c["tier"], c["status"], c["documentType"]) for c in after["checks"]] == [
        ("FULL", "APPROVED", "passport")
    ]


async def test_webhooks_forged_stale_repeated_and_reordered_leave_the_last_decision(
    server: str, aurora: Api
) -> None:
    await _player(aurora)
    check = await _start(aurora, "BASIC")
    reference, now = _reference(check), clock.now()

    def decided(outcome: KycOutcome, sequence: int) -> WebhookDelivery:
        return PROVIDER.decision_webhook(
            reference=reference, outcome=outcome, sequence=sequence, decided_at=now
        )

    forged = SandboxKyc("someone-else-s-secret-key").decision_webhook(
        reference=reference, outcome=KycOutcome.APPROVED, sequence=99
    )
    stale = PROVIDER.decision_webhook(
        reference=reference, outcome=KycOutcome.APPROVED, sequence=98,
        signed_at=now.replace(year=now.year - 1),
    )  # fmt: skip
    replies = [
        await _post(server, delivery)
        for delivery in (
            forged, stale, decided(KycOutcome.RESUBMISSION_REQUESTED, 2),
            decided(KycOutcome.APPROVED, 3), decided(KycOutcome.APPROVED, 3),
            decided(KycOutcome.MANUAL_REVIEW, 1),
        )
    ]  # fmt: skip
    on_kumo = await _post(server, decided(KycOutcome.REJECTED, 4), host="kumo.localhost")

    assert [reply.status_code for reply in replies] == [401, 401, 200, 200, 200, 200]
    assert [reply.json().get("applied") for reply in replies[2:]] == [True, True, False, False]
    assert replies[0].json()["error"]["code"] == "INVALID_SIGNATURE"
    assert on_kumo.status_code == 404
    verification = await _verification(aurora)
    assert verification["tier"] == "BASIC"
    assert [(c["status"], c["reason"]) for c in verification["checks"]] == [("APPROVED", None)]


async def test_risk_staff_decide_a_manual_review_of_their_brand_with_a_reason(
    server: str, db: Database, aurora: Api
) -> None:
    player_id, email = await _player(aurora)
    check = await _start(aurora, "FULL")
    (review,) = PROVIDER.complete_flow(check["flowUrl"], KycOutcome.MANUAL_REVIEW)
    assert (await _post(server, review)).status_code == 200
    suffix = uuid.uuid4().hex[:6]
    risk = await signed_in_staff(
        Api(server, aurora.host), db, f"risk-{suffix}@op.example", ["risk"], ["aurora"]
    )
    support = await signed_in_staff(
        Api(server, aurora.host), db, f"support-{suffix}@op.example", ["support"], ["aurora"]
    )

    queue = (await risk.query(QUEUE)).data["kycReviewQueue"]
    denied = await support.query(QUEUE)
    no_reason = (
        await risk.query(
            DECIDE, {"i": {"checkId": check["id"], "decision": "APPROVE", "reason": " "}}
        )
    ).data["decideKycReview"]
    decided = (
        await risk.query(
            DECIDE, {"i": {"checkId": check["id"], "decision": "APPROVE", "reason": "passport ok"}}
        )
    ).data["decideKycReview"]
    again = (
        await risk.query(
            DECIDE, {"i": {"checkId": check["id"], "decision": "REJECT", "reason": "changed mind"}}
        )
    ).data["decideKycReview"]

    mine = [item for item in queue if item["playerEmail"] == email]
    assert [(i["check"]["tier"], i["check"]["status"]) for i in mine] == [("FULL", "MANUAL_REVIEW")]
    # The hosted flow's link acts for the player: staff never see it.
    assert mine[0]["check"]["flowUrl"] == ""
    seen = (await risk.query(STAFF_VERIFICATION, {"id": player_id})).data["node"]["verification"]
    assert seen == {"tier": "FULL", "checks": [{"status": "APPROVED", "flowUrl": ""}]}
    assert denied.body["errors"][0]["extensions"]["code"] == "PERMISSION_DENIED"
    assert [e["code"] for e in no_reason["errors"]] == ["REASON_REQUIRED"]
    assert decided == {
        "check": {"status": "APPROVED", "reason": None},
        "playerTier": "FULL",
        "errors": [],
    }
    assert [e["code"] for e in again["errors"]] == ["CHECK_ALREADY_DECIDED"]
    assert (await _verification(aurora))["tier"] == "FULL"
    async with db.uow() as uow:
        audited = await uow.session.scalar(
            select(AuditEntry.reason)
            .where(AuditEntry.action == "kyc.check.review")
            .order_by(AuditEntry.id.desc())
            .limit(1)
        )
    assert audited == "passport ok"
    for api in (risk, support):
        await api.aclose()


async def test_staff_correct_a_profile_only_with_a_reason_and_it_is_audited(
    server: str, db: Database, aurora: Api
) -> None:
    player_id, _ = await _player(aurora)
    risk = await signed_in_staff(
        Api(server, aurora.host),
        db,
        f"risk-p-{uuid.uuid4().hex[:6]}@op.example",
        ["risk"],
        ["aurora"],
    )

    unexplained = (
        await risk.query(
            STAFF_PROFILE,
            {"i": {"playerId": player_id, "profile": {"givenName": "Ann"}, "reason": ""}},
        )
    ).data["updatePlayerProfile"]
    corrected = (
        await risk.query(
            STAFF_PROFILE,
            {"i": {"playerId": player_id, "profile": {"givenName": "Ann"}, "reason": "typo on ID"}},
        )
    ).data["updatePlayerProfile"]

    assert [e["code"] for e in unexplained["errors"]] == ["REASON_REQUIRED"]
    assert corrected == {"profile": {"givenName": "Ann"}, "errors": []}
    async with db.uow() as uow:
        row = (
            await uow.session.execute(
                select(
                    AuditEntry.actor_kind, AuditEntry.reason, AuditEntry.before, AuditEntry.after
                )
                .where(AuditEntry.action == "player.profile.update")
                .order_by(AuditEntry.id.desc())
                .limit(1)
            )
        ).one()
    assert tuple(row) == ("staff", "typo on ID", {"given_name": None}, {"given_name": "Ann"})
    await risk.aclose()


async def test_a_failing_provider_answers_provider_unavailable(
    aurora: Api, monkeypatch: Any
) -> None:
    await _player(aurora)
    down = SandboxKyc(unavailable=True)
    monkeypatch.setattr(kyc_resolvers, "kyc_provider", lambda settings: down)

    started = (await aurora.query(START, {"i": {"tier": "BASIC"}})).data["startVerification"]

    assert started == {"check": None, "errors": [{"code": "PROVIDER_UNAVAILABLE", "field": None}]}
    assert (await _verification(aurora))["checks"] == []


DEPOSIT = """mutation($i: DepositInput!) { deposit(input: $i) {
  payment { status } errors { code field message } } }"""
WITHDRAW = """mutation($i: RequestWithdrawalInput!) { requestWithdrawal(input: $i) {
  withdrawal { status } errors { code field message } } }"""


async def test_a_deposit_before_the_pack_s_tier_answers_verification_required_naming_the_step(
    server: str, northstar: Api, monkeypatch: Any
) -> None:
    """Sweden's pack: basic verification before a deposit, full before a withdrawal."""
    enforce_gates(monkeypatch)
    email = f"kyc-se-{uuid.uuid4().hex[:8]}@example.com"
    await northstar.register(email=email, country="SE", currency="SEK", locale="sv")
    await northstar.login(email)
    sek = {"amount": "100", "currency": "SEK"}

    refused = await northstar.query(DEPOSIT, {"i": {"amount": sek, "idempotencyKey": "se-1"}})
    check = await _start(northstar, "BASIC")
    (approval,) = PROVIDER.complete_flow(check["flowUrl"], KycOutcome.APPROVED)
    assert (await _post(server, approval, host=northstar.host)).status_code == 200
    accepted = await northstar.query(DEPOSIT, {"i": {"amount": sek, "idempotencyKey": "se-2"}})
    withdrawal = await northstar.query(WITHDRAW, {"i": {"amount": sek, "idempotencyKey": "se-3"}})

    assert refused.data["deposit"] == {
        "payment": None,
        "errors": [
            {
                "code": "VERIFICATION_REQUIRED",
                "field": "amount",
                "message": "Verify your identity first: deposit needs the basic verification.",
            }
        ],
    }
    assert accepted.data["deposit"]["errors"] == []
    assert accepted.data["deposit"]["payment"]["status"] == "PENDING"
    assert [e["code"] for e in withdrawal.data["requestWithdrawal"]["errors"]] == [
        "VERIFICATION_REQUIRED"
    ]
    assert (
        "withdrawal needs the full verification"
        in (withdrawal.data["requestWithdrawal"]["errors"][0]["message"])
    )
