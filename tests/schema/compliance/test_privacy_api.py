"""Data protection over the API: the player downloads everything held about them as one
JSON document (one statement), and an erasure request closes the account, erases what may
go now and keeps the regulated records for their retention period."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from sqlalchemy import func, or_, select
from strawberry.relay import from_base64

from domain.accounts.models import Player
from domain.brands.service import BrandRegistry
from domain.compliance import linking, privacy
from domain.compliance.kyc.models import KycCheck, KycTier, PlayerProfile
from domain.compliance.kyc.profile import ProfileFields, update_profile
from domain.compliance.models import DeviceSighting, DuplicateFlag
from domain.integrations.devices import SandboxDevices
from domain.integrations.kyc import KycOutcome
from domain.integrations.kyc_sandbox import SandboxKyc
from domain.kernel import clock
from domain.kernel.audit import AuditEntry
from domain.kernel.db import Database
from domain.kernel.settings import get_settings
from domain.wallets.models import HouseAccountKind, WalletKind
from domain.wallets.service import house_account_id, transfer, wallet_id
from tests.domain.compliance.kyc_support import deliver, register, start
from tests.domain.compliance.support import advance
from tests.support import STRONG_PASSWORD, Api, fresh_code, statements_of
from workers.scheduler import JOBS

EXPORT = "{ viewer { personalData } }"
ERASE = """mutation($i: RequestErasureInput!) { requestErasure(input: $i) {
  retainedUntil errors { code field } } }"""
PROFILE = """mutation($i: UpdateProfileInput!) { updateProfile(input: $i) { errors { code } } }"""


async def _player(aurora: Api) -> tuple[str, str]:
    email = f"gdpr-{uuid.uuid4().hex[:10]}@example.com"
    registered = await aurora.register(email=email)
    await aurora.login(email)
    return registered["player"]["id"], email


async def test_the_player_downloads_their_data_as_one_document(aurora: Api) -> None:
    _, email = await _player(aurora)
    saved = await aurora.query(
        PROFILE, {"i": {"profile": {"givenName": "Grete", "familyName": "Data"}}}
    )
    assert saved.data["updateProfile"]["errors"] == []
    await aurora.query("mutation { startVerification(input: { tier: BASIC }) { check { id } } }")

    document = (await aurora.query(EXPORT)).data["viewer"]["personalData"]

    assert document["account"]["email"] == email
    assert document["account"]["kyc_tier"] == "none"
    assert (document["profile"]["given_name"], document["profile"]["family_name"]) == (
        "Grete", "Data",
    )  # fmt: skip
    assert [(c["tier"], c["status"]) for c in document["verification_checks"]] == [
        ("basic", "pending")
    ]
    assert len(document["sessions"]) == 1
    assert document["payments"] == [] and document["bets"] == []
    assert set(document) >= {"limits", "self_exclusions", "wallet_movements", "inbox"}


async def test_the_export_is_one_statement(db: Database, registry: BrandRegistry) -> None:
    player = await register(db, registry.get("aurora"), "EUR")

    with statements_of(db) as statements:
        async with db.uow() as uow:
            document = await privacy.personal_data(uow, player, "aurora")

    assert document["account"]["id"] == str(player.id)
    assert len(statements) == 1


async def test_erasure_needs_an_empty_balance_and_a_confirmation(db: Database, aurora: Api) -> None:
    player_id, _ = await _player(aurora)
    unconfirmed = (await aurora.query(ERASE, {"i": {"confirm": False}})).data["requestErasure"]
    async with db.transaction() as uow:
        pid = uuid.UUID(from_base64(player_id)[1])
        source = await house_account_id(uow, "aurora", HouseAccountKind.PSP_CLEARING, "EUR")
        cash = await wallet_id(uow, "aurora", pid, WalletKind.CASH, "EUR")
        await transfer(
            uow, brand="aurora", kind="deposit", source=source, destination=cash,
            amount_minor=5_00, scope=None, key=None,
        )  # fmt: skip
    funded = (
        await aurora.query(ERASE, {"i": {"confirm": True, "password": STRONG_PASSWORD}})
    ).data["requestErasure"]

    assert unconfirmed == {
        "retainedUntil": None,
        "errors": [{"code": "CONFIRMATION_REQUIRED", "field": "confirm"}],
    }
    assert funded == {
        "retainedUntil": None,
        "errors": [{"code": "BALANCE_REMAINING", "field": "confirm"}],
    }


async def test_erasure_closes_the_account_and_keeps_only_the_regulated_records(
    db: Database, aurora: Api
) -> None:
    _, email = await _player(aurora)
    await aurora.query(
        PROFILE,
        {"i": {"profile": {"givenName": "Erik", "familyName": "Gone", "phone": "+46701234567"}}},
    )

    erased = (
        await aurora.query(ERASE, {"i": {"confirm": True, "password": STRONG_PASSWORD}})
    ).data["requestErasure"]
    after = await aurora.query("{ viewer { player { id } } }")
    again = await aurora.login(email)

    assert erased["errors"] == []
    retained = clock.now() + privacy.RETENTION
    assert abs(retained - clock.now().fromisoformat(erased["retainedUntil"])) < timedelta(minutes=1)
    assert after.data["viewer"] is None
    assert again["token"] is None
    async with db.uow() as uow:
        player = await uow.session.scalar(
            select(Player)
            .where(Player.email.like("erased+%"), Player.brand == "aurora")
            .order_by(Player.created_at.desc())
            .limit(1)
        )
        assert player is not None
        profile = await uow.session.get(PlayerProfile, player.id)
        audited = await uow.session.scalar(
            select(AuditEntry.action)
            .where(AuditEntry.subject_id == str(player.id))
            .order_by(AuditEntry.id.desc())
            .limit(1)
        )
    assert (player.status, player.email, player.username, player.phone) == (
        "closed", f"erased+{player.id}@invalid", None, None,
    )  # fmt: skip
    assert player.date_of_birth is not None
    assert profile is not None
    assert (profile.given_name, profile.family_name, profile.phone) == ("Erik", "Gone", None)
    assert audited == "player.erasure.request"


async def test_the_regulated_identity_is_erased_once_the_retention_is_over(
    db: Database, registry: BrandRegistry, monkeypatch: pytest.MonkeyPatch
) -> None:
    player = await register(db, registry.get("aurora"), "EUR")
    async with db.transaction() as uow:
        await update_profile(
            uow, player, "aurora", ProfileFields(given_name="Olga", family_name="Kept", city="Rome")
        )
        await privacy.request_erasure(
            uow, player, "aurora", confirmed=True, password=STRONG_PASSWORD
        )
    (job,) = [job for job in JOBS if job.name == "compliance.complete_erasures"]

    during = await job.run(db)
    advance(monkeypatch, privacy.RETENTION + timedelta(days=1))
    done = await job.run(db)
    again = await job.run(db)

    async with db.uow() as uow:
        profile = await uow.session.get(PlayerProfile, player.id)
        birth = await uow.session.scalar(select(Player.date_of_birth).where(Player.id == player.id))
    assert (during, done, again) == (0, 1, 0)
    assert profile is not None
    assert (profile.given_name, profile.family_name, profile.city) == (None, None, None)
    assert str(birth) == "1900-01-01"


BEGIN_2FA = "mutation { beginTwoFactorEnrolment { secret errors { code } } }"
CONFIRM_2FA = "mutation($c: String!) { confirmTwoFactorEnrolment(input: {code: $c}) { enabled errors { code } } }"


async def test_erasure_needs_the_password_again_and_a_wrong_one_changes_nothing(
    aurora: Api,
) -> None:
    _, email = await _player(aurora)

    missing = (await aurora.query(ERASE, {"i": {"confirm": True}})).data["requestErasure"]
    wrong = (
        await aurora.query(ERASE, {"i": {"confirm": True, "password": "not the password 1"}})
    ).data["requestErasure"]
    still = await aurora.query("{ viewer { player { email } } }")

    refused = {
        "retainedUntil": None,
        "errors": [{"code": "INVALID_CREDENTIALS", "field": "password"}],
    }
    assert missing == refused
    assert wrong == refused
    assert still.data["viewer"]["player"]["email"] == email


async def test_with_two_factor_on_erasure_needs_a_fresh_code(aurora: Api) -> None:
    await _player(aurora)
    secret = (await aurora.query(BEGIN_2FA)).data["beginTwoFactorEnrolment"]["secret"]
    enabled = (await aurora.query(CONFIRM_2FA, {"c": fresh_code(secret)})).data
    assert enabled["confirmTwoFactorEnrolment"] == {"enabled": True, "errors": []}

    # The password alone is not enough once the second factor is on.
    password_only = (
        await aurora.query(ERASE, {"i": {"confirm": True, "password": STRONG_PASSWORD}})
    ).data["requestErasure"]
    wrong = (await aurora.query(ERASE, {"i": {"confirm": True, "twoFactorCode": "000000"}})).data[
        "requestErasure"
    ]
    erased = (
        await aurora.query(
            ERASE, {"i": {"confirm": True, "twoFactorCode": fresh_code(secret, steps_ahead=1)}}
        )
    ).data["requestErasure"]

    assert password_only["errors"] == [{"code": "TWO_FACTOR_REQUIRED", "field": "twoFactorCode"}]
    assert wrong["errors"] == [{"code": "INVALID_TWO_FACTOR_CODE", "field": "twoFactorCode"}]
    assert erased["errors"] == [] and erased["retainedUntil"] is not None


async def test_devices_and_duplicate_flags_are_exported_then_erased_with_the_digests(
    db: Database, registry: BrandRegistry, monkeypatch: pytest.MonkeyPatch
) -> None:
    aurora = registry.get("aurora")
    player = await register(db, aurora, "EUR")
    twin = await register(db, aurora, "EUR")
    devices, provider = SandboxDevices(), SandboxKyc()
    token = devices.token_for(f"tablet-{uuid.uuid4().hex[:8]}", "proxy")
    for someone in (player, twin):
        await linking.report_device(db, someone, "aurora", devices, token)
    async with db.transaction() as uow:
        await update_profile(
            uow, player, "aurora",
            ProfileFields(given_name="Ada", family_name="Gone", address_line1="Via Roma 1",
                          city="Rome", postal_code="00100", address_country="IT"),
        )  # fmt: skip
    check = await start(db, provider, player, KycTier.FULL)
    for delivery in provider.complete_flow(check.flow_url, KycOutcome.APPROVED):
        await deliver(db, provider, "aurora", delivery)

    async with db.uow() as uow:
        document = await privacy.personal_data(uow, player, "aurora")
    async with db.transaction() as uow:
        await privacy.request_erasure(
            uow, player, "aurora", confirmed=True, password=STRONG_PASSWORD
        )

    async def held() -> tuple[int, int, tuple[object, ...], object]:
        async with db.uow() as uow:
            sightings = await uow.session.scalar(
                select(func.count()).where(DeviceSighting.player_id == player.id)
            )
            flags = await uow.session.scalar(
                select(func.count()).where(
                    or_(DuplicateFlag.player_id == player.id,
                        DuplicateFlag.other_player_id == player.id)
                )
            )  # fmt: skip
            digests = (
                await uow.session.execute(
                    select(KycCheck.document_digest).where(KycCheck.player_id == player.id)
                )
            ).one()
            profile = await uow.session.scalar(
                select(PlayerProfile.identity_digest).where(PlayerProfile.player_id == player.id)
            )
        return int(sightings or 0), int(flags or 0), tuple(digests), profile

    requested = await held()
    advance(monkeypatch, privacy.RETENTION + timedelta(days=1))
    (job,) = [job for job in JOBS if job.name == "compliance.complete_erasures"]
    assert await job.run(db) == 1
    completed = await held()

    assert [d["risk_signals"] for d in document["devices"]] == [["proxy"]]
    assert [f["rule"] for f in document["duplicate_account_flags"]] == ["device"]
    # The device sightings go at once; the flags and digests stay for the retention period.
    assert requested[0] == 0 and requested[1] == 1
    assert requested[2] != (None,) and requested[3] is not None
    assert completed == (0, 0, (None,), None)


async def test_wrong_erasure_passwords_count_towards_the_sign_in_throttle(aurora: Api) -> None:
    """A stolen session guessing the password through the erasure is stopped like a sign-in
    guesser: after the sign-in limit both refuse with TOO_MANY_ATTEMPTS, the right password
    included."""
    _, email = await _player(aurora)
    wrong = {"i": {"confirm": True, "password": "not the password 1"}}
    limit = get_settings().login_failures_per_account

    answers = [(await aurora.query(ERASE, wrong)).data["requestErasure"] for _ in range(limit)]
    throttled = (
        await aurora.query(ERASE, {"i": {"confirm": True, "password": STRONG_PASSWORD}})
    ).data["requestErasure"]
    sign_in = await aurora.login(email)

    assert {a["errors"][0]["code"] for a in answers} == {"INVALID_CREDENTIALS"}
    assert throttled["errors"][0]["code"] == "TOO_MANY_ATTEMPTS"
    assert sign_in["token"] is None
    assert sign_in["errors"][0]["code"] == "TOO_MANY_ATTEMPTS"
