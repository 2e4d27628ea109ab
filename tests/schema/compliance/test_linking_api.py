"""Devices and duplicate accounts over the API: the site's device script reports what the
fingerprinting provider identified; two accounts on one device show in risk staff's list
of possible duplicates; a made-up token is refused and records nothing."""

from __future__ import annotations

import uuid

from domain.integrations.devices import SandboxDevices
from domain.kernel.db import Database
from tests.schema.accounts.test_staff import signed_in_staff
from tests.support import Api

REPORT = """mutation($i: ReportDeviceInput!) { reportDevice(input: $i) {
  recorded errors { code field } } }"""
FLAGS = "{ duplicateAccountFlags { rule playerEmail otherPlayerEmail } }"
DEVICES = SandboxDevices()


async def _player(server: str, host: str) -> tuple[Api, str]:
    api = Api(server, host)
    email = f"device-{uuid.uuid4().hex[:10]}@example.com"
    await api.register(email=email)
    await api.login(email)
    return api, email


async def test_two_accounts_on_one_device_are_listed_for_risk_staff(
    server: str, db: Database, aurora: Api
) -> None:
    token = DEVICES.token_for(f"tablet-{uuid.uuid4().hex[:8]}", "emulator")
    first, first_email = await _player(server, aurora.host)
    second, second_email = await _player(server, aurora.host)
    suffix = uuid.uuid4().hex[:6]
    risk = await signed_in_staff(
        Api(server, aurora.host), db, f"risk-d-{suffix}@op.example", ["risk"], ["aurora"]
    )
    support = await signed_in_staff(
        Api(server, aurora.host), db, f"support-d-{suffix}@op.example", ["support"], ["aurora"]
    )

    reported = [
        (await api.query(REPORT, {"i": {"token": token}})).data["reportDevice"]
        for api in (first, second)
    ]
    forged = (await first.query(REPORT, {"i": {"token": token[:-4] + "0000"}})).data["reportDevice"]
    flags = (await risk.query(FLAGS)).data["duplicateAccountFlags"]
    denied = await support.query(FLAGS)

    assert reported == [{"recorded": True, "errors": []}] * 2
    assert forged == {
        "recorded": False,
        "errors": [{"code": "INVALID_DEVICE_TOKEN", "field": "token"}],
    }
    mine = [
        flag for flag in flags
        if {flag["playerEmail"], flag["otherPlayerEmail"]} == {first_email, second_email}
    ]  # fmt: skip
    assert [flag["rule"] for flag in mine] == ["device"]
    assert denied.body["errors"][0]["extensions"]["code"] == "PERMISSION_DENIED"
    for api in (first, second, risk, support):
        await api.aclose()
