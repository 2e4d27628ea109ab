"""Self-exclusion across the person (DESIGN.md section 6).

Excluding on one brand excludes the person on every brand of the operator at once, in one
transaction: each of their active players becomes self_excluded (audited), every session
of each ends (SessionRevoked closes their sockets), and a PlayerSelfExcluded event per
player leaves through the outbox. From then on the guards that read the player's status
refuse sign-in, deposits and every wager, provider callbacks included, on every brand.

The exclusion is a row of its own with its end and what happens then, both from the pack
of the brand it was asked on: "at_date" ends it at its date; "on_request" keeps it until
the player asks after the date, then the pack's cooling-off.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Select, and_, or_, select

from domain.accounts import players as accounts_players
from domain.accounts.errors import ConfirmationRequired, PlayerNotFound
from domain.accounts.models import Player, PlayerStatus
from domain.accounts.players import SelfExclusionPeriod
from domain.accounts.principal import Principal, require_player
from domain.compliance import identity
from domain.compliance.errors import ExclusionRunning, NoExclusion, PeriodNotOffered
from domain.compliance.events import PlayerSelfExcluded
from domain.compliance.jurisdictions import brand_pack, pack_for
from domain.compliance.models import SelfExclusionRow
from domain.kernel import audit, clock
from domain.kernel.db import UnitOfWork
from domain.kernel.outbox import emit


@dataclass(frozen=True)
class SelfExclusion:
    period: SelfExclusionPeriod
    # None: permanent.
    until: datetime | None
    # What happens at the end: "at_date" or "on_request".
    at_end: str
    # The players of the person now excluded, the asking one included.
    players_excluded: int


async def self_exclude(
    uow: UnitOfWork,
    actor: Principal | None,
    brand: str,
    *,
    period: SelfExclusionPeriod,
    confirmed: bool,
) -> SelfExclusion:
    """The signed-in player excludes themself, and so their person on every brand, at once.
    Errors: NotAuthenticated, TwoFactorRequired, ConfirmationRequired, PeriodNotOffered,
    PlayerNotFound."""
    principal = require_player(actor)
    if not confirmed:
        raise ConfirmationRequired(field="confirm")
    pack = await brand_pack(uow, brand)
    days = pack.self_exclusion.lengths_days.get(period.value)
    if days is None:
        raise PeriodNotOffered(field="period")
    await identity.serialise_with_registrations(uow, principal.id)
    person = await identity.person_of(uow, principal.id)
    if person is None:
        raise PlayerNotFound()
    now = clock.now()
    until = None if period is SelfExclusionPeriod.PERMANENT else now + timedelta(days=days)
    uow.session.add(
        SelfExclusionRow(
            person_id=person,
            player_id=principal.id,
            brand=brand,
            jurisdiction=pack.code,
            period=period.value,
            started_at=now,
            ends_at=until,
            at_end=pack.self_exclusion.at_end,
        )
    )
    excluded = 0
    for player in await identity.players_of_person(uow, person):
        if await _exclude(uow, principal, player, requested_on=brand, period=period, until=until):
            excluded += 1
        await emit(
            uow,
            PlayerSelfExcluded(
                player_id=str(player.id),
                person_id=str(person),
                requested_on=brand,
                until=until.isoformat() if until else None,
            ),
            brand=player.brand,
        )
    await uow.flush()
    return SelfExclusion(period, until, pack.self_exclusion.at_end, excluded)


async def _exclude(
    uow: UnitOfWork,
    actor: Principal,
    player: Player,
    *,
    requested_on: str,
    period: SelfExclusionPeriod,
    until: datetime | None,
) -> bool:
    """One player of the person: active becomes self_excluded, sessions end. A suspended or
    closed player keeps the stricter status it has (it moves no money either)."""
    if player.status != PlayerStatus.ACTIVE:
        return player.status == PlayerStatus.SELF_EXCLUDED
    await accounts_players.apply_status(
        uow,
        actor,
        player,
        PlayerStatus.SELF_EXCLUDED,
        action="player.self_exclude",
        reason=f"self-exclusion requested by the player on {requested_on}",
        audit_after={
            "period": period.value,
            "requested_on": requested_on,
            "until": until.isoformat() if until else None,
        },
    )
    return True


async def _open_exclusion(uow: UnitOfWork, person: uuid.UUID) -> SelfExclusionRow | None:
    """The person's exclusion not yet lifted (the latest, if several), locked."""
    return await uow.session.scalar(
        select(SelfExclusionRow)
        .where(SelfExclusionRow.person_id == person, SelfExclusionRow.lifted_at.is_(None))
        .order_by(SelfExclusionRow.started_at.desc())
        .limit(1)
        .with_for_update()
    )


def _over(row: SelfExclusionRow, now: datetime) -> bool:
    """Whether the exclusion has ended by its pack's rule: at its date ("at_date"), or once
    the cooling-off after the player's request has passed ("on_request")."""
    if row.at_end == "at_date":
        return row.ends_at is not None and row.ends_at <= now
    return row.lifts_at is not None and row.lifts_at <= now


async def lift_if_over(uow: UnitOfWork, player: Player) -> bool:
    """If the person's exclusion has ended, lift it: every self-excluded player of the
    person becomes active again (audited). Returns whether it was lifted. Every other
    exclusion of the person must have ended too (a later, longer one keeps them out)."""
    person = await identity.person_of(uow, player.id)
    if person is None:
        return False
    return await _lift_person(uow, person, clock.now())


def _ended(now: datetime) -> Select[uuid.UUID]:
    """Persons with an exclusion that has ended by its rule (the partial index
    ix_self_exclusions_person_open narrows to the open ones)."""
    return (
        select(SelfExclusionRow.person_id)
        .where(
            SelfExclusionRow.lifted_at.is_(None),
            or_(
                and_(SelfExclusionRow.at_end == "at_date", SelfExclusionRow.ends_at <= now),
                SelfExclusionRow.lifts_at <= now,
            ),
        )
        .distinct()
    )


async def lift_ended(uow: UnitOfWork, *, persons_max: int = 100) -> int:
    """The scheduler's sweep: lift the exclusions that have ended (at most `persons_max`
    persons a run), so statuses are right without waiting for a sign-in. Returns how many
    persons were lifted."""
    now = clock.now()
    persons = list(await uow.session.scalars(_ended(now).limit(persons_max)))
    lifted = 0
    for person in persons:
        if await _lift_person(uow, person, now):
            lifted += 1
    return lifted


async def _lift_person(uow: UnitOfWork, person: uuid.UUID, now: datetime) -> bool:
    rows = list(
        await uow.session.scalars(
            select(SelfExclusionRow)
            .where(SelfExclusionRow.person_id == person, SelfExclusionRow.lifted_at.is_(None))
            .with_for_update()
        )
    )
    if not rows or not all(_over(row, now) for row in rows):
        return False
    for row in rows:
        row.lifted_at = now
    for each in await identity.players_of_person(uow, person):
        if each.status != PlayerStatus.SELF_EXCLUDED:
            continue
        each.status = PlayerStatus.ACTIVE
        await audit.record(
            uow,
            actor_kind="system",
            actor_id=None,
            action="player.self_exclusion.end",
            subject_type="player",
            subject_id=each.id,
            brand=each.brand,
            reason="the self-exclusion ended by its jurisdiction's rule",
            before={"status": PlayerStatus.SELF_EXCLUDED.value},
            after={"status": PlayerStatus.ACTIVE.value, "at_end": rows[0].at_end},
        )
    await uow.flush()
    return True


@dataclass(frozen=True)
class EndRequest:
    # When the player may play again (their next sign-in after it lifts the exclusion).
    lifts_at: datetime


async def request_end(uow: UnitOfWork, actor: Principal | None, brand: str) -> EndRequest:
    """A self-excluded player (withdraw-only session) asks to end an exclusion whose period
    is over, where the pack keeps it until asked ("on_request"): it lifts after the pack's
    cooling-off. Audited. Errors: NotAuthenticated, TwoFactorRequired, NoExclusion,
    ExclusionRunning (its period is not over, or it ends at its date by itself)."""
    principal = require_player(actor, withdraw_only_allowed=True)
    person = await identity.person_of(uow, principal.id)
    row = await _open_exclusion(uow, person) if person is not None else None
    if row is None:
        raise NoExclusion()
    now = clock.now()
    if row.at_end != "on_request" or row.ends_at is None or row.ends_at > now:
        raise ExclusionRunning(row.ends_at)
    if row.lifts_at is None:
        pack = pack_for(row.jurisdiction)
        row.end_requested_at = now
        row.lifts_at = now + pack.self_exclusion.end_cooling_off
        await audit.record(
            uow,
            actor_kind=principal.actor_kind,
            actor_id=principal.id,
            action="player.self_exclusion.end_requested",
            subject_type="player",
            subject_id=principal.id,
            brand=brand,
            reason="the player asked to end a self-exclusion whose period is over",
            before={"lifts_at": None},
            after={"lifts_at": row.lifts_at.isoformat()},
        )
        await uow.flush()
    return EndRequest(row.lifts_at)


async def excluded_person(uow: UnitOfWork, player: Player) -> bool:
    """Whether a new player's person is under an exclusion not yet lifted (registration
    excludes the new player too)."""
    person = await identity.person_of(uow, player.id)
    if person is None:
        return False
    found = await uow.session.scalar(
        select(SelfExclusionRow.id)
        .where(SelfExclusionRow.person_id == person, SelfExclusionRow.lifted_at.is_(None))
        .limit(1)
    )
    return found is not None
