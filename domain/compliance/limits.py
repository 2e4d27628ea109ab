"""Deposit, loss, wager and session-time limits (DESIGN.md section 6).

A player may keep several limits at once (a kind over a period); the lowest remaining one
decides. A new limit or a decrease applies at once. An increase or a removal waits: it can
be confirmed only after the cooling-off of the brand's jurisdiction pack (`[limits]`) has
passed since it was asked for, and until the player confirms it the old limit holds; the
pack also says over which periods a money limit may be set. Every change writes an audit row.

Usage comes from the ledger and the payments over rolling windows, and is computed only for
players who have limits (`players.protection_active`): the others pay nothing.
- deposited: deposits initiated, pending or credited (an open deposit counts, so parallel
  deposits cannot pass the limit together);
- staked: what the player's cash wallet paid to the wagers account (real money only);
- returned: what the wagers account paid back to it (wins, refunds, cash-outs, rollbacks);
- loss: staked - returned, never below zero.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from types import MappingProxyType
from typing import Any, Final

from sqlalchemy import select, text

from domain.accounts.errors import PlayerNotFound
from domain.accounts.models import Player
from domain.accounts.permissions import Permission
from domain.accounts.principal import Principal, require_permission, require_player
from domain.compliance.errors import (
    CoolingOff,
    InvalidLimit,
    LimitNotFound,
    NoPendingChange,
)
from domain.compliance.events import LimitChanged, LimitIncreaseRequested
from domain.compliance.jurisdictions import JurisdictionPack, brand_pack
from domain.compliance.models import LimitKind, LimitPeriod, PlayerLimit, time_out_running
from domain.kernel import audit, clock
from domain.kernel.db import UnitOfWork
from domain.kernel.outbox import emit
from domain.wallets.service import AMOUNT_MAX_MINOR

# Rolling windows: the last 24 hours, 7 days, 30 days.
PERIOD_LENGTHS: Final = MappingProxyType(
    {
        LimitPeriod.DAY: timedelta(hours=24),
        LimitPeriod.WEEK: timedelta(days=7),
        LimitPeriod.MONTH: timedelta(days=30),
    }
)
MONEY_PERIODS: Final = tuple(PERIOD_LENGTHS)
SESSION_MINUTES_MAX: Final = 24 * 60


@dataclass(frozen=True)
class PendingChange:
    # None: the limit is to be removed.
    amount_minor: int | None
    requested_at: datetime
    # requested_at + the pack's cooling-off.
    can_confirm_at: datetime


@dataclass(frozen=True)
class Limit:
    kind: LimitKind
    period: LimitPeriod
    # Minor units of `currency`; minutes for a session limit (currency None).
    amount_minor: int
    currency: str | None
    used_minor: int
    pending: PendingChange | None

    @property
    def remaining_minor(self) -> int:
        return max(0, self.amount_minor - self.used_minor)


@dataclass(frozen=True)
class Usage:
    """What the player deposited, staked and got back per window; session minutes."""

    deposited: dict[LimitPeriod, int]
    staked: dict[LimitPeriod, int]
    returned: dict[LimitPeriod, int]
    session_minutes: int

    def used(self, kind: LimitKind, period: LimitPeriod) -> int:
        if kind is LimitKind.SESSION:
            return self.session_minutes
        if kind is LimitKind.DEPOSIT:
            return self.deposited[period]
        if kind is LimitKind.WAGER:
            return self.staked[period]
        return max(0, self.staked[period] - self.returned[period])


# The player's cash-wallet entries since :since of transactions with a leg on a wagers
# house account (index ix_ledger_entries_account_created): stakes (< 0) and what came back
# (> 0). Also the reality check's net result (domain.compliance.protection).
GAMING_ENTRIES: Final = """
    SELECT e.amount, e.created_at FROM ledger_accounts a
    JOIN ledger_entries e ON e.account_id = a.id AND e.created_at >= :since
    WHERE a.brand = :brand AND a.player_id = :player AND a.kind = 'cash'
      AND EXISTS (
          SELECT 1 FROM ledger_entries w JOIN ledger_accounts h ON h.id = w.account_id
          WHERE w.transaction_id = e.transaction_id AND h.player_id IS NULL
            AND h.kind = 'wagers'
      )"""


def _sums(column: str, name: str) -> str:
    return ", ".join(
        f"coalesce(sum({column}) FILTER (WHERE created_at >= :since_{p}), 0) AS {name}_{p}"
        for p in MONEY_PERIODS
    )


# One statement: deposits from `payments` (index ix_payments_player), stakes and returns
# from the cash wallet's entries (index ix_ledger_entries_account_created) whose transaction
# has a leg on a wagers house account, and the start of the latest sign-in.
_USAGE = text(f"""
WITH deposits AS (
    SELECT amount_minor, created_at FROM payments
    WHERE player_id = :player AND brand = :brand AND kind = 'deposit'
      AND status IN ('initiated', 'pending', 'succeeded') AND created_at >= :since_month
      AND idempotency_key IS DISTINCT FROM :exclude_key
), gaming AS ({GAMING_ENTRIES.replace(":since", ":since_month")})
SELECT d.*, s.*, r.*,
       (SELECT max(created_at) FROM auth_sessions WHERE player_id = :player) AS signed_in_at
FROM (SELECT {_sums("amount_minor", "deposited")} FROM deposits) AS d,
     (SELECT {_sums("-amount", "staked")} FROM gaming WHERE amount < 0) AS s,
     (SELECT {_sums("amount", "returned")} FROM gaming WHERE amount > 0) AS r
""")  # noqa: S608 - the interpolated parts are constants of this module


async def usage(
    uow: UnitOfWork, brand: str, player_id: uuid.UUID, *, exclude_payment_key: str | None = None
) -> Usage:
    """The player's usage in every window (one statement). `exclude_payment_key`: a deposit
    retried under its key is not counted against itself."""
    now = clock.now()
    parameters: dict[str, Any] = {
        "brand": brand,
        "player": player_id,
        "exclude_key": exclude_payment_key,
        **{f"since_{p}": now - PERIOD_LENGTHS[p] for p in MONEY_PERIODS},
    }
    row = (await uow.session.execute(_USAGE, parameters)).one()._mapping

    def by_period(name: str) -> dict[LimitPeriod, int]:
        return {p: int(row[f"{name}_{p}"]) for p in MONEY_PERIODS}

    signed_in_at: datetime | None = row["signed_in_at"]
    minutes = 0 if signed_in_at is None else max(0, int((now - signed_in_at).total_seconds()) // 60)
    return Usage(
        deposited=by_period("deposited"),
        staked=by_period("staked"),
        returned=by_period("returned"),
        session_minutes=minutes,
    )


async def rows_of(uow: UnitOfWork, brand: str, player_id: uuid.UUID) -> list[PlayerLimit]:
    result = await uow.session.scalars(
        select(PlayerLimit)
        .where(PlayerLimit.player_id == player_id, PlayerLimit.brand == brand)
        .order_by(PlayerLimit.kind, PlayerLimit.period)
    )
    return list(result)


def to_limit(row: PlayerLimit, found: Usage | None, cooling_off: timedelta) -> Limit:
    pending = None
    if row.pending_requested_at is not None:
        pending = PendingChange(
            None if row.pending_removal else row.pending_amount_minor,
            row.pending_requested_at,
            row.pending_requested_at + cooling_off,
        )
    kind = LimitKind(row.kind)
    period = LimitPeriod(row.period)
    return Limit(
        kind=kind,
        period=period,
        amount_minor=row.amount_minor,
        currency=row.currency,
        used_minor=found.used(kind, period) if found else 0,
        pending=pending,
    )


async def limits_of(
    uow: UnitOfWork, actor: Principal | None, brand: str, player_id: uuid.UUID
) -> list[Limit]:
    """The player's limits with usage: the player themself, or staff with player.read.
    Errors: NotAuthenticated, PermissionDenied, TwoFactorRequired."""
    if actor is None or actor.is_player:
        if require_player(actor, withdraw_only_allowed=True).id != player_id:
            return []
    else:
        require_permission(actor, Permission.PLAYER_READ, brand)
    rows = await rows_of(uow, brand, player_id)
    if not rows:
        return []
    found = await usage(uow, brand, player_id)
    cooling_off = (await brand_pack(uow, brand)).limits.increase_cooling_off
    return [to_limit(row, found, cooling_off) for row in rows]


def _check(pack: JurisdictionPack, kind: LimitKind, period: LimitPeriod, amount_minor: int) -> None:
    """Errors: InvalidLimit."""
    if (kind is LimitKind.SESSION) != (period is LimitPeriod.SESSION):
        raise InvalidLimit(
            "A session limit counts minutes per session; other limits a day, week or month.",
            field="period",
        )
    if kind is not LimitKind.SESSION and period.value not in pack.limits.periods:
        raise InvalidLimit(
            "Limits here are set per " + ", ".join(pack.limits.periods) + ".", field="period"
        )
    ceiling = SESSION_MINUTES_MAX if kind is LimitKind.SESSION else AMOUNT_MAX_MINOR
    if type(amount_minor) is not int or not 0 < amount_minor <= ceiling:
        raise InvalidLimit("Give a positive amount within range.", field="amount")


async def lock_player(
    uow: UnitOfWork, brand: str, player_id: uuid.UUID, *, refresh: bool = False
) -> Player:
    """The player's row FOR UPDATE: one protection change of a player at a time
    (`refresh`: its columns read again under the lock, if the session already held it).
    Errors: PlayerNotFound."""
    player = await uow.session.scalar(
        select(Player)
        .where(Player.id == player_id, Player.brand == brand)
        .with_for_update()
        .execution_options(populate_existing=refresh)
    )
    if player is None:
        raise PlayerNotFound()
    return player


async def _row(
    uow: UnitOfWork, player_id: uuid.UUID, kind: LimitKind, period: LimitPeriod
) -> PlayerLimit | None:
    return await uow.session.scalar(
        select(PlayerLimit)
        .where(
            PlayerLimit.player_id == player_id,
            PlayerLimit.kind == kind.value,
            PlayerLimit.period == period.value,
        )
        .with_for_update()
    )


def _state(row: PlayerLimit | None) -> dict[str, Any] | None:
    if row is None:
        return None
    return {
        "amount_minor": row.amount_minor,
        "currency": row.currency,
        "pending_amount_minor": row.pending_amount_minor,
        "pending_removal": row.pending_removal,
        "pending_requested_at": row.pending_requested_at,
    }


async def _audit(
    uow: UnitOfWork,
    actor: Principal | None,
    player: Player,
    action: str,
    *,
    limit: tuple[LimitKind, LimitPeriod],
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
) -> None:
    kind, period = limit
    await audit.record(
        uow,
        # None: at registration, before any session; the player set it.
        actor_kind=actor.actor_kind if actor else "player",
        actor_id=actor.id if actor else player.id,
        action=action,
        subject_type="player",
        subject_id=player.id,
        brand=player.brand,
        reason=f"{kind.value} limit per {period.value}, by the player",
        before={"kind": kind.value, "period": period.value, **(before or {})},
        after={"kind": kind.value, "period": period.value, **(after or {})},
    )


async def set_limit(
    uow: UnitOfWork,
    actor: Principal | None,
    brand: str,
    *,
    kind: LimitKind,
    period: LimitPeriod,
    amount_minor: int,
    currency: str | None,
) -> Limit:
    """Set the signed-in player's limit (money in the player's currency; minutes for a
    session limit, currency None). New or lower: at once (a waiting change is dropped).
    Higher: waits for confirmation after the cooling-off; the old limit holds.
    Errors: NotAuthenticated, TwoFactorRequired, InvalidLimit, PlayerNotFound."""
    principal = require_player(actor)
    return await apply_limit(
        uow,
        principal,
        brand,
        principal.id,
        kind=kind,
        period=period,
        amount_minor=amount_minor,
        currency=currency,
    )


async def apply_limit(
    uow: UnitOfWork,
    actor: Principal | None,
    brand: str,
    player_id: uuid.UUID,
    *,
    kind: LimitKind,
    period: LimitPeriod,
    amount_minor: int,
    currency: str | None,
) -> Limit:
    """set_limit for `player_id` (registration sets a limit before any session exists).
    Errors: InvalidLimit, PlayerNotFound."""
    pack = await brand_pack(uow, brand)
    _check(pack, kind, period, amount_minor)
    player = await lock_player(uow, brand, player_id)
    expected = None if kind is LimitKind.SESSION else player.currency
    if currency != expected:
        raise InvalidLimit(
            "Give a session limit in minutes and other limits in your account currency.",
            field="amount",
        )
    row = await _row(uow, player.id, kind, period)
    before = _state(row)
    now = clock.now()
    if row is None:
        row = PlayerLimit(
            brand=brand,
            player_id=player.id,
            kind=kind.value,
            period=period.value,
            amount_minor=amount_minor,
            currency=currency,
        )
        uow.session.add(row)
        action = "player.limit.set"
    elif amount_minor <= row.amount_minor:
        row.amount_minor = amount_minor
        _clear_pending(row)
        action = "player.limit.decrease"
    else:
        row.pending_amount_minor = amount_minor
        row.pending_removal = False
        row.pending_requested_at = now
        action = "player.limit.increase_requested"
    row.updated_at = now
    player.protection_active = True
    await _audit(uow, actor, player, action, limit=(kind, period), before=before, after=_state(row))
    if action == "player.limit.increase_requested":
        await _increase_requested(uow, player, kind, period)
    else:
        await _changed(uow, player, row, "set" if before is None else "decrease")
    await uow.flush()
    return to_limit(row, await usage(uow, brand, player.id), pack.limits.increase_cooling_off)


async def _increase_requested(
    uow: UnitOfWork, player: Player, kind: LimitKind, period: LimitPeriod
) -> None:
    await emit(
        uow,
        LimitIncreaseRequested(player_id=str(player.id), kind=kind.value, period=period.value),
        brand=player.brand,
    )


async def _changed(
    uow: UnitOfWork, player: Player, row: PlayerLimit, change: str, *, removed: bool = False
) -> None:
    # In the transaction of the change: segments on "limits set" and the CRM port follow
    # it from the outbox.
    kind = LimitKind(row.kind)
    event = LimitChanged(
        player_id=str(player.id), kind=kind.value, period=LimitPeriod(row.period).value,
        change=change, amount_minor=None if removed else row.amount_minor,
        currency=row.currency,
    )  # fmt: skip
    await emit(uow, event, brand=player.brand)


def _clear_pending(row: PlayerLimit) -> None:
    row.pending_amount_minor = None
    row.pending_removal = False
    row.pending_requested_at = None


async def remove_limit(
    uow: UnitOfWork, actor: Principal | None, brand: str, *, kind: LimitKind, period: LimitPeriod
) -> Limit:
    """Ask to remove a limit: like an increase, it waits for confirmation after the
    cooling-off. Errors: NotAuthenticated, TwoFactorRequired, LimitNotFound, PlayerNotFound."""
    principal = require_player(actor)
    player = await lock_player(uow, brand, principal.id)
    row = await _row(uow, player.id, kind, period)
    if row is None:
        raise LimitNotFound(field="kind")
    before = _state(row)
    row.pending_amount_minor = None
    row.pending_removal = True
    row.pending_requested_at = row.updated_at = clock.now()
    await _audit(
        uow,
        principal,
        player,
        "player.limit.removal_requested",
        limit=(kind, period),
        before=before,
        after=_state(row),
    )
    await _increase_requested(uow, player, kind, period)
    await uow.flush()
    cooling_off = (await brand_pack(uow, brand)).limits.increase_cooling_off
    return to_limit(row, await usage(uow, brand, player.id), cooling_off)


async def confirm_change(
    uow: UnitOfWork, actor: Principal | None, brand: str, *, kind: LimitKind, period: LimitPeriod
) -> Limit | None:
    """Confirm a waiting increase or removal once the cooling-off is over. Returns the
    limit now in force, or None when it was removed.
    Errors: NotAuthenticated, TwoFactorRequired, LimitNotFound, NoPendingChange, CoolingOff,
    PlayerNotFound."""
    principal = require_player(actor)
    player = await lock_player(uow, brand, principal.id)
    row = await _row(uow, player.id, kind, period)
    if row is None:
        raise LimitNotFound(field="kind")
    if row.pending_requested_at is None:
        raise NoPendingChange(field="kind")
    cooling_off = (await brand_pack(uow, brand)).limits.increase_cooling_off
    can_confirm_at = row.pending_requested_at + cooling_off
    if clock.now() < can_confirm_at:
        raise CoolingOff(can_confirm_at)
    before = _state(row)
    if row.pending_removal:
        await uow.session.delete(row)
        await _audit(
            uow,
            principal,
            player,
            "player.limit.remove",
            limit=(kind, period),
            before=before,
            after=None,
        )
        await _changed(uow, player, row, "remove", removed=True)
        await uow.flush()
        await refresh_protection(uow, player)
        return None
    assert row.pending_amount_minor is not None
    row.amount_minor = row.pending_amount_minor
    _clear_pending(row)
    row.updated_at = clock.now()
    await _audit(
        uow,
        principal,
        player,
        "player.limit.increase",
        limit=(kind, period),
        before=before,
        after=_state(row),
    )
    await _changed(uow, player, row, "increase")
    await uow.flush()
    return to_limit(row, await usage(uow, brand, player.id), cooling_off)


async def refresh_protection(uow: UnitOfWork, player: Player) -> None:
    """Keep `protection_active` true only while the player has a limit or a time-out
    that has not ended, so the hot paths skip the checks for everyone else. Under the
    player's row lock (re-read): a limit set at the same moment elsewhere (which takes the
    same lock) is seen, never switched off."""
    await uow.flush()  # the caller's pending changes, before the re-read replaces them
    player = await lock_player(uow, player.brand, player.id, refresh=True)
    has_limit = await uow.session.scalar(
        select(PlayerLimit.id).where(PlayerLimit.player_id == player.id).limit(1)
    )
    timed_out = time_out_running(player.time_out_until) is not None
    player.protection_active = has_limit is not None or timed_out
