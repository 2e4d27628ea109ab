"""The player's profile: legal name, address, nationality and phone.

The player edits their own; staff with player.status.write edit a player of their brands
with a reason. Every change is audited (`player.profile.update`) with the changed fields
before and after; an unchanged save writes nothing. A change of the legal identity (name,
nationality, address) after a verification withdraws it: the approved checks ask for the
documents again and the tier drops until the player is verified anew, whoever edited.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, fields
from datetime import datetime

from sqlalchemy import select

from domain.accounts.errors import PlayerNotFound
from domain.accounts.models import Player
from domain.accounts.permissions import Permission
from domain.accounts.principal import Principal, require_permission, require_player
from domain.compliance import linking
from domain.compliance.kyc.checks import withdraw_approvals
from domain.compliance.kyc.errors import InvalidProfile
from domain.compliance.kyc.models import PlayerProfile
from domain.kernel import audit, clock
from domain.kernel.db import UnitOfWork

NAME_LENGTH_MAX = 100
ADDRESS_LENGTH_MAX = 200
_COUNTRY = re.compile(r"^[A-Z]{2}$")
_PHONE = re.compile(r"^\+[1-9][0-9]{6,14}$")
_POSTAL = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 -]{1,11}$")
# What a verification vouches for: changing any of them needs a new verification.
IDENTITY_FIELDS = frozenset(
    {"given_name", "family_name", "address_line1", "address_line2", "city", "postal_code",
     "address_country", "nationality"}
)  # fmt: skip


@dataclass(frozen=True)
class ProfileFields:
    """What a profile holds (None: not given). Also the input of an edit: every field is
    written, so a None clears it."""

    given_name: str | None = None
    family_name: str | None = None
    address_line1: str | None = None
    address_line2: str | None = None
    city: str | None = None
    postal_code: str | None = None
    address_country: str | None = None
    nationality: str | None = None
    phone: str | None = None


@dataclass(frozen=True)
class Profile:
    player_id: uuid.UUID
    values: ProfileFields
    phone_verified: bool
    updated_at: datetime | None

    @property
    def complete(self) -> bool:
        """Name and address given: what a verification needs from the player first."""
        v = self.values
        return all(
            (v.given_name, v.family_name, v.address_line1, v.city, v.postal_code,
             v.address_country, v.nationality)
        )  # fmt: skip


def _clean_text(value: str | None, field: str, length_max: int) -> str | None:
    if value is None or not value.strip():
        return None
    value = " ".join(value.split())
    if len(value) > length_max or not value.isprintable():
        raise InvalidProfile(f"Use at most {length_max} printable characters.", field=_camel(field))
    return value


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.capitalize() for part in rest)


def validate(values: ProfileFields) -> ProfileFields:
    """The fields normalised (spaces collapsed, codes upper-case). Errors: InvalidProfile
    naming the field."""
    cleaned: dict[str, str | None] = {}
    for name in ("given_name", "family_name"):
        cleaned[name] = _clean_text(getattr(values, name), name, NAME_LENGTH_MAX)
    for name in ("address_line1", "address_line2", "city"):
        cleaned[name] = _clean_text(getattr(values, name), name, ADDRESS_LENGTH_MAX)
    postal = _clean_text(values.postal_code, "postal_code", 12)
    if postal is not None and not _POSTAL.match(postal):
        raise InvalidProfile("Enter a valid postal code.", field="postalCode")
    cleaned["postal_code"] = postal.upper() if postal else None
    for name in ("address_country", "nationality"):
        code = (getattr(values, name) or "").strip().upper() or None
        if code is not None and not _COUNTRY.match(code):
            raise InvalidProfile("Use a two-letter country code (ISO 3166).", field=_camel(name))
        cleaned[name] = code
    phone = (values.phone or "").replace(" ", "") or None
    if phone is not None and not _PHONE.match(phone):
        raise InvalidProfile("Enter the phone number with its country code (+44…).", field="phone")
    cleaned["phone"] = phone
    return ProfileFields(**cleaned)


def _of(player_id: uuid.UUID, row: PlayerProfile | None) -> Profile:
    if row is None:
        return Profile(player_id, ProfileFields(), phone_verified=False, updated_at=None)
    values = ProfileFields(**{f.name: getattr(row, f.name) for f in fields(ProfileFields)})
    return Profile(player_id, values, row.phone_verified_at is not None, row.updated_at)


async def profile_of(
    uow: UnitOfWork, actor: Principal | None, brand: str, player_id: uuid.UUID
) -> Profile:
    """The player's own profile, or any player's of the brand for staff with player.read.
    Errors: NotAuthenticated, PermissionDenied, TwoFactorRequired."""
    _reader(actor, brand, player_id)
    row = await uow.session.scalar(
        select(PlayerProfile).where(
            PlayerProfile.player_id == player_id, PlayerProfile.brand == brand
        )
    )
    return _of(player_id, row)


def _reader(actor: Principal | None, brand: str, player_id: uuid.UUID) -> Principal:
    if actor is not None and actor.is_player and actor.id == player_id:
        return require_player(actor, withdraw_only_allowed=True)
    return require_permission(actor, Permission.PLAYER_READ, brand)


async def update_profile(
    uow: UnitOfWork,
    actor: Principal | None,
    brand: str,
    values: ProfileFields,
    *,
    player_id: uuid.UUID | None = None,
    reason: str | None = None,
) -> Profile:
    """Save a profile: the signed-in player's own (no `player_id`), or, for staff with
    player.status.write, the player `player_id` of the brand with a `reason`. A changed
    phone number is unverified again; a changed name, nationality or address withdraws the
    player's verifications (the tier drops, checks.withdraw_approvals). Audited with the
    changed fields.
    Errors: NotAuthenticated, TwoFactorRequired, WithdrawOnly, PermissionDenied,
    ReasonRequired, PlayerNotFound, InvalidProfile."""
    if player_id is None:
        principal = require_player(actor)
        target = principal.id
        audit_reason = "player edit"
    else:
        principal = require_permission(actor, Permission.PLAYER_STATUS_WRITE, brand)
        audit_reason = audit.audit_reason(reason or "")
        target = player_id
    cleaned = validate(values)
    exists = await uow.session.scalar(
        select(Player.id).where(Player.id == target, Player.brand == brand).with_for_update()
    )
    if exists is None:
        raise PlayerNotFound(field="playerId")
    row = await uow.session.get(PlayerProfile, target, with_for_update=True)
    before = _of(target, row).values
    if row is None:
        row = PlayerProfile(player_id=target, brand=brand)
        uow.session.add(row)
    changed = {
        f.name: (getattr(before, f.name), getattr(cleaned, f.name))
        for f in fields(ProfileFields)
        if getattr(before, f.name) != getattr(cleaned, f.name)
    }
    if not changed:
        return _of(target, row) if row.updated_at else _of(target, None)
    for name, (_, new) in changed.items():
        setattr(row, name, new)
    if "phone" in changed:
        row.phone_verified_at = None
    row.updated_at = clock.now()
    await uow.flush()
    await audit.record(
        uow,
        actor_kind=principal.actor_kind,
        actor_id=principal.id,
        action="player.profile.update",
        subject_type="player",
        subject_id=target,
        brand=brand,
        reason=audit_reason,
        before={name: old for name, (old, _) in changed.items()},
        after={name: new for name, (_, new) in changed.items()},
    )
    if IDENTITY_FIELDS & changed.keys():
        await withdraw_approvals(
            uow, target, actor_id=str(principal.id), actor_kind=principal.actor_kind
        )
        await linking.after_profile_save(uow, target, brand)
    return _of(target, row)
