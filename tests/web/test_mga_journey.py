"""The Malta (MGA) player journey, from outside, with the KYC gates on as everywhere: a
player registers on a Malta brand, deposits under the pack's threshold unverified, is
refused a withdrawal (full verification first) and a deposit that takes them past EUR
2,000 in 30 days (enhanced verification), verifies on the test provider's hosted page,
and then deposits and withdraws."""

from __future__ import annotations

import uuid
from typing import Any

from tests.domain.compliance.kyc_support import enforce_gates
from tests.support import Api

DEPOSIT = """mutation($i: DepositInput!) {
  deposit(input: $i) { payment { status } errors { code field message } } }"""
WITHDRAW = """mutation($i: RequestWithdrawalInput!) { requestWithdrawal(input: $i) {
  withdrawal { status } errors { code field message } } }"""
START = """mutation($i: StartVerificationInput!) { startVerification(input: $i) {
  check { tier status flowUrl } errors { code } } }"""
VERIFICATION = """{ viewer { player { verification {
  tier enforced requirements { step tier met } } } } }"""


async def _deposit(api: Api, amount: str) -> dict[str, Any]:
    money = {"amount": amount, "currency": "EUR"}
    key = f"mga-{uuid.uuid4().hex[:10]}"
    answer = await api.query(
        DEPOSIT, {"i": {"amount": money, "idempotencyKey": key, "flow": "DIRECT"}}
    )
    return dict(answer.data["deposit"])


async def _withdraw(api: Api, amount: str) -> dict[str, Any]:
    money = {"amount": amount, "currency": "EUR"}
    key = f"mga-w-{uuid.uuid4().hex[:10]}"
    answer = await api.query(WITHDRAW, {"i": {"amount": money, "idempotencyKey": key}})
    return dict(answer.data["requestWithdrawal"])


def _codes(payload: dict[str, Any]) -> list[tuple[str, str]]:
    return [(error["code"], error["message"]) for error in payload["errors"]]


async def test_a_malta_player_deposits_hits_the_threshold_verifies_and_withdraws(
    server: str, aurora: Api, monkeypatch: Any
) -> None:
    enforce_gates(monkeypatch)
    email = f"mga-{uuid.uuid4().hex[:10]}@example.com"
    await aurora.register(email=email, country="MT", currency="EUR")
    await aurora.login(email)

    under = await _deposit(aurora, "500.00")
    early_withdrawal = await _withdraw(aurora, "100.00")
    past_threshold = await _deposit(aurora, "1600.00")
    before = (await aurora.query(VERIFICATION)).data["viewer"]["player"]["verification"]

    started = (await aurora.query(START, {"i": {"tier": "ENHANCED"}})).data["startVerification"]
    hosted = await aurora.client.get(started["check"]["flowUrl"])
    back = await aurora.client.post(
        started["check"]["flowUrl"].replace("?", "/approve?", 1), data={"delivery": "normal"}
    )
    after = (await aurora.query(VERIFICATION)).data["viewer"]["player"]["verification"]
    over = await _deposit(aurora, "1600.00")
    withdrawal = await _withdraw(aurora, "100.00")

    assert (under["errors"], under["payment"]["status"]) == ([], "SUCCEEDED")
    assert _codes(early_withdrawal) == [
        (
            "VERIFICATION_REQUIRED",
            "Verify your identity first: withdrawal needs the full verification.",
        )
    ]
    assert _codes(past_threshold) == [
        (
            "VERIFICATION_REQUIRED",
            "Verify your identity first: deposit needs the enhanced verification.",
        )
    ]
    assert before["enforced"] is True
    assert before["tier"] == "NONE"
    assert started["errors"] == [] and started["check"]["status"] == "PENDING"
    assert hosted.status_code == 200 and "Approve" in hosted.text
    assert (back.status_code, back.headers["location"]) == (303, "/account/verification")
    assert after["tier"] == "ENHANCED"
    assert all(requirement["met"] for requirement in after["requirements"])
    assert (over["errors"], over["payment"]["status"]) == ([], "SUCCEEDED")
    assert withdrawal["errors"] == []
    assert withdrawal["withdrawal"]["status"] == "REQUESTED"
