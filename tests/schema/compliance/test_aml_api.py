"""From outside: a player depositing past the pack's AML threshold (through the test PSP,
over GraphQL) raises exactly one alert through the real broker and the compliance worker,
visible to risk staff with its evidence; further deposits are refused with
ENHANCED_CHECKS_REQUIRED until risk staff record the outcome."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import text
from strawberry.relay import from_base64

from domain.brands.service import BrandRegistry
from domain.compliance.aml import alerts, monitoring
from domain.compliance.aml.models import AlertRule, InteractionKind
from domain.integrations.kyc import KycOutcome
from domain.kernel.db import Database
from domain.kernel.settings import get_settings
from domain.payments.events import PaymentStatusChanged
from schema import build_schema
from tests.domain.payments.support import staff, wallet_balances
from tests.schema.accounts.test_staff import signed_in_staff
from tests.schema.compliance.test_kyc_api import PROVIDER, _post, _start
from tests.support import AURORA, Api, create_player, request_context, statements_of
from tests.workers import eventually, flushed_broker, running_worker  # noqa: F401 (fixture)
from workers.actors import compliance as compliance_actors

SCHEMA = build_schema(get_settings())
AURORA_SLUG = "aurora"
DEPOSIT = """mutation($i: DepositInput!) {
  deposit(input: $i) { payment { id status } errors { code field message } } }"""
ALERTS = """query($status: AmlAlertStatus, $player: ID) {
  amlAlerts(status: $status, playerId: $player) {
    id playerId rule status outcome holdsDeposits
    evidence { threshold { amount currency } total { amount currency }
               payments { paymentId amount { amount } } }
    interactions { kind note }
  } }"""
TAKE = """mutation($i: TakeAmlAlertInput!) {
  takeAmlAlert(input: $i) { alert { status } errors { code field } } }"""
INTERACT = """mutation($i: RecordAmlInteractionInput!) {
  recordAmlInteraction(input: $i) { alert { interactions { kind note } } errors { code } } }"""
CLOSE = """mutation($i: CloseAmlAlertInput!) {
  closeAmlAlert(input: $i) { alert { status outcome } errors { code field } } }"""


async def _deposit(api: Api, amount: str, key: str) -> dict[str, Any]:
    result = await api.query(
        DEPOSIT,
        {
            "i": {
                "amount": {"amount": amount, "currency": "EUR"},
                "idempotencyKey": key,
                "flow": "DIRECT",
            }
        },
    )
    return result.data["deposit"]


async def _all_payment_events_evaluated(db: Database) -> bool:
    async with db.uow() as uow:
        pending = await uow.session.scalar(
            text(
                "SELECT count(*) FROM outbox_events o WHERE o.topic = :t AND NOT EXISTS ("
                "SELECT 1 FROM processed_messages m WHERE m.event_id = o.id "
                "AND m.consumer = 'compliance.evaluate_payment')"
            ),
            {"t": PaymentStatusChanged.topic},
        )
    return pending == 0


async def _audit_actions(db: Database, alert_id: str) -> list[str]:
    async with db.uow() as uow:
        rows = await uow.session.scalars(
            text(
                "SELECT action FROM audit_log WHERE subject_type = 'aml_alert' "
                "AND subject_id = :a ORDER BY id"
            ),
            {"a": from_base64(alert_id)[1]},
        )
        return list(rows)


async def test_depositing_past_the_threshold_raises_one_alert_and_holds_deposits_until_cleared(
    server: str, db: Database
) -> None:
    player = Api(server, AURORA)  # aurora: MT pack, €2,000 within 30 days, hold deposits
    registered = await player.register(email="aml@example.com")
    await player.login("aml@example.com")
    player_gid = registered["player"]["id"]
    player_id = uuid.UUID(from_base64(player_gid)[1])
    risk = await signed_in_staff(
        Api(server, AURORA), db, "risk-aurora@op.example", ["risk"], ["aurora"]
    )

    async with running_worker(compliance_actors.QUEUE):
        paid = [await _deposit(player, "900.00", f"aml-{n}") for n in range(3)]
        await eventually(lambda: _all_payment_events_evaluated(db))
        # The same events again (a redelivery after a lost acknowledgement), as new messages.
        async with db.uow() as uow:
            events = (
                await uow.session.execute(
                    text("SELECT id, brand, payload FROM outbox_events WHERE topic = :t"),
                    {"t": PaymentStatusChanged.topic},
                )
            ).all()
        for event in events:
            compliance_actors.evaluate_payment.send(-event.id, event.brand, event.payload)

        async def redelivered() -> bool:
            async with db.uow() as uow:
                done = await uow.session.scalar(
                    text("SELECT count(*) FROM processed_messages WHERE event_id < 0")
                )
            return done == len(events)

        await eventually(redelivered)
    held = await _deposit(player, "10.00", "aml-held")
    queue = (await risk.query(ALERTS, {"player": player_gid})).data["amlAlerts"]

    assert [deposit["errors"] for deposit in paid] == [[], [], []]
    assert [deposit["payment"]["status"] for deposit in paid] == ["SUCCEEDED"] * 3
    assert len(queue) == 1
    [alert] = queue
    assert {key: alert[key] for key in ("playerId", "rule", "status", "outcome")} == {
        "playerId": player_gid,
        "rule": "CUMULATIVE_DEPOSITS",
        "status": "OPEN",
        "outcome": None,
    }
    assert alert["holdsDeposits"] is True
    assert alert["evidence"]["threshold"] == {"amount": "2000.00", "currency": "EUR"}
    assert alert["evidence"]["total"] == {"amount": "2700.00", "currency": "EUR"}
    assert sorted(item["paymentId"] for item in alert["evidence"]["payments"]) == sorted(
        deposit["payment"]["id"] for deposit in paid
    )
    assert held == {
        "payment": None,
        "errors": [
            {
                "code": "ENHANCED_CHECKS_REQUIRED",
                "field": "amount",
                "message": "We need to run some extra checks before you can deposit again. "
                "Our team will contact you.",
            }
        ],
    }
    assert await wallet_balances(db, player_id) == {"cash": 2700_00, "withdrawal_pending": 0}

    # Risk staff take it, record what they asked for, and clear it.
    taken = (await risk.query(TAKE, {"i": {"alertId": alert["id"]}})).data["takeAmlAlert"]
    noted = (
        await risk.query(
            INTERACT,
            {
                "i": {
                    "alertId": alert["id"],
                    "kind": "DOCUMENTS_REQUESTED",
                    "note": "Asked for proof of the source of funds",
                }
            },
        )
    ).data["recordAmlInteraction"]
    no_reason = (
        await risk.query(CLOSE, {"i": {"alertId": alert["id"], "outcome": "CLEARED", "reason": ""}})
    ).data["closeAmlAlert"]
    still_held = await _deposit(player, "10.00", "aml-still-held")
    before_edd = (
        await risk.query(
            CLOSE,
            {"i": {"alertId": alert["id"], "outcome": "CLEARED", "reason": "Payslips verified"}},
        )
    ).data["closeAmlAlert"]
    # The player completes enhanced due diligence at the test provider.
    check = await _start(player, "ENHANCED")
    (approval,) = PROVIDER.complete_flow(check["flowUrl"], KycOutcome.APPROVED)
    assert (await _post(server, approval)).status_code == 200
    cleared = (
        await risk.query(
            CLOSE,
            {"i": {"alertId": alert["id"], "outcome": "CLEARED", "reason": "Payslips verified"}},
        )
    ).data["closeAmlAlert"]
    after = await _deposit(player, "10.00", "aml-after")

    assert taken == {"alert": {"status": "TAKEN"}, "errors": []}
    assert noted == {
        "alert": {
            "interactions": [
                {"kind": "DOCUMENTS_REQUESTED", "note": "Asked for proof of the source of funds"}
            ]
        },
        "errors": [],
    }
    assert no_reason == {"alert": None, "errors": [{"code": "REASON_REQUIRED", "field": "reason"}]}
    assert still_held["errors"][0]["code"] == "ENHANCED_CHECKS_REQUIRED"
    assert before_edd == {
        "alert": None,
        "errors": [{"code": "ENHANCED_DUE_DILIGENCE_REQUIRED", "field": "outcome"}],
    }
    assert cleared == {"alert": {"status": "CLOSED", "outcome": "CLEARED"}, "errors": []}
    assert (after["errors"], after["payment"]["status"]) == ([], "SUCCEEDED")
    assert (await risk.query(ALERTS, {"player": player_gid})).data["amlAlerts"] == []
    assert await _audit_actions(db, alert["id"]) == [
        "aml.alert.take",
        "aml.alert.documents_requested",
        "aml.alert.cleared",
    ]
    await player.aclose()
    await risk.aclose()


async def test_staff_without_aml_review_see_no_queue(server: str, db: Database) -> None:
    support = await signed_in_staff(
        Api(server, AURORA), db, "support-aml@op.example", ["support"], ["aurora"]
    )

    answer = await support.query(ALERTS, {})

    assert answer.body["data"] is None
    assert [error["extensions"]["code"] for error in answer.body["errors"]] == ["PERMISSION_DENIED"]
    await support.aclose()


async def _raised(db: Database, registry: BrandRegistry, count: int) -> None:
    """`count` alerts in aurora's queue, each with an interaction."""
    for n in range(count):
        player_id = await create_player(db, registry)
        finding = monitoring.Finding(
            AlertRule.LARGE_DEPOSIT,
            f"payment:{n}",
            {"currency": "EUR", "threshold_minor": 2000_00, "payments": []},
        )
        async with db.transaction() as uow:
            await monitoring.raise_alert(uow, "aurora", player_id, finding)
            alert_id = await uow.session.scalar(
                text("SELECT id FROM aml_alerts WHERE player_id = :p"), {"p": player_id}
            )
            await alerts.record_interaction(
                uow, staff("risk"), "aurora", alert_id, kind=InteractionKind.NOTE, note="seen"
            )


async def _listed(db: Database, registry: BrandRegistry, token: str) -> tuple[int, int]:
    """(alerts listed, statements sent) for the risk queue with evidence and interactions."""
    with statements_of(db) as statements:
        result = await SCHEMA.execute(
            ALERTS,
            variable_values={},
            context_value=request_context(db, registry, AURORA_SLUG, token),
        )
    assert result.errors is None, result.errors
    return len(result.data["amlAlerts"]), len(statements)  # type: ignore[index]


async def test_the_risk_queue_reads_in_the_same_statements_however_long(
    server: str, db: Database, registry: BrandRegistry
) -> None:
    risk = await signed_in_staff(
        Api(server, AURORA), db, "risk-count@op.example", ["risk"], ["aurora"]
    )
    async with db.transaction() as uow:
        # Earlier tests' alerts leave the queue (interactions are append-only).
        await uow.session.execute(
            text("UPDATE aml_alerts SET status = 'closed', outcome = 'cleared'")
        )
    await _raised(db, registry, 1)
    one = await _listed(db, registry, str(risk.token))
    await _raised(db, registry, 5)
    six = await _listed(db, registry, str(risk.token))

    assert (one[0], six[0]) == (1, 6)
    assert six[1] == one[1]
    await risk.aclose()
