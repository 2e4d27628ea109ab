"""The person beyond the registration rule: players linked by a verified document or a
verified identity, possible duplicate accounts flagged for risk staff, and devices.

Only what the KYC provider vouched for links persons; what a player typed never does
(anyone can type a stranger's name, birth date and address).

- The same identity document (type and number as the provider read them, kept as a
  digest) approved for two players is one human: their persons merge, on whatever brands
  they are; within one brand it is also a duplicate account, flagged.
- The same name, date of birth and address *as the provider verified them* (a digest kept
  on the approved check) on two players: one person (their persons merge); within one
  brand also flagged.
- The same self-declared name, date of birth and address (a digest of the profile) on two
  players of a brand is flagged at once for risk staff; it never links, verified or not.
- The same device (from the fingerprinting port, domain.integrations.devices) on two
  players of a brand is flagged; a device proves no identity, so it never links.

A merge keeps the older person and moves the other's players and exclusions to it; when
either was self-excluded, every player of the merged person is excluded at once (audited,
signed out), so an exclusion reaches a person however late their accounts are linked; an
AML hold on deposits reaches them the same way.
Flags are unique per pair and rule; both players' brands are the flag's brand.
"""

from __future__ import annotations

import hashlib
import hmac
import uuid
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import delete, select, text, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import aliased

from domain.accounts import sessions
from domain.accounts.events import PlayerStatusChanged
from domain.accounts.models import Player, PlayerStatus, PrincipalKind
from domain.accounts.permissions import Permission
from domain.accounts.principal import Principal, require_permission, require_player
from domain.compliance import identity
from domain.compliance.kyc.models import CheckStatus, KycCheck, PlayerProfile
from domain.compliance.models import (
    DeviceSighting,
    DuplicateFlag,
    Person,
    PersonLink,
    SelfExclusionRow,
)
from domain.integrations.devices import DeviceIdentifier, DeviceSignal, identify
from domain.integrations.kyc import VerifiedIdentity
from domain.kernel import audit, clock
from domain.kernel.db import Database, UnitOfWork
from domain.kernel.outbox import emit
from domain.kernel.settings import get_settings

RULE_DOCUMENT = "document"
RULE_IDENTITY = "identity"
FLAG_DOCUMENT = "document"
FLAG_IDENTITY = "name_dob_address"
FLAG_DEVICE = "device"
FLAGS_PAGE_MAX = 100
# Other players one rule looks at (a shared device of a café is not a reason to scan all).
MATCHES_MAX = 50


_APPROVALS_LOCK = text("SELECT pg_advisory_xact_lock(hashtextextended('kyc:approvals', 0))")


async def serialise_approvals(uow: UnitOfWork) -> None:
    """Taken first by every approval (before it locks its check and player): an approval
    may merge two persons and lock the other's players, so two approvals of one human's
    accounts at once would otherwise each hold the row the other waits for. Approvals are
    few, so queueing them costs nothing that matters."""
    await uow.session.execute(_APPROVALS_LOCK)


def _digest(*parts: str) -> str:
    """HMAC-SHA256 keyed with the server's secret (settings.linking_digest_secret): a bare
    hash of a passport number or a name and birth date could be tested against guesses by
    anyone who reads the table."""
    key = get_settings().linking_digest_key
    return hmac.new(key, "|".join(parts).encode(), hashlib.sha256).hexdigest()


def document_digest(document_type: str, number: str) -> str:
    """The same document, however its number was typed (spaces, dashes, case)."""
    clean = "".join(ch for ch in number.upper() if ch.isalnum())
    return _digest("document", document_type, clean)


def _identity_key(date_of_birth: date, *parts: str | None) -> str | None:
    if not all(parts):
        return None
    clean = [" ".join(str(part).casefold().split()) for part in parts]
    return _digest("identity", date_of_birth.isoformat(), *clean)


def identity_digest(profile: PlayerProfile, date_of_birth: date) -> str | None:
    """The self-declared name, date of birth and address as one key (None: not all
    given). It flags, never links."""
    return _identity_key(
        date_of_birth, profile.given_name, profile.family_name, profile.address_line1,
        profile.postal_code, profile.address_country,
    )  # fmt: skip


def verified_identity_digest(person: VerifiedIdentity) -> str | None:
    """The name, date of birth and address the KYC provider verified, as one key."""
    return _identity_key(
        person.date_of_birth, person.given_name, person.family_name, person.address_line1,
        person.postal_code, person.address_country,
    )  # fmt: skip


async def _flag(
    uow: UnitOfWork, brand: str, player_id: uuid.UUID, others: list[uuid.UUID], rule: str
) -> int:
    """Flag each pair once (the pair in id order, so A-B and B-A are one flag)."""
    flagged = 0
    for other in others:
        first, second = sorted((player_id, other))
        created = await uow.session.scalar(
            insert(DuplicateFlag)
            .values(brand=brand, player_id=first, other_player_id=second, rule=rule)
            .on_conflict_do_nothing(index_elements=["player_id", "other_player_id", "rule"])
            .returning(DuplicateFlag.id)
        )
        flagged += created is not None
    return flagged


async def merge_persons(
    uow: UnitOfWork, player_id: uuid.UUID, other_id: uuid.UUID, rule: str
) -> bool:
    """One person for both players (the older person kept; the other deleted). Returns
    whether they were two. An exclusion of either reaches every player of the merged
    person.

    Registrations of either person are held off first (their locks, every match key of
    both, in sorted order), so a player registered at the same moment is either visible
    here and moved, or links after the merge to the kept person; a link to the deleted
    person fails on its key and is retried."""
    mine = await identity.person_of(uow, player_id)
    theirs = await identity.person_of(uow, other_id)
    if mine is None or theirs is None or mine == theirs:
        return False
    await identity.lock_persons(uow, (mine, theirs))
    persons = list(
        await uow.session.scalars(
            select(Person)
            .where(Person.id.in_((mine, theirs)))
            .order_by(Person.created_at, Person.id)
            .with_for_update()
        )
    )
    keep, gone = persons[0].id, persons[1].id
    await uow.session.execute(
        update(PersonLink).where(PersonLink.person_id == gone).values(person_id=keep, rule=rule)
    )
    await uow.session.execute(
        update(SelfExclusionRow).where(SelfExclusionRow.person_id == gone).values(person_id=keep)
    )
    await uow.session.execute(delete(Person).where(Person.id == gone))
    open_exclusion = await uow.session.scalar(
        select(SelfExclusionRow.id)
        .where(SelfExclusionRow.person_id == keep, SelfExclusionRow.lifted_at.is_(None))
        .limit(1)
    )
    players = await identity.players_of_person(uow, keep)
    # An AML hold is the person's: it reaches the accounts linked now too.
    held = any(player.deposits_held for player in players)
    for player in players:
        player.deposits_held = held
        await audit.record(
            uow, actor_kind="system", actor_id="compliance.linking", action="player.person.link",
            subject_type="player", subject_id=player.id, brand=player.brand,
            reason=f"same person by {rule}", before=None, after={"person": str(keep)},
        )  # fmt: skip
        if open_exclusion is not None and player.status == PlayerStatus.ACTIVE:
            await _exclude_linked(uow, player, rule)
    await uow.flush()
    return True


async def _exclude_linked(uow: UnitOfWork, player: Player, rule: str) -> None:
    before = player.status
    player.status = PlayerStatus.SELF_EXCLUDED
    await audit.record(
        uow, actor_kind="system", actor_id="compliance.linking", action="player.self_exclude",
        subject_type="player", subject_id=player.id, brand=player.brand,
        reason=f"linked by {rule} to a person who is self-excluded",
        before={"status": before}, after={"status": PlayerStatus.SELF_EXCLUDED.value},
    )  # fmt: skip
    await sessions.revoke_all(
        uow, kind=PrincipalKind.PLAYER, principal_id=player.id, reason="status:self_excluded"
    )
    await emit(
        uow,
        PlayerStatusChanged(
            player_id=str(player.id), before=before, after=PlayerStatus.SELF_EXCLUDED.value
        ),
        brand=player.brand,
    )


async def after_approval(uow: UnitOfWork, player_id: uuid.UUID, brand: str) -> None:
    """A check of the player was approved: link and flag by what the provider verified
    (the document, and the identity when the provider returned one)."""
    for column, rule, flag in (
        (KycCheck.document_digest, RULE_DOCUMENT, FLAG_DOCUMENT),
        (KycCheck.identity_digest, RULE_IDENTITY, FLAG_IDENTITY),
    ):
        verified = select(column).where(
            KycCheck.player_id == player_id,
            KycCheck.status == CheckStatus.APPROVED,
            column.is_not(None),
        )
        same = (
            await uow.session.execute(
                select(KycCheck.player_id, KycCheck.brand)
                .where(
                    column.in_(verified),
                    KycCheck.status == CheckStatus.APPROVED,
                    KycCheck.player_id != player_id,
                )
                .distinct()
                .limit(MATCHES_MAX)
            )
        ).all()
        for other, _ in same:
            await merge_persons(uow, player_id, other, rule)
        await _flag(uow, brand, player_id, [o for o, b in same if b == brand], flag)


async def after_profile_save(uow: UnitOfWork, player_id: uuid.UUID, brand: str) -> None:
    """Keep the profile's identity digest and flag the brand's players who share it."""
    row = (
        await uow.session.execute(
            select(PlayerProfile, Player.date_of_birth)
            .join(Player, Player.id == PlayerProfile.player_id)
            .where(PlayerProfile.player_id == player_id)
        )
    ).first()
    if row is None:
        return
    profile, born = row
    profile.identity_digest = identity_digest(profile, born)
    await uow.flush()
    if profile.identity_digest is None:
        return
    twins = await uow.session.scalars(
        select(PlayerProfile.player_id)
        .where(
            PlayerProfile.identity_digest == profile.identity_digest,
            PlayerProfile.brand == brand,
            PlayerProfile.player_id != player_id,
        )
        .limit(MATCHES_MAX)
    )
    await _flag(uow, brand, player_id, list(twins), FLAG_IDENTITY)


async def record_device(
    uow: UnitOfWork, brand: str, player_id: uuid.UUID, signal: DeviceSignal
) -> int:
    """Keep the sighting and flag the brand's other players on the same device. Returns
    how many new flags."""
    now = clock.now()
    await uow.session.execute(
        insert(DeviceSighting)
        .values(
            player_id=player_id,
            device_id=signal.device_id,
            brand=brand,
            risk_signals=sorted(signal.risk_signals),
            first_seen_at=now,
            last_seen_at=now,
        )
        .on_conflict_do_update(
            index_elements=["player_id", "device_id"],
            set_={"last_seen_at": now, "risk_signals": sorted(signal.risk_signals)},
        )
    )
    others = await uow.session.scalars(
        select(DeviceSighting.player_id)
        .where(
            DeviceSighting.brand == brand,
            DeviceSighting.device_id == signal.device_id,
            DeviceSighting.player_id != player_id,
        )
        .limit(MATCHES_MAX)
    )
    return await _flag(uow, brand, player_id, list(others), FLAG_DEVICE)


async def report_device(
    db: Database, actor: Principal | None, brand: str, provider: DeviceIdentifier, token: str
) -> DeviceSignal:
    """The flow behind the sites' device script: ask the provider outside any transaction,
    then record the sighting for the signed-in player.
    Errors: NotAuthenticated, TwoFactorRequired, InvalidDeviceToken, DeviceUnavailable."""
    player = require_player(actor, withdraw_only_allowed=True)
    signal = await identify(provider, token)
    async with db.transaction() as uow:
        await record_device(uow, brand, player.id, signal)
    return signal


@dataclass(frozen=True)
class FlagView:
    id: int
    rule: str
    player_id: uuid.UUID
    player_email: str | None
    other_player_id: uuid.UUID
    other_player_email: str | None
    flagged_at: datetime


async def duplicate_flags(
    uow: UnitOfWork, actor: Principal | None, brand: str, first: int
) -> list[FlagView]:
    """The brand's possible duplicate accounts, newest first, with both players (one
    statement). Errors: NotAuthenticated, PermissionDenied, TwoFactorRequired."""
    require_permission(actor, Permission.KYC_REVIEW, brand)
    other = aliased(Player)
    rows = (
        await uow.session.execute(
            select(DuplicateFlag, Player.email, other.email.label("other_email"))
            .join(Player, Player.id == DuplicateFlag.player_id)
            .join(other, other.id == DuplicateFlag.other_player_id)
            .where(DuplicateFlag.brand == brand)
            .order_by(DuplicateFlag.flagged_at.desc(), DuplicateFlag.id.desc())
            .limit(max(1, min(first, FLAGS_PAGE_MAX)))
        )
    ).all()
    return [
        FlagView(
            flag.id,
            flag.rule,
            flag.player_id,
            email,
            flag.other_player_id,
            other_email,
            flag.flagged_at,
        )
        for flag, email, other_email in rows
    ]
