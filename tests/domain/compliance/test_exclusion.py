"""Rules the code reads from the brand's jurisdiction pack. Self-exclusion ends by the pack of the brand it was asked on: Malta's at its date (the
next sign-in finds the person active on every brand), Great Britain's only once the player
asks after the period, then a day's cooling-off. Periods the pack does not offer are
refused."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from domain.accounts import sessions
from domain.accounts.errors import InvalidInput
from domain.accounts.models import Player, PrincipalKind, SessionState, SessionTransport
from domain.accounts.players import Registration, SelfExclusionPeriod
from domain.accounts.principal import Principal
from domain.accounts.sign_in import Attempt
from domain.brands.service import Brand, BrandRegistry, sync_brands
from domain.compliance import exclusion, limits, onboarding, protection
from domain.compliance.errors import CoolingOff, ExclusionRunning, PeriodNotOffered
from domain.compliance.models import LimitKind, LimitPeriod
from domain.compliance.protection import TimeOutPeriod
from domain.kernel import clock
from domain.kernel.db import Database
from domain.kernel.errors import DomainError
from tests.domain.compliance.support import advance
from tests.support import STRONG_PASSWORD
from workers.scheduler import JOBS

BIRTH = date(1984, 4, 4)


def _albion(registry: BrandRegistry) -> Brand:
    """A brand licensed in Great Britain (none of the shipped themes is)."""
    return registry.get("aurora").model_copy(
        update={"slug": "albion", "jurisdiction": "GB", "domains": ("albion.localhost",)}
    )


@pytest.fixture
async def albion(db: Database, registry: BrandRegistry) -> Brand:
    brand = _albion(registry)
    async with db.transaction() as uow:
        await sync_brands(uow, BrandRegistry.from_brands([brand]))
    return brand


async def _register(db: Database, brand: Brand, email: str, currency: str) -> uuid.UUID:
    async with db.transaction() as uow:
        form = Registration(
            email=email, phone=None, username=None, password=STRONG_PASSWORD,
            date_of_birth=BIRTH, country="SE", currency=currency,
        )  # fmt: skip
        return (await onboarding.register(uow, brand, form)).id


async def _signed_in(db: Database, brand: str, player_id: uuid.UUID) -> Principal:
    async with db.transaction() as uow:
        issued = await sessions.issue(
            uow, kind=PrincipalKind.PLAYER, principal_id=player_id, brand=brand,
            transport=SessionTransport.BEARER, state=SessionState.ACTIVE, ip_address=None,
            user_agent=None,
        )  # fmt: skip
    return Principal(PrincipalKind.PLAYER, player_id, issued.session.id, brand, True)


async def _exclude(
    db: Database, principal: Principal, period: SelfExclusionPeriod
) -> exclusion.SelfExclusion:
    async with db.transaction() as uow:
        assert principal.brand is not None
        return await exclusion.self_exclude(
            uow, principal, principal.brand, period=period, confirmed=True
        )


async def _login(db: Database, brand: Brand, email: str) -> str | None:
    """The refusal's code, or None when a session was issued."""
    async with db.transaction() as uow:
        attempt = Attempt("", STRONG_PASSWORD, SessionTransport.BEARER, None, None)
        result = await onboarding.login(uow, brand, email, attempt)
    return result.error.code if result.error else None


async def _statuses(db: Database, email: str) -> dict[str, str]:
    async with db.uow() as uow:
        rows = await uow.session.execute(
            select(Player.brand, Player.status).where(Player.email == email)
        )
        return {str(brand): str(status) for brand, status in rows.all()}


async def test_under_malta_s_pack_the_exclusion_ends_at_its_date_on_every_brand(
    db: Database, registry: BrandRegistry, monkeypatch: pytest.MonkeyPatch
) -> None:
    email = f"{uuid.uuid4().hex[:10]}@example.com"
    aurora, northstar = registry.get("aurora"), registry.get("northstar")
    player = await _register(db, aurora, email, "EUR")
    await _register(db, northstar, email, "SEK")
    excluded = await _exclude(
        db, await _signed_in(db, "aurora", player), SelfExclusionPeriod.SIX_MONTHS
    )

    early = await _login(db, northstar, email)
    withdraw_only = replace(await _signed_in(db, "aurora", player), withdraw_only=True)
    async with db.transaction() as uow:
        with pytest.raises(ExclusionRunning):
            await exclusion.request_end(uow, withdraw_only, "aurora")
    assert excluded.until is not None
    advance(monkeypatch, timedelta(days=183, minutes=1))
    back = await _login(db, northstar, email)

    assert (excluded.at_end, excluded.players_excluded) == ("at_date", 2)
    assert early == "SELF_EXCLUDED"
    assert back is None
    assert await _statuses(db, email) == {"aurora": "active", "northstar": "active"}


async def test_under_the_uk_pack_it_lasts_until_asked_then_a_day_of_cooling_off(
    db: Database, registry: BrandRegistry, albion: Brand, monkeypatch: pytest.MonkeyPatch
) -> None:
    email = f"{uuid.uuid4().hex[:10]}@example.com"
    player = await _register(db, albion, email, "GBP")
    await _register(db, registry.get("aurora"), email, "EUR")
    excluded = await _exclude(
        db, await _signed_in(db, "albion", player), SelfExclusionPeriod.SIX_MONTHS
    )

    advance(monkeypatch, timedelta(days=200))
    unasked = await _login(db, albion, email)
    async with db.transaction() as uow:
        session = await _signed_in(db, "albion", player)
        asked = await exclusion.request_end(uow, replace(session, withdraw_only=True), "albion")
    cooling = await _login(db, registry.get("aurora"), email)
    advance(monkeypatch, timedelta(days=201, minutes=1))
    back = await _login(db, registry.get("aurora"), email)

    assert excluded.at_end == "on_request"
    assert unasked == "SELF_EXCLUDED"
    assert cooling == "SELF_EXCLUDED"
    assert back is None
    assert asked.lifts_at is not None
    assert await _statuses(db, email) == {"albion": "active", "aurora": "active"}


async def test_a_period_the_pack_does_not_offer_is_refused_and_nothing_changes(
    db: Database, albion: Brand
) -> None:
    email = f"{uuid.uuid4().hex[:10]}@example.com"
    player = await _register(db, albion, email, "GBP")

    with pytest.raises(DomainError) as refused:
        await _exclude(db, await _signed_in(db, "albion", player), SelfExclusionPeriod.PERMANENT)

    assert isinstance(refused.value, PeriodNotOffered)
    assert await _statuses(db, email) == {"albion": "active"}


async def test_a_time_out_on_one_brand_is_a_break_on_every_brand_of_the_person(
    db: Database, registry: BrandRegistry
) -> None:
    email = f"{uuid.uuid4().hex[:10]}@example.com"
    player = await _register(db, registry.get("aurora"), email, "EUR")
    await _register(db, registry.get("northstar"), email, "SEK")
    # Another person (another e-mail) on the same brand keeps playing.
    await _register(db, registry.get("northstar"), "x" + email, "SEK")

    async with db.transaction() as uow:
        until = await protection.take_time_out(
            uow, await _signed_in(db, "aurora", player), "aurora",
            period=TimeOutPeriod.ONE_WEEK, confirmed=True,
        )  # fmt: skip
    refused = await _login(db, registry.get("northstar"), email)
    other = await _login(db, registry.get("northstar"), "x" + email)

    assert until > clock.now() + timedelta(days=6)
    assert (refused, other) == ("TIMED_OUT", None)


async def test_sweden_s_pack_makes_a_limit_increase_wait_72_hours(
    db: Database, registry: BrandRegistry, monkeypatch: pytest.MonkeyPatch
) -> None:
    email = f"{uuid.uuid4().hex[:10]}@example.com"
    player = await _signed_in(
        db, "northstar", await _register(db, registry.get("northstar"), email, "SEK")
    )
    week = {"kind": LimitKind.DEPOSIT, "period": LimitPeriod.WEEK}
    async with db.transaction() as uow:
        await limits.set_limit(
            uow, player, "northstar", **week, amount_minor=100_00, currency="SEK"
        )
    async with db.transaction() as uow:
        raised = await limits.set_limit(
            uow, player, "northstar", **week, amount_minor=500_00, currency="SEK"
        )
    assert raised.pending is not None

    advance(monkeypatch, timedelta(hours=71, minutes=59))
    async with db.uow() as uow:
        with pytest.raises(CoolingOff) as early:
            await limits.confirm_change(uow, player, "northstar", **week)
    advance(monkeypatch, timedelta(hours=72, minutes=1))
    async with db.transaction() as uow:
        confirmed = await limits.confirm_change(uow, player, "northstar", **week)

    assert raised.pending.can_confirm_at - raised.pending.requested_at == timedelta(hours=72)
    assert early.value.can_confirm_at == raised.pending.can_confirm_at
    assert confirmed is not None
    assert confirmed.amount_minor == 500_00


@pytest.mark.parametrize(("jurisdiction", "accepted"), [("CA-ON", False), ("MT", True)])
async def test_the_minimum_age_is_the_pack_s_ontario_19_malta_18(
    db: Database, registry: BrandRegistry, jurisdiction: str, accepted: bool
) -> None:
    brand = registry.get("aurora").model_copy(update={"jurisdiction": jurisdiction})
    today = clock.today()
    eighteen = date(today.year - 18, today.month, min(today.day, 28))
    form = Registration(
        email=f"{uuid.uuid4().hex[:10]}@example.com", phone=None, username=None,
        password=STRONG_PASSWORD, date_of_birth=eighteen, country="MT", currency="EUR",
    )  # fmt: skip

    async with db.transaction() as uow:
        try:
            await onboarding.register(uow, brand, form)
            codes = []
        except InvalidInput as refused:
            codes = [(error.code, error.field) for error in refused.errors]

    assert codes == ([] if accepted else [("UNDERAGE", "dateOfBirth")])


async def test_the_scheduler_lifts_ended_exclusions_without_waiting_for_a_sign_in(
    db: Database, registry: BrandRegistry, monkeypatch: pytest.MonkeyPatch
) -> None:
    email = f"{uuid.uuid4().hex[:10]}@example.com"
    player = await _register(db, registry.get("aurora"), email, "EUR")
    await _register(db, registry.get("northstar"), email, "SEK")
    await _exclude(db, await _signed_in(db, "aurora", player), SelfExclusionPeriod.SIX_MONTHS)
    (job,) = [job for job in JOBS if job.name == "compliance.lift_ended_exclusions"]

    before = await job.run(db)
    advance(monkeypatch, timedelta(days=183, minutes=1))
    lifted = await job.run(db)
    again = await job.run(db)

    assert (before, lifted, again) == (0, 1, 0)
    assert await _statuses(db, email) == {"aurora": "active", "northstar": "active"}


async def test_reality_checks_start_at_the_pack_s_default_sweden_60_malta_off(
    db: Database, registry: BrandRegistry
) -> None:
    email = f"{uuid.uuid4().hex[:10]}@example.com"
    in_sweden = await _register(db, registry.get("northstar"), email, "SEK")
    in_malta = await _register(db, registry.get("aurora"), email, "EUR")

    async with db.uow() as uow:
        minutes = {
            player_id: await uow.session.scalar(
                select(Player.reality_check_minutes).where(Player.id == player_id)
            )
            for player_id in (in_sweden, in_malta)
        }

    assert minutes == {in_sweden: 60, in_malta: None}
