"""The person behind accounts with different e-mails: one approved document links their
players across brands (and an exclusion then reaches them all); the name, birth date and
address the provider verified links them too, while the same typed ones only flag a
brand's duplicates (never link); a shared device is flagged, never linked. Risk staff list the flags of their brands only."""

from __future__ import annotations

import asyncio
import hashlib
import uuid
from dataclasses import replace
from datetime import date

import pytest
from sqlalchemy import func, select, text

from domain.accounts.models import Player, PrincipalKind
from domain.accounts.permissions import permissions_for
from domain.accounts.players import Registration, SelfExclusionPeriod
from domain.accounts.principal import Principal
from domain.brands.service import Brand, BrandRegistry
from domain.compliance import exclusion, identity, linking, onboarding
from domain.compliance.aml import monitoring
from domain.compliance.kyc import profile
from domain.compliance.kyc.models import KycTier
from domain.compliance.models import DeviceSighting, Person
from domain.integrations.devices import (
    DeviceUnavailable,
    InvalidDeviceToken,
    SandboxDevices,
)
from domain.integrations.kyc import KycOutcome, VerifiedIdentity
from domain.integrations.kyc_sandbox import SandboxKyc
from domain.kernel.db import Database
from domain.kernel.errors import PermissionDenied
from domain.kernel.settings import get_settings
from tests.domain.compliance.kyc_support import BIRTH, deliver, register, start
from tests.support import STRONG_PASSWORD

PROVIDER = SandboxKyc()
DEVICES = SandboxDevices()
IDENTITY = profile.ProfileFields(
    given_name="Nils", family_name="Ekdahl", address_line1="Storgatan 3", city="Lund",
    postal_code="222 21", address_country="SE", nationality="SE",
)  # fmt: skip


def staff(*roles: str, brands: tuple[str, ...] = ("aurora",)) -> Principal:
    return Principal(
        PrincipalKind.STAFF, uuid.uuid4(), uuid.uuid4(), brands[0], True, roles=roles,
        permissions=permissions_for(list(roles)), staff_brands=brands,
    )  # fmt: skip


async def _verify(
    db: Database,
    player: Principal,
    number: str | None = None,
    *,
    person: VerifiedIdentity | None = None,
) -> None:
    check = await start(db, PROVIDER, player, KycTier.FULL)
    for delivery in PROVIDER.complete_flow(
        check.flow_url, KycOutcome.APPROVED, document_number=number, person=person
    ):
        assert player.brand is not None
        await deliver(db, PROVIDER, player.brand, delivery)


async def _person(db: Database, player: Principal) -> uuid.UUID | None:
    async with db.uow() as uow:
        return await identity.person_of(uow, player.id)


async def _flags(db: Database, brand: str = "aurora") -> list[tuple[str, set[uuid.UUID]]]:
    async with db.uow() as uow:
        found = await linking.duplicate_flags(uow, staff("risk", brands=(brand,)), brand, 100)
    return [(flag.rule, {flag.player_id, flag.other_player_id}) for flag in found]


async def _save(db: Database, player: Principal, values: profile.ProfileFields) -> None:
    assert player.brand is not None
    async with db.transaction() as uow:
        await profile.update_profile(uow, player, player.brand, values)


async def test_one_document_on_two_brands_is_one_person(
    db: Database, registry: BrandRegistry
) -> None:
    kumo = registry.get("kumo")
    on_aurora = await register(db, registry.get("aurora"), "EUR")
    on_kumo = await register(db, kumo, kumo.primary_currency)
    stranger = await register(db, kumo, kumo.primary_currency)
    number = f"X{uuid.uuid4().hex[:8].upper()}"

    await _verify(db, on_aurora, number)
    await _verify(db, on_kumo, number.lower()[:3] + "-" + number[3:])  # typed differently
    await _verify(db, stranger)

    assert await _person(db, on_aurora) == await _person(db, on_kumo)
    assert await _person(db, stranger) != await _person(db, on_aurora)
    async with db.uow() as uow:
        linked = await identity.linked_players(
            uow, staff("risk", brands=("aurora", "kumo")), "aurora", on_aurora.id
        )
    # The older person stays (its own link keeps its rule); the other joins it by document.
    assert {(p.player_id, p.rule) for p in linked} == {
        (on_aurora.id, "email_dob"), (on_kumo.id, "document"),
    }  # fmt: skip


async def test_an_exclusion_reaches_an_account_linked_later_by_its_document(
    db: Database, registry: BrandRegistry
) -> None:
    kumo = registry.get("kumo")
    excluded = await register(db, registry.get("aurora"), "EUR")
    later = await register(db, kumo, kumo.primary_currency)
    number = f"E{uuid.uuid4().hex[:8].upper()}"
    await _verify(db, excluded, number)
    async with db.transaction() as uow:
        await exclusion.self_exclude(
            uow, excluded, "aurora", period=SelfExclusionPeriod.SIX_MONTHS, confirmed=True
        )

    await _verify(db, later, number)

    async with db.uow() as uow:
        status = await uow.session.scalar(select(Player.status).where(Player.id == later.id))
    assert status == "self_excluded"


async def test_the_same_document_twice_on_one_brand_is_flagged_for_risk_staff(
    db: Database, registry: BrandRegistry
) -> None:
    first = await register(db, registry.get("aurora"), "EUR")
    second = await register(db, registry.get("aurora"), "EUR")
    number = f"D{uuid.uuid4().hex[:8].upper()}"

    await _verify(db, first, number)
    await _verify(db, second, number)

    assert ("document", {first.id, second.id}) in await _flags(db)
    assert all(pair != {first.id, second.id} for _, pair in await _flags(db, "kumo"))
    async with db.uow() as uow:
        with pytest.raises(PermissionDenied):
            await linking.duplicate_flags(uow, staff("support"), "aurora", 10)
        with pytest.raises(PermissionDenied):
            await linking.duplicate_flags(uow, staff("risk"), "kumo", 10)


async def test_a_typed_name_birth_date_and_address_flags_within_the_brand_and_never_links(
    db: Database, registry: BrandRegistry
) -> None:
    """The attack: someone types a victim's name, birth date and address into their own
    profile and verifies with their own passport. The provider vouched for neither the
    victim's identity nor a shared document, so the two stay two persons: the attacker's
    self-exclusion does not exclude the victim (nor would an AML hold spread)."""
    kumo = registry.get("kumo")
    given = f"Nils{uuid.uuid4().hex[:6]}"
    values = profile.ProfileFields(**{**IDENTITY.__dict__, "given_name": given})
    victim = await register(db, registry.get("aurora"), "EUR")
    twin_on_brand = await register(db, registry.get("aurora"), "EUR")
    attacker = await register(db, kumo, kumo.primary_currency)
    for player in (victim, twin_on_brand, attacker):
        await _save(db, player, values)

    assert ("name_dob_address", {victim.id, twin_on_brand.id}) in await _flags(db)

    await _verify(db, victim)
    await _verify(db, attacker)
    async with db.transaction() as uow:
        await exclusion.self_exclude(
            uow, attacker, "kumo", period=SelfExclusionPeriod.SIX_MONTHS, confirmed=True
        )

    assert await _person(db, attacker) != await _person(db, victim)
    async with db.uow() as uow:
        status = await uow.session.scalar(select(Player.status).where(Player.id == victim.id))
    assert status == "active"


async def test_the_identity_the_provider_verified_links_across_brands(
    db: Database, registry: BrandRegistry
) -> None:
    """Two documents (a passport here, an ID card there) with one verified name, birth date
    and address: one person. A verified identity of someone else links nobody."""
    kumo = registry.get("kumo")
    verified = VerifiedIdentity(
        given_name=f"Nils{uuid.uuid4().hex[:6]}", family_name="Ekdahl",
        date_of_birth=date(1990, 2, 3), address_line1="Storgatan 3", postal_code="222 21",
        address_country="SE",
    )  # fmt: skip
    on_aurora = await register(db, registry.get("aurora"), "EUR")
    on_kumo = await register(db, kumo, kumo.primary_currency)
    stranger = await register(db, kumo, kumo.primary_currency)

    await _verify(db, on_aurora, person=verified)
    await _verify(db, on_kumo, person=replace(verified, address_line1=" storgatan  3 "))
    await _verify(db, stranger, person=replace(verified, family_name="Berg"))

    assert await _person(db, on_aurora) == await _person(db, on_kumo)
    assert await _person(db, stranger) != await _person(db, on_aurora)
    async with db.uow() as uow:
        linked = await identity.linked_players(
            uow, staff("risk", brands=("aurora", "kumo")), "aurora", on_aurora.id
        )
    assert {(p.player_id, p.rule) for p in linked} == {
        (on_aurora.id, "email_dob"), (on_kumo.id, "identity"),
    }  # fmt: skip


async def test_a_shared_device_is_flagged_within_the_brand_and_never_links(
    db: Database, registry: BrandRegistry
) -> None:
    device = f"laptop-{uuid.uuid4().hex[:8]}"
    first = await register(db, registry.get("aurora"), "EUR")
    second = await register(db, registry.get("aurora"), "EUR")

    seen = await linking.report_device(
        db, first, "aurora", DEVICES, DEVICES.token_for(device, "proxy", "made-up")
    )
    await linking.report_device(db, second, "aurora", DEVICES, DEVICES.token_for(device))

    assert seen.device_id.startswith("dev_") and device not in seen.device_id
    assert seen.risk_signals == frozenset({"proxy"})
    assert ("device", {first.id, second.id}) in await _flags(db)
    assert await _person(db, first) != await _person(db, second)


async def test_a_forged_or_unanswered_device_token_records_nothing(
    db: Database, registry: BrandRegistry
) -> None:
    player = await register(db, registry.get("aurora"), "EUR")
    forged = SandboxDevices("another-key").token_for("laptop-x")

    with pytest.raises(InvalidDeviceToken):
        await linking.report_device(db, player, "aurora", DEVICES, forged)
    with pytest.raises(InvalidDeviceToken):
        await linking.report_device(db, player, "aurora", DEVICES, "sbx1.laptop..")
    with pytest.raises(DeviceUnavailable):
        await linking.report_device(
            db, player, "aurora", DEVICES, DEVICES.token_for("phone-device-down")
        )

    async with db.uow() as uow:
        sightings = await uow.session.scalar(
            select(func.count()).where(DeviceSighting.player_id == player.id)
        )
    assert sightings == 0


async def test_two_accounts_approved_at_once_with_one_document_end_as_one_person(
    db: Database, registry: BrandRegistry
) -> None:
    """Both approvals applied at once (each may merge and lock the other's rows; they
    queue on linking.serialise_approvals) end on one person."""
    kumo = registry.get("kumo")
    on_aurora = await register(db, registry.get("aurora"), "EUR")
    on_kumo = await register(db, kumo, kumo.primary_currency)
    number = f"C{uuid.uuid4().hex[:8].upper()}"
    deliveries = []
    for player in (on_aurora, on_kumo):
        check = await start(db, PROVIDER, player, KycTier.FULL)
        (approval,) = PROVIDER.complete_flow(
            check.flow_url, KycOutcome.APPROVED, document_number=number
        )
        deliveries.append((player.brand, approval))

    results = await asyncio.gather(
        *(deliver(db, PROVIDER, str(brand), approval) for brand, approval in deliveries)
    )

    assert [result.applied for result in results] == [True, True]
    assert await _person(db, on_aurora) == await _person(db, on_kumo)


async def _until_done_or_waiting(db: Database, task: asyncio.Task[uuid.UUID]) -> None:
    """Until `task` finished or waits on a lock of this database (polled; nothing timed)."""
    for _ in range(2000):
        if task.done():
            return
        async with db.uow() as uow:
            waiting = await uow.session.scalar(
                text(
                    "SELECT count(*) FROM pg_stat_activity"
                    " WHERE datname = current_database() AND wait_event_type = 'Lock'"
                )
            )
        if waiting:
            return
        await asyncio.sleep(0)
    raise AssertionError("the registration neither finished nor waited")


async def _register_as(db: Database, brand: Brand, email: str) -> uuid.UUID:
    async with db.transaction() as uow:
        form = Registration(
            email=email, phone=None, username=None, password=STRONG_PASSWORD,
            date_of_birth=BIRTH, country="GB", currency=brand.primary_currency,
        )  # fmt: skip
        return (await onboarding.register(uow, brand, form)).id


async def _email(db: Database, player: Principal) -> str:
    async with db.uow() as uow:
        email = await uow.session.scalar(select(Player.email).where(Player.id == player.id))
    assert email is not None
    return email


async def test_a_registration_during_a_merge_joins_the_kept_person(
    db: Database, registry: BrandRegistry
) -> None:
    """A player of the merged-away person registers on another brand while the merge is
    uncommitted: the registration waits for it and links to the kept person (the merged-
    away person is deleted, so no link can reach it later)."""
    kumo = registry.get("kumo")
    kept = await register(db, kumo, kumo.primary_currency)
    merged = await register(db, registry.get("aurora"), "EUR")
    gone = await _person(db, merged)
    email = await _email(db, merged)

    async with db.transaction() as uow:
        assert await linking.merge_persons(uow, merged.id, kept.id, linking.RULE_DOCUMENT)
        registering = asyncio.create_task(_register_as(db, kumo, email))
        await _until_done_or_waiting(db, registering)
    late = await registering

    async with db.uow() as uow:
        assert await identity.person_of(uow, late) == await identity.person_of(uow, kept.id)
        assert await uow.session.get(Person, gone) is None


async def test_a_registration_during_an_aml_hold_is_held_too(
    db: Database, registry: BrandRegistry
) -> None:
    kumo = registry.get("kumo")
    held = await register(db, registry.get("aurora"), "EUR")
    email = await _email(db, held)

    async with db.transaction() as uow:
        await monitoring.hold_person(uow, held.id, "test-alert")
        registering = asyncio.create_task(_register_as(db, kumo, email))
        await _until_done_or_waiting(db, registering)
    late = await registering

    async with db.uow() as uow:
        assert await uow.session.scalar(select(Player.deposits_held).where(Player.id == late))


def test_the_digests_are_keyed_with_the_server_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    """A bare SHA-256 of a passport number could be tested against guesses by anyone who
    reads the table; the keyed digest cannot without the secret, and changes with it."""
    bare = hashlib.sha256(b"document|passport|X1234567").hexdigest()
    ours = linking.document_digest("passport", "X1234567")
    other = get_settings().model_copy(update={"linking_digest_secret": "another-secret-16+"})
    monkeypatch.setattr(linking, "get_settings", lambda: other)

    assert ours != bare
    assert linking.document_digest("passport", "X1234567") != ours
