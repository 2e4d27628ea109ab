"""The KYC gates each jurisdiction pack sets, through the one guard every deposit,
withdrawal and wager runs (compliance.service.ensure_allowed): a step before the pack's
tier is refused with VERIFICATION_REQUIRED naming the tier and the step; the tier the test
provider approves opens it. One test per pack rule."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest

from domain.accounts.principal import Principal
from domain.brands.service import Brand, BrandRegistry
from domain.compliance.kyc import status
from domain.compliance.kyc.errors import VerificationRequired
from domain.compliance.kyc.models import KycTier
from domain.compliance.service import Activity, ensure_allowed
from domain.integrations.kyc import KycOutcome
from domain.integrations.kyc_sandbox import SandboxKyc
from domain.kernel.db import Database
from domain.payments.service import initiate_deposit
from tests.domain.compliance.kyc_support import (
    brand_in,
    deliver,
    enforce_gates,
    register,
    start,
    synced,
)
from tests.domain.compliance.support import advance
from tests.domain.sportsbook.support import add_market, funded_player, place
from tests.domain.sportsbook.test_placement import single

PROVIDER = SandboxKyc()
V = "VERIFICATION_REQUIRED"
STEPS = (Activity.DEPOSIT, Activity.WAGER, Activity.WITHDRAWAL)


@pytest.fixture(autouse=True)
def _gates_on(monkeypatch: pytest.MonkeyPatch) -> None:
    enforce_gates(monkeypatch)


@pytest.fixture
async def albion(db: Database, registry: BrandRegistry) -> Brand:
    return await synced(db, brand_in(registry, "albion", "GB"))


@pytest.fixture
async def huron(db: Database, registry: BrandRegistry) -> Brand:
    return await synced(db, brand_in(registry, "huron", "CA-ON", ("CAD",)))


async def _refusal(
    db: Database, player: Principal, activity: Activity, amount_minor: int = 1000
) -> tuple[str, str, str] | None:
    """(code, tier, step) of the refusal, or None when the step is allowed."""
    assert player.brand is not None
    async with db.uow() as uow:
        try:
            await ensure_allowed(uow, player.brand, player.id, activity, amount_minor=amount_minor)
        except VerificationRequired as refused:
            return refused.code, refused.tier, refused.step
    return None


async def _verified(db: Database, player: Principal, tier: KycTier) -> None:
    check = await start(db, PROVIDER, player, tier)
    (approval,) = PROVIDER.complete_flow(check.flow_url, KycOutcome.APPROVED)
    assert player.brand is not None
    await deliver(db, PROVIDER, player.brand, approval)


async def _deposit(db: Database, player: Principal, amount_minor: int, currency: str) -> None:
    assert player.brand is not None
    async with db.transaction() as uow:
        await initiate_deposit(
            uow, brand=player.brand, player_id=player.id, amount_minor=amount_minor,
            currency=currency, idempotency_key=uuid.uuid4().hex, provider="test",
        )  # fmt: skip


async def test_uk_a_deposit_and_play_before_basic_verification_are_refused_naming_the_step(
    db: Database, albion: Brand
) -> None:
    player = await register(db, albion, "GBP")

    refused = [await _refusal(db, player, step) for step in STEPS]
    await _verified(db, player, KycTier.BASIC)
    after_basic = [await _refusal(db, player, step) for step in STEPS]

    assert refused == [(V, "basic", "deposit"), (V, "basic", "play"), (V, "full", "withdrawal")]
    assert after_basic == [None, None, (V, "full", "withdrawal")]


async def test_uk_withdrawal_opens_with_full_verification(db: Database, albion: Brand) -> None:
    player = await register(db, albion, "GBP")

    await _verified(db, player, KycTier.FULL)

    assert [await _refusal(db, player, step) for step in STEPS] == [None, None, None]


async def test_uk_deposits_past_2000_pounds_in_30_days_need_enhanced_verification(
    db: Database, albion: Brand
) -> None:
    player = await register(db, albion, "GBP")
    await _verified(db, player, KycTier.FULL)
    await _deposit(db, player, 150_000, "GBP")

    up_to_threshold = await _refusal(db, player, Activity.DEPOSIT, 50_000)
    past_threshold = await _refusal(db, player, Activity.DEPOSIT, 50_001)
    await _verified(db, player, KycTier.ENHANCED)
    enhanced = await _refusal(db, player, Activity.DEPOSIT, 50_001)

    assert up_to_threshold is None
    assert past_threshold == (V, "enhanced", "deposit")
    assert enhanced is None


async def test_malta_deposit_and_play_are_open_for_30_days_then_need_full_verification(
    db: Database, registry: BrandRegistry, monkeypatch: pytest.MonkeyPatch
) -> None:
    player = await register(db, registry.get("aurora"), "EUR")

    first_days = [await _refusal(db, player, step) for step in STEPS]
    advance(monkeypatch, timedelta(days=30, minutes=1))
    after_grace = [await _refusal(db, player, step) for step in STEPS]

    assert first_days == [None, None, (V, "full", "withdrawal")]
    assert after_grace == [(V, "full", "deposit"), (V, "full", "play"), (V, "full", "withdrawal")]


async def test_malta_deposits_past_2000_euros_need_enhanced_verification(
    db: Database, registry: BrandRegistry
) -> None:
    player = await register(db, registry.get("aurora"), "EUR")

    assert await _refusal(db, player, Activity.DEPOSIT, 200_000) is None
    assert await _refusal(db, player, Activity.DEPOSIT, 200_001) == (V, "enhanced", "deposit")


async def test_sweden_asks_basic_before_deposit_and_play(
    db: Database, registry: BrandRegistry
) -> None:
    player = await register(db, registry.get("northstar"), "SEK", "SE")

    refused = [await _refusal(db, player, step) for step in STEPS]

    assert refused == [(V, "basic", "deposit"), (V, "basic", "play"), (V, "full", "withdrawal")]


async def test_ontario_asks_full_verification_before_anything(db: Database, huron: Brand) -> None:
    player = await register(db, huron, "CAD")

    refused = [await _refusal(db, player, step) for step in STEPS]
    await _verified(db, player, KycTier.FULL)

    assert refused == [(V, "full", "deposit"), (V, "full", "play"), (V, "full", "withdrawal")]
    assert [await _refusal(db, player, step) for step in STEPS] == [None, None, None]


async def test_curacao_asks_basic_only_before_withdrawal(
    db: Database, registry: BrandRegistry
) -> None:
    player = await register(db, registry.get("kumo"), "JPY")

    refused = [await _refusal(db, player, step) for step in STEPS]

    assert refused == [None, None, (V, "basic", "withdrawal")]


async def test_the_status_names_what_each_step_needs_and_what_to_verify_next(
    db: Database, albion: Brand
) -> None:
    player = await register(db, albion, "GBP")
    await _verified(db, player, KycTier.BASIC)

    async with db.uow() as uow:
        found = await status.verification_of(uow, player, "albion", player.id)

    assert found.tier is KycTier.BASIC
    assert [(req.step.value, req.tier.value, req.met) for req in found.steps] == [
        ("deposit", "basic", True), ("play", "basic", True), ("withdrawal", "full", False),
    ]  # fmt: skip
    assert found.next_tier is KycTier.FULL
    assert [(check.tier, check.status) for check in found.checks] == [("basic", "approved")]


async def test_without_enforcement_the_guard_lets_an_unverified_player_deposit(
    db: Database, albion: Brand, monkeypatch: pytest.MonkeyPatch
) -> None:
    enforce_gates(monkeypatch, enforced=False)
    player = await register(db, albion, "GBP")

    assert await _refusal(db, player, Activity.DEPOSIT) is None


async def test_malta_sportsbook_bets_after_the_grace_days_need_full_verification(
    db: Database, registry: BrandRegistry, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Placement reads the tier in its own context statement (no extra trip)."""
    market = await add_market(db, {"home": "2.50", "away": "1.60"})
    player_id = await funded_player(db, registry)

    within_grace = await place(db, registry, player_id, single(market.outcomes["home"], "2.50"))
    advance(monkeypatch, timedelta(days=30, minutes=1))
    with pytest.raises(VerificationRequired) as after_grace:
        await place(db, registry, player_id, single(market.outcomes["home"], "2.50"))

    assert within_grace.bet_id is not None
    assert (after_grace.value.tier, after_grace.value.step, after_grace.value.field) == (
        "full", "play", "stake",
    )  # fmt: skip
