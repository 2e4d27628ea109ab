"""AML and harm monitoring in the domain: each rule over real payments and the ledger, the
one alert per rule, player and window (under redelivery and concurrency), the deposit
hold the pack asks for, and the risk queue's take, interactions and outcomes."""

from __future__ import annotations

import asyncio
import dataclasses
import uuid
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select, text

from domain.accounts.models import Player
from domain.accounts.players import Registration
from domain.brands.service import BrandRegistry
from domain.compliance import limits
from domain.compliance.aml import alerts, monitoring
from domain.compliance.aml.errors import (
    AlertClosed,
    AlertTakenByOther,
    EnhancedChecksRequired,
    EnhancedDueDiligenceRequired,
    InvalidNote,
)
from domain.compliance.aml.models import AlertOutcome, AlertRule, AmlAlert, InteractionKind
from domain.compliance.events import LimitIncreaseRequested
from domain.compliance.jurisdictions import pack_for
from domain.compliance.kyc.models import KycTier
from domain.compliance.models import LimitKind, LimitPeriod
from domain.compliance.onboarding import register
from domain.kernel import clock
from domain.kernel.audit import AuditEntry
from domain.kernel.db import Database
from domain.kernel.errors import PermissionDenied
from domain.payments.events import PaymentStatusChanged
from tests.domain.compliance.kyc_support import verified
from tests.domain.compliance.support import casino_call, casino_request
from tests.domain.payments.support import (
    deposited,
    opened_deposit,
    requested_withdrawal,
    staff,
    wallet_balances,
)
from tests.support import STRONG_PASSWORD, create_player
from tests.web.providers.conftest import game_player


async def _evaluate_all(db: Database) -> list[AlertRule]:
    """What the compliance worker does with each committed payment event, in order."""
    async with db.uow() as uow:
        events = (
            await uow.session.execute(
                text("SELECT brand, payload FROM outbox_events WHERE topic = :t ORDER BY id"),
                {"t": PaymentStatusChanged.topic},
            )
        ).all()
    raised: list[AlertRule] = []
    for event in events:
        async with db.transaction() as uow:
            raised += await monitoring.evaluate_payment(uow, event.brand, event.payload)
    return raised


async def _alerts(db: Database, player_id: uuid.UUID) -> list[AmlAlert]:
    async with db.uow() as uow:
        found = await uow.session.scalars(
            select(AmlAlert).where(AmlAlert.player_id == player_id).order_by(AmlAlert.raised_at)
        )
        return list(found)


async def _held(db: Database, player_id: uuid.UUID) -> bool:
    async with db.uow() as uow:
        held = await uow.session.scalar(select(Player.deposits_held).where(Player.id == player_id))
        return bool(held)


async def _succeeded_payload(db: Database, player_id: uuid.UUID) -> dict[str, Any]:
    async with db.uow() as uow:
        payload = await uow.session.scalar(
            text(
                "SELECT payload FROM outbox_events WHERE topic = :t "
                "AND payload->>'player_id' = :p AND payload->>'after' = 'succeeded' "
                "ORDER BY id DESC LIMIT 1"
            ),
            {"t": PaymentStatusChanged.topic, "p": str(player_id)},
        )
        assert isinstance(payload, dict)
        return payload


async def test_deposits_past_the_30_day_threshold_raise_one_alert_and_hold_deposits(
    db: Database, registry: BrandRegistry
) -> None:
    player_id = await create_player(db, registry)  # aurora: MT, €2,000 in 30 days
    for _ in range(2):
        await deposited(db, player_id, 900_00)
    assert await _evaluate_all(db) == []
    await deposited(db, player_id, 900_00)

    raised = await _evaluate_all(db)
    again = await _evaluate_all(db)  # every event redelivered

    assert raised == [AlertRule.CUMULATIVE_DEPOSITS]
    assert again == []
    [alert] = await _alerts(db, player_id)
    assert alert.rule == "cumulative_deposits"
    assert alert.holds_deposits is True
    evidence = alert.evidence
    assert (evidence["currency"], evidence["threshold_minor"], evidence["total_minor"]) == (
        "EUR",
        2000_00,
        2700_00,
    )
    assert [item["amount_minor"] for item in evidence["payments"]] == [900_00] * 3
    assert await _held(db, player_id) is True
    with pytest.raises(EnhancedChecksRequired):
        await opened_deposit(db, player_id, 10_00)
    assert await wallet_balances(db, player_id) == {"cash": 2700_00, "withdrawal_pending": 0}
    # Withdrawals are not held.
    await requested_withdrawal(db, player_id, 5_00)


async def test_concurrent_evaluations_of_the_crossing_raise_one_alert(
    db: Database, registry: BrandRegistry
) -> None:
    player_id = await create_player(db, registry)
    await deposited(db, player_id, 2100_00)
    payload = await _succeeded_payload(db, player_id)

    async def evaluate() -> list[AlertRule]:
        async with db.transaction() as uow:
            return await monitoring.evaluate_payment(uow, "aurora", payload)

    results = await asyncio.gather(*(evaluate() for _ in range(4)))

    raised = sorted(rule for result in results for rule in result)
    # A €2,100 deposit crosses both the 30-day threshold and the single-deposit one.
    assert raised == [AlertRule.CUMULATIVE_DEPOSITS, AlertRule.LARGE_DEPOSIT]
    assert sorted(alert.rule for alert in await _alerts(db, player_id)) == [
        "cumulative_deposits",
        "large_deposit",
    ]


async def test_a_pack_that_only_alerts_does_not_hold_deposits(
    db: Database, registry: BrandRegistry
) -> None:
    # kumo: Curaçao, ¥750,000 in 30 days, alert only.
    async with db.transaction() as uow:
        player = await register(
            uow,
            registry.get("kumo"),
            Registration(
                email="kumo-aml@example.com", phone=None, username=None,
                password=STRONG_PASSWORD, date_of_birth=date(1990, 1, 1), country="JP",
                currency="JPY",
            ),
        )  # fmt: skip
    player_id = player.id
    async with db.transaction() as uow:
        [alert_found] = await _raise_cumulative(uow, "kumo", player_id, 800_000, "JPY")
    assert alert_found is True
    found = {alert.rule: alert.holds_deposits for alert in await _alerts(db, player_id)}
    # ¥800,000 in one deposit also crosses the single-deposit threshold (¥750,000).
    assert found == {"cumulative_deposits": False, "large_deposit": False}
    assert await _held(db, player_id) is False


async def _raise_cumulative(
    uow: Any, brand: str, player_id: uuid.UUID, amount_minor: int, currency: str
) -> list[bool]:
    """A credited deposit written straight to `payments` (kumo's tests have no JPY PSP
    helper), then the worker's evaluation of its event."""
    payment_id = uuid.uuid4()
    await uow.session.execute(
        text(
            "INSERT INTO payments (id, brand, player_id, kind, status, amount_minor, currency, "
            "idempotency_key, provider, completed_at) VALUES (:id, :b, :p, 'deposit', "
            "'succeeded', :a, :c, :k, 'sandbox', now())"
        ),
        {"id": payment_id, "b": brand, "p": player_id, "a": amount_minor, "c": currency, "k": "k"},
    )
    payload = PaymentStatusChanged(
        payment_id=str(payment_id), player_id=str(player_id), kind="deposit",
        before="pending", after="succeeded", amount_minor=amount_minor, currency=currency,
    ).payload()  # fmt: skip
    raised = await monitoring.evaluate_payment(uow, brand, payload)
    return [AlertRule.CUMULATIVE_DEPOSITS in raised]


async def test_a_withdrawal_soon_after_deposits_with_little_play_raises_an_alert(
    db: Database, registry: BrandRegistry
) -> None:
    player_id = await create_player(db, registry)
    await deposited(db, player_id, 500_00)
    await requested_withdrawal(db, player_id, 490_00)

    raised = await _evaluate_all(db)

    assert raised == [AlertRule.LITTLE_PLAY]
    [alert] = await _alerts(db, player_id)
    evidence = alert.evidence
    assert (evidence["total_minor"], evidence["staked_minor"]) == (500_00, 0)
    assert evidence["withdrawal"]["amount_minor"] == 490_00
    assert alert.holds_deposits is False


async def test_rapid_deposits_raise_one_alert(db: Database, registry: BrandRegistry) -> None:
    player_id = await create_player(db, registry)
    for _ in range(6):  # MT: 5 within 60 minutes
        await deposited(db, player_id, 10_00)

    raised = await _evaluate_all(db)

    assert raised == [AlertRule.RAPID_DEPOSITS]
    [alert] = await _alerts(db, player_id)
    # Evaluated after all six were credited: the evidence lists what was there.
    assert alert.evidence["count"] == 6
    assert len(alert.evidence["payments"]) == 6


async def test_staff_take_record_and_clear_releasing_the_hold_with_audit(
    db: Database, registry: BrandRegistry
) -> None:
    player_id = await create_player(db, registry)
    await deposited(db, player_id, 2100_00)
    await _evaluate_all(db)
    risk = dataclasses.replace(staff("risk"), staff_brands=("aurora",))
    other, support = staff("risk"), staff("support")
    async with db.uow() as uow:
        queued = await alerts.alerts(uow, risk, "aurora")
        with pytest.raises(PermissionDenied):
            await alerts.alerts(uow, support, "aurora")
        with pytest.raises(PermissionDenied):
            await alerts.alerts(uow, risk, "northstar")  # a brand beyond theirs
    assert sorted(alert.rule for alert in queued) == ["cumulative_deposits", "large_deposit"]
    cumulative = next(a for a in queued if a.rule == "cumulative_deposits")

    async with db.transaction() as uow:
        await alerts.take(uow, risk, "aurora", cumulative.id)
    async with db.transaction() as uow:
        with pytest.raises(AlertTakenByOther):
            await alerts.take(uow, other, "aurora", cumulative.id)
    async with db.transaction() as uow:
        with pytest.raises(InvalidNote):
            await alerts.record_interaction(
                uow, risk, "aurora", cumulative.id, kind=InteractionKind.NOTE, note="  "
            )
    async with db.transaction() as uow:
        await alerts.record_interaction(
            uow, risk, "aurora", cumulative.id,
            kind=InteractionKind.DOCUMENTS_REQUESTED, note="Asked for payslips",
        )  # fmt: skip
    async with db.transaction() as uow:
        await alerts.close(
            uow, risk, "aurora", cumulative.id, outcome=AlertOutcome.REFERRED, reason="MLRO"
        )
    assert await _held(db, player_id) is True  # a referral keeps the hold
    # A hold is cleared only after enhanced due diligence.
    async with db.transaction() as uow:
        with pytest.raises(EnhancedDueDiligenceRequired):
            await alerts.close(
                uow, risk, "aurora", cumulative.id, outcome=AlertOutcome.CLEARED, reason="Ok"
            )
    assert await _held(db, player_id) is True
    await verified(db, "aurora", player_id, KycTier.ENHANCED)
    async with db.transaction() as uow:
        await alerts.close(
            uow, risk, "aurora", cumulative.id, outcome=AlertOutcome.CLEARED, reason="Source ok"
        )
    async with db.transaction() as uow:
        with pytest.raises(AlertClosed):
            await alerts.close(
                uow, risk, "aurora", cumulative.id, outcome=AlertOutcome.REFERRED, reason="x"
            )

    assert await _held(db, player_id) is False
    await opened_deposit(db, player_id, 10_00)
    async with db.uow() as uow:
        actions = (
            await uow.session.scalars(
                text(
                    "SELECT action FROM audit_log WHERE subject_type = 'aml_alert' "
                    "AND subject_id = :a ORDER BY id"
                ),
                {"a": str(cumulative.id)},
            )
        ).all()
    assert actions == [
        "aml.alert.take",
        "aml.alert.documents_requested",
        "aml.alert.referred",
        "aml.alert.cleared",
    ]


async def test_repeated_limit_increases_raise_a_harm_alert(
    db: Database, registry: BrandRegistry
) -> None:
    player_id = await create_player(db, registry)
    for amount_minor in (100_00, 200_00, 300_00):  # set, then two increases (MT: 2 in 30 days)
        async with db.transaction() as uow:
            await limits.apply_limit(
                uow, None, "aurora", player_id, kind=LimitKind.DEPOSIT, period=LimitPeriod.DAY,
                amount_minor=amount_minor, currency="EUR",
            )  # fmt: skip
    async with db.uow() as uow:
        events = (
            await uow.session.scalars(
                text("SELECT payload FROM outbox_events WHERE topic = :t ORDER BY id"),
                {"t": LimitIncreaseRequested.topic},
            )
        ).all()

    raised = []
    for payload in [*events, *events]:  # each delivered twice
        async with db.transaction() as uow:
            raised += await monitoring.evaluate_limit_increase(uow, "aurora", payload)

    assert len(events) == 2
    assert raised == [AlertRule.LIMIT_INCREASES]
    [alert] = await _alerts(db, player_id)
    assert alert.evidence["count"] == 2
    assert [item["kind"] for item in alert.evidence["requests"]] == ["deposit", "deposit"]
    assert alert.holds_deposits is False


async def test_night_play_counts_stakes_in_the_packs_night_hours_of_the_brands_zone(
    db: Database, registry: BrandRegistry
) -> None:
    game = await game_player(db, registry, cash=1000, bonus=0)
    for n in range(3):
        await casino_call(db, registry, casino_request(game.player_id, game.token, n, 100))
    mt = pack_for("MT")
    now = clock.now()
    hour = now.astimezone(ZoneInfo("Europe/Malta")).hour  # aurora's time zone
    # A night that holds this hour of Malta's, and one that does not.
    night = mt.model_copy(
        update={
            "aml": mt.aml.model_copy(
                update={"night_from_hour": hour, "night_to_hour": hour + 1, "night_stakes_min": 3}
            )
        }
    )
    day = mt.model_copy(
        update={
            "aml": night.aml.model_copy(
                update={"night_from_hour": (hour + 12) % 24, "night_to_hour": (hour + 12) % 24 + 1}
            )
        }
    )

    async with db.uow() as uow:
        at_night = await monitoring.night_counts(uow, "aurora", game.player_id, night, now)
        by_day = await monitoring.night_counts(uow, "aurora", game.player_id, day, now)

    assert at_night == monitoring.NightPlay(3, 3, 300, 300)
    assert by_day == monitoring.NightPlay(3, 0, 300, 0)
    found = monitoring.night_play(at_night, night, now, "EUR")
    assert found is not None and found.rule is AlertRule.NIGHT_PLAY
    assert (found.evidence["count"], found.evidence["total_minor"]) == (3, 300)
    assert monitoring.night_play(by_day, day, now, "EUR") is None
    # The shipped pack asks for 20 night stakes at least.
    assert monitoring.night_play(at_night, mt, now, "EUR") is None


async def test_deposits_through_many_payment_methods_raise_an_alert(
    db: Database, registry: BrandRegistry
) -> None:
    player_id = await create_player(db, registry)
    await deposited(db, player_id, 10_00)
    async with db.transaction() as uow:
        # Two more deposits through other payment providers (MT: 3 in 30 days).
        for provider in ("other-psp", "third-psp"):
            await uow.session.execute(
                text(
                    "INSERT INTO payments (id, brand, player_id, kind, status, amount_minor, "
                    "currency, idempotency_key, provider, completed_at) VALUES (:id, 'aurora', "
                    ":p, 'deposit', 'succeeded', 1000, 'EUR', :k, :provider, now())"
                ),
                {"id": uuid.uuid4(), "p": player_id, "k": provider, "provider": provider},
            )

    raised = await _evaluate_all(db)

    assert raised == [AlertRule.PAYMENT_METHODS]
    [alert] = await _alerts(db, player_id)
    assert alert.evidence["methods"] == ["other-psp", "test", "third-psp"]


async def test_deposits_rising_against_the_weeks_before_raise_a_harm_alert(
    db: Database, registry: BrandRegistry
) -> None:
    player_id = await create_player(db, registry)
    await deposited(db, player_id, 10_00)
    async with db.transaction() as uow:
        # One deposit in the four weeks before this one (MT: 3x the weekly average, 4 at least).
        await uow.session.execute(
            text(
                "UPDATE payments SET completed_at = now() - interval '20 days' WHERE player_id = :p"
            ),
            {"p": player_id},
        )
    for _ in range(3):
        await deposited(db, player_id, 10_00)
    assert await _evaluate_all(db) == []  # 3 this week: under the minimum of 4
    await deposited(db, player_id, 10_00)

    raised = await _evaluate_all(db)

    assert raised == [AlertRule.RISING_DEPOSIT_FREQUENCY]
    [alert] = await _alerts(db, player_id)
    assert (alert.evidence["count"], alert.evidence["count_before_28d"]) == (4, 1)


async def test_a_hold_reaches_the_person_on_every_brand_and_ends_after_enhanced_checks(
    db: Database, registry: BrandRegistry
) -> None:
    """The same person (same e-mail and birth date) on aurora and kumo: a hold raised on
    aurora holds kumo's deposits too, and clearing it after enhanced due diligence
    releases both."""
    email = f"held-{uuid.uuid4().hex[:8]}@example.com"
    on_aurora = await create_player(db, registry, email=email)
    on_kumo = await _on_kumo(db, registry, email)
    stranger = await _on_kumo(db, registry, f"other-{email}")
    await deposited(db, on_aurora, 2100_00)
    await _evaluate_all(db)

    # The person registers on a third brand while held: held there from the start.
    later = await _on_kumo(db, registry, email, brand="northstar")
    assert [await _held(db, p) for p in (on_aurora, on_kumo, stranger)] == [True, True, False]
    assert await _held(db, later) is True
    risk = dataclasses.replace(staff("risk"), staff_brands=("aurora",))
    async with db.uow() as uow:
        holding = [a for a in await alerts.alerts(uow, risk, "aurora") if a.holds_deposits]
    await verified(db, "aurora", on_aurora, KycTier.ENHANCED)
    for alert in holding:
        async with db.transaction() as uow:
            await alerts.close(
                uow, risk, "aurora", alert.id, outcome=AlertOutcome.CLEARED, reason="EDD done"
            )

    assert [await _held(db, p) for p in (on_aurora, on_kumo, later)] == [False, False, False]
    # Each account held and released on every brand has its audit row naming the alert.
    audited = await _deposit_audit(db, on_kumo)
    assert [(action, brand) for action, brand, _ in audited] == [
        ("player.deposits.hold", "kumo"), ("player.deposits.release", "kumo"),
    ]  # fmt: skip
    ids = {str(alert.id) for alert in holding}
    assert all(any(i in reason for i in ids) for _, _, reason in audited)


async def _deposit_audit(db: Database, player_id: uuid.UUID) -> list[tuple[str, str, str]]:
    async with db.uow() as uow:
        rows = await uow.session.execute(
            select(AuditEntry.action, AuditEntry.brand, AuditEntry.reason)
            .where(
                AuditEntry.subject_id == str(player_id),
                AuditEntry.action.in_(("player.deposits.hold", "player.deposits.release")),
            )
            .order_by(AuditEntry.id)
        )
        return [(str(a), str(b), str(r)) for a, b, r in rows]


async def _on_kumo(
    db: Database, registry: BrandRegistry, email: str, *, brand: str = "kumo"
) -> uuid.UUID:
    country, currency = {"kumo": ("JP", "JPY"), "northstar": ("SE", "SEK")}[brand]
    async with db.transaction() as uow:
        player = await register(
            uow, registry.get(brand),
            Registration(
                email=email, phone=None, username=None, password=STRONG_PASSWORD,
                date_of_birth=date(1990, 1, 1), country=country, currency=currency,
            ),
        )  # fmt: skip
        return player.id
