"""Time-outs (short breaks) and reality checks (DESIGN.md section 6).

A time-out starts at once, signs the player out everywhere and refuses sign-in, deposits
and wagers until it ends; withdrawals stay open. It ends by itself: everything compares
`players.time_out_until` with now, so no job lifts it.

A reality check reminds a signed-in player, every chosen interval of a session, how long
they have been signed in and their net result in that session (stakes - returns, from the
ledger since the session began). Acknowledging one starts the next interval.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import select, text
from sqlalchemy.dialects.postgresql import insert

from domain.accounts import sessions
from domain.accounts.errors import ConfirmationRequired
from domain.accounts.models import AuthSession, Player, PrincipalKind
from domain.accounts.principal import Principal, require_player
from domain.compliance import identity
from domain.compliance.errors import InvalidLimit, TimedOut
from domain.compliance.events import PlayerTimedOut
from domain.compliance.jurisdictions import brand_pack
from domain.compliance.limits import GAMING_ENTRIES, lock_player
from domain.compliance.models import RealityCheck, time_out_running
from domain.kernel import audit, clock
from domain.kernel.db import UnitOfWork
from domain.kernel.outbox import emit


class TimeOutPeriod(StrEnum):
    ONE_DAY = "one_day"
    ONE_WEEK = "one_week"
    ONE_MONTH = "one_month"


# The lengths of the breaks and the reality-check intervals offered come from the brand's
# jurisdiction pack (`[time_out]`, `[reality_check]`).


def time_out_refusal(player: Player) -> TimedOut | None:
    """Why a player on a break may not sign in (None: no time-out running)."""
    until = time_out_until(player)
    if until is None:
        return None
    return TimedOut(f"You are taking a break until {until:%Y-%m-%d %H:%M} UTC.")


def time_out_until(player: Player) -> datetime | None:
    """The end of a running time-out, None when there is none (or it has ended)."""
    return time_out_running(player.time_out_until)


async def take_time_out(
    uow: UnitOfWork,
    actor: Principal | None,
    brand: str,
    *,
    period: TimeOutPeriod,
    confirmed: bool,
) -> datetime:
    """The signed-in player takes a break, at once, on every brand of their person: audited,
    every session ended. A running time-out is never shortened. Returns its end.
    Errors: NotAuthenticated, TwoFactorRequired, ConfirmationRequired, InvalidLimit (a length
    the pack does not offer), PlayerNotFound."""
    principal = require_player(actor)
    if not confirmed:
        raise ConfirmationRequired(
            "Confirm that you understand the break cannot be ended early.", field="confirm"
        )
    days = (await brand_pack(uow, brand)).time_out.lengths_days.get(period.value)
    if days is None:
        raise InvalidLimit("This break length is not offered here.", field="period")
    # The break covers the person: every player of theirs on every brand (locked in id
    # order, as self-exclusion locks them).
    person = await identity.person_of(uow, principal.id)
    if person is None:
        players = [await lock_player(uow, brand, principal.id)]
    else:
        players = await identity.players_of_person(uow, person)
    own = next(player for player in players if player.id == principal.id)
    until = clock.now() + timedelta(days=days)
    for player in players:
        await _break(uow, principal, player, period=period, until=until)
    await uow.flush()
    assert own.time_out_until is not None
    return own.time_out_until


async def _break(
    uow: UnitOfWork, actor: Principal, player: Player, *, period: TimeOutPeriod, until: datetime
) -> None:
    """One player of the person: the break (never shortened), audited, sessions ended."""
    before = time_out_until(player)
    if before is not None and before > until:
        until = before
    player.time_out_until = until
    player.protection_active = True
    await audit.record(
        uow,
        actor_kind=actor.actor_kind,
        actor_id=actor.id,
        action="player.time_out",
        subject_type="player",
        subject_id=player.id,
        brand=player.brand,
        reason=f"time-out requested by the player on {actor.brand}",
        before={"time_out_until": before},
        after={"period": period.value, "time_out_until": until},
    )
    await sessions.revoke_all(
        uow, kind=PrincipalKind.PLAYER, principal_id=player.id, reason="time_out"
    )
    await emit(
        uow,
        PlayerTimedOut(player_id=str(player.id), period=period.value, until=until.isoformat()),
        brand=player.brand,
    )


async def set_reality_check(
    uow: UnitOfWork, actor: Principal | None, brand: str, *, minutes: int | None
) -> int | None:
    """Choose the reality-check interval (None: off), audited.
    Errors: NotAuthenticated, TwoFactorRequired, InvalidLimit, PlayerNotFound."""
    principal = require_player(actor)
    choices = (await brand_pack(uow, brand)).reality_check.choices_minutes
    if minutes is not None and minutes not in choices:
        offered = ", ".join(str(choice) for choice in choices)
        raise InvalidLimit(f"Choose a reminder every {offered} minutes, or none.", field="minutes")
    player = await lock_player(uow, brand, principal.id)
    before = player.reality_check_minutes
    if before != minutes:
        player.reality_check_minutes = minutes
        await audit.record(
            uow,
            actor_kind=principal.actor_kind,
            actor_id=principal.id,
            action="player.reality_check.set",
            subject_type="player",
            subject_id=player.id,
            brand=player.brand,
            reason="reality-check interval chosen by the player",
            before={"minutes": before},
            after={"minutes": minutes},
        )
        await uow.flush()
    return minutes


@dataclass(frozen=True)
class RealityCheckState:
    minutes: int
    session_started_at: datetime
    # When the next reminder is (or was) due: an interval after sign-in or the last one.
    due_at: datetime
    due: bool
    # Stakes - returns since the session began (negative: the player is ahead).
    net_loss_minor: int
    currency: str


_NET_SINCE = text(
    f"SELECT coalesce(-sum(amount), 0)::bigint FROM ({GAMING_ENTRIES}) AS gaming"  # noqa: S608 - a constant
)


async def reality_check(
    uow: UnitOfWork, actor: Principal | None, brand: str, *, minutes: int | None, currency: str
) -> RealityCheckState | None:
    """The reminder state of the caller's own session (None: reality checks off, or not a
    player session). `minutes` and `currency` come with the player the caller already read,
    so a player without reality checks costs no statement."""
    if minutes is None or actor is None or not actor.is_player:
        return None
    row = (
        await uow.session.execute(
            select(AuthSession.created_at, RealityCheck.acknowledged_at)
            .outerjoin(RealityCheck, RealityCheck.session_id == AuthSession.id)
            .where(AuthSession.id == actor.session_id, AuthSession.player_id == actor.id)
        )
    ).first()
    if row is None:
        return None
    started_at: datetime = row.created_at
    due_at = (row.acknowledged_at or started_at) + timedelta(minutes=minutes)
    net = 0
    due = clock.now() >= due_at
    if due:
        net = int(
            await uow.session.scalar(
                _NET_SINCE, {"brand": brand, "player": actor.id, "since": started_at}
            )
            or 0
        )
    return RealityCheckState(minutes, started_at, due_at, due, net, currency)


async def acknowledge_reality_check(
    uow: UnitOfWork, actor: Principal | None, brand: str
) -> datetime:
    """The player saw the reminder and chose to continue: the next is one interval away.
    Errors: NotAuthenticated, TwoFactorRequired."""
    principal = require_player(actor)
    now = clock.now()
    await uow.session.execute(
        insert(RealityCheck)
        .values(
            session_id=principal.session_id,
            brand=brand,
            player_id=principal.id,
            acknowledged_at=now,
        )
        .on_conflict_do_update(
            index_elements=[RealityCheck.session_id], set_={"acknowledged_at": now}
        )
    )
    return now


@dataclass(frozen=True)
class SessionDisplay:
    """What a jurisdiction's display rules show a signed-in player: when the session
    began (the session clock) and the net position since then (returns - stakes)."""

    started_at: datetime
    net_position_minor: int
    currency: str


async def session_display(
    uow: UnitOfWork, actor: Principal | None, brand: str
) -> SessionDisplay | None:
    """The caller's own session clock and net position (None: not a player session). Two
    statements; the site asks only where the brand's pack shows them."""
    if actor is None or not actor.is_player:
        return None
    row = (
        await uow.session.execute(
            select(AuthSession.created_at, Player.currency)
            .join(Player, Player.id == AuthSession.player_id)
            .where(AuthSession.id == actor.session_id, AuthSession.player_id == actor.id)
        )
    ).first()
    if row is None:
        return None
    loss = await uow.session.scalar(
        _NET_SINCE, {"brand": brand, "player": actor.id, "since": row.created_at}
    )
    return SessionDisplay(row.created_at, -int(loss or 0), row.currency)
