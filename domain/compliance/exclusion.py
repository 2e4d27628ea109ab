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

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select

from domain.accounts import players as accounts_players
from domain.accounts.errors import ConfirmationRequired, PlayerNotFound
from domain.accounts.models import Player, PlayerStatus
from domain.accounts.players import SelfExclusionPeriod
from domain.accounts.principal import Principal, require_player
from domain.compliance import identity
from domain.compliance.errors import PeriodNotOffered
from domain.compliance.events import PlayerSelfExcluded
from domain.compliance.jurisdictions import brand_pack
from domain.compliance.models import SelfExclusionRow
from domain.kernel import clock
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
        if await _exclude(uow, principal, player, requested_on=brand, until=until):
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
    uow: UnitOfWork, actor: Principal, player: Player, *, requested_on: str, until: datetime | None
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
        audit_after={"requested_on": requested_on, "until": until.isoformat() if until else None},
    )
    return True


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
