"""The person: one human's players across the operator's brands.

The one linking rule (DESIGN.md section 6): players with the same e-mail address and the
same date of birth are one person. It is what every player has today; verified phone,
documents and name + address join the rule when the profile and KYC hold them. A player
without an e-mail is a person of their own. The link is made at registration, under an
advisory lock on the match key, so two registrations of one person at once on two brands
still end on one person.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select, text

from domain.accounts.models import Player
from domain.accounts.permissions import Permission
from domain.accounts.principal import Principal, reaches, require_permission
from domain.compliance.models import Person, PersonLink
from domain.kernel.db import UnitOfWork

RULE_EMAIL_DOB = "email_dob"
RULE_NEW = "new"


def match_key(email: str | None, date_of_birth: date) -> str | None:
    """The key two players of one person share (None: nothing to match on). A digest, so
    the link table holds no e-mail; migration 0016 computes the same in SQL."""
    if email is None:
        return None
    return hashlib.sha256(f"{email}|{date_of_birth.isoformat()}".encode()).hexdigest()


_LOCK = text("SELECT pg_advisory_xact_lock(hashtextextended('person:' || :key, 0))")


async def link_player(uow: UnitOfWork, player: Player) -> uuid.UUID:
    """Link a new player to their person (an existing one when the rule matches, else a
    new one). Returns the person's id."""
    key = match_key(player.email, player.date_of_birth)
    person_id: uuid.UUID | None = None
    if key is not None:
        await uow.session.execute(_LOCK, {"key": key})
        person_id = await uow.session.scalar(
            select(PersonLink.person_id).where(PersonLink.match_key == key).limit(1)
        )
    rule = RULE_EMAIL_DOB if key is not None else RULE_NEW
    if person_id is None:
        person_id = uuid.uuid4()
        uow.session.add(Person(id=person_id))
        await uow.flush()
    uow.session.add(
        PersonLink(
            player_id=player.id, person_id=person_id, brand=player.brand, rule=rule, match_key=key
        )
    )
    await uow.flush()
    return person_id


async def lock_persons(uow: UnitOfWork, person_ids: Iterable[uuid.UUID], *keys: str) -> None:
    """Take the registration lock (link_player's) of every match key of the persons, and of
    `keys`, in sorted order (so two callers never wait on each other in a circle): until
    this transaction ends, no registration links a new player to them, and those committed
    before are visible to what follows."""
    ids = list(person_ids)
    held = set(keys)
    if ids:
        held.update(
            await uow.session.scalars(
                select(PersonLink.match_key).where(
                    PersonLink.person_id.in_(ids), PersonLink.match_key.is_not(None)
                )
            )
        )
    for key in sorted(k for k in held if k is not None):
        await uow.session.execute(_LOCK, {"key": key})


async def serialise_with_registrations(uow: UnitOfWork, player_id: uuid.UUID) -> None:
    """Take the locks a registration of the same person holds until it commits (link_player),
    for every match key of the player's person, so an exclusion or a hold and a new player
    of the person never miss each other: it sees the committed player, or the
    registration sees what it committed."""
    row = (
        await uow.session.execute(
            select(Player.email, Player.date_of_birth).where(Player.id == player_id)
        )
    ).first()
    key = match_key(row.email, row.date_of_birth) if row is not None else None
    person = await person_of(uow, player_id)
    await lock_persons(uow, [person] if person is not None else [], *([key] if key else []))


async def person_held(uow: UnitOfWork, person_id: uuid.UUID) -> bool:
    """Whether an AML hold holds the deposits of any player of the person (a hold is the
    person's: aml.monitoring.hold_person)."""
    held = await uow.session.scalar(
        select(Player.id)
        .join(PersonLink, PersonLink.player_id == Player.id)
        .where(PersonLink.person_id == person_id, Player.deposits_held)
        .limit(1)
    )
    return held is not None


async def person_of(uow: UnitOfWork, player_id: uuid.UUID) -> uuid.UUID | None:
    return await uow.session.scalar(
        select(PersonLink.person_id).where(PersonLink.player_id == player_id)
    )


async def players_of_person(uow: UnitOfWork, person_id: uuid.UUID) -> list[Player]:
    """Every player of the person on every brand, locked FOR UPDATE in id order (one
    exclusion of a person at a time; a fixed order, so two never deadlock)."""
    result = await uow.session.scalars(
        select(Player)
        .join(PersonLink, PersonLink.player_id == Player.id)
        .where(PersonLink.person_id == person_id)
        .order_by(Player.id)
        .with_for_update(of=Player)
    )
    return list(result)


@dataclass(frozen=True)
class LinkedPlayer:
    player_id: uuid.UUID
    brand: str
    rule: str
    status: str


async def linked_players(
    uow: UnitOfWork, actor: Principal | None, brand: str, player_id: uuid.UUID
) -> list[LinkedPlayer]:
    """For risk staff (player.read on `brand`): the players linked with this player of
    `brand`, itself included, on the brands the staff member may see only.
    Errors: NotAuthenticated, PermissionDenied, TwoFactorRequired."""
    principal = require_permission(actor, Permission.PLAYER_READ, brand)
    person = await uow.session.scalar(
        select(PersonLink.person_id).where(
            PersonLink.player_id == player_id, PersonLink.brand == brand
        )
    )
    if person is None:
        return []
    statement = (
        select(PersonLink.player_id, PersonLink.brand, PersonLink.rule, Player.status)
        .join(Player, Player.id == PersonLink.player_id)
        .where(PersonLink.person_id == person)
        .order_by(PersonLink.linked_at, PersonLink.player_id)
    )
    rows = (await uow.session.execute(statement)).all()
    # The gate's own scope rule, per linked player: other brands stay out of sight.
    return [
        LinkedPlayer(row.player_id, row.brand, row.rule, row.status)
        for row in rows
        if reaches(principal, row.brand)
    ]
