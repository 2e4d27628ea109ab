"""The one guard in front of every deposit, withdrawal and wager.

Callers pass the activity; the guard raises a typed PlayerBlocked subclass or returns.
It reads the player row `FOR SHARE`, so a status change commits either before the money
movement (and blocks it) or after it, never in between.

Player protection (time-outs and limits, domain.compliance.limits) costs a player without
any nothing: the guard reads `protection_active` with the status, and only when it is set
does `check_protection` read the limits and the usage.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import select, text

from domain.accounts.errors import PlayerNotFound
from domain.accounts.models import Player, PlayerStatus
from domain.brands.models import BrandRow
from domain.compliance import limits
from domain.compliance.aml.errors import EnhancedChecksRequired
from domain.compliance.errors import (
    AccountClosed,
    AccountSuspended,
    DepositLimitReached,
    LimitReached,
    LossLimitReached,
    PlayerBlocked,
    SelfExcluded,
    SessionLimitReached,
    TimedOut,
    WagerLimitReached,
)
from domain.compliance.kyc import gates
from domain.compliance.kyc.models import KycTier
from domain.compliance.models import LimitKind, LimitPeriod, time_out_running
from domain.kernel.db import UnitOfWork


class Activity(StrEnum):
    DEPOSIT = "deposit"
    WITHDRAWAL = "withdrawal"
    WAGER = "wager"


_STEP = {
    Activity.DEPOSIT: gates.Step.DEPOSIT,
    Activity.WITHDRAWAL: gates.Step.WITHDRAWAL,
    Activity.WAGER: gates.Step.PLAY,
}
# A self-excluded player may still take their money out; nothing else may move.
_ALLOWED = {
    PlayerStatus.ACTIVE: frozenset(Activity),
    PlayerStatus.SUSPENDED: frozenset(),
    PlayerStatus.SELF_EXCLUDED: frozenset({Activity.WITHDRAWAL}),
    PlayerStatus.CLOSED: frozenset(),
}
_BLOCKED_BY = {
    PlayerStatus.SUSPENDED: AccountSuspended,
    PlayerStatus.SELF_EXCLUDED: SelfExcluded,
    PlayerStatus.CLOSED: AccountClosed,
}


def check_status(status: PlayerStatus, activity: Activity) -> None:
    """Raise the PlayerBlocked subclass for `status` unless it allows `activity`."""
    if activity not in _ALLOWED[status]:
        raise _BLOCKED_BY.get(status, PlayerBlocked)()


async def ensure_allowed(
    uow: UnitOfWork,
    brand: str,
    player_id: uuid.UUID,
    activity: Activity,
    *,
    amount_minor: int | None = None,
    payment_key: str | None = None,
) -> None:
    """Errors: PlayerNotFound, AccountSuspended, SelfExcluded, AccountClosed,
    EnhancedChecksRequired (a deposit while an AML alert holds them), TimedOut,
    DepositLimitReached (a deposit of `amount_minor`; `payment_key` is the deposit's own
    key, not counted against itself on a retry), VerificationRequired (the KYC tier the
    brand's jurisdiction asks for before this step, where the gates are enforced)."""
    row = (
        await uow.session.execute(
            select(
                Player.status,
                Player.protection_active,
                Player.kyc_tier,
                Player.created_at,
                Player.currency,
                BrandRow.jurisdiction,
                Player.deposits_held,
            )
            .join(BrandRow, BrandRow.slug == Player.brand)
            .where(Player.id == player_id, Player.brand == brand)
            .with_for_update(read=True, of=Player)
        )
    ).first()
    if row is None:
        raise PlayerNotFound(field="playerId")
    check_status(PlayerStatus(row.status), activity)
    if row.deposits_held and activity is Activity.DEPOSIT:
        raise EnhancedChecksRequired(field="amount")
    if gates.gates_enforced():
        facts = gates.GateFacts(
            KycTier(row.kyc_tier), row.created_at, row.currency, row.jurisdiction
        )
        await gates.check_gate(
            uow,
            brand,
            player_id,
            facts,
            _STEP[activity],
            amount_minor=amount_minor or 0,
            payment_key=payment_key,
            field="amount" if activity is not Activity.WAGER else None,
        )
    if row.protection_active and activity is not Activity.WITHDRAWAL:
        await check_protection(
            uow,
            brand,
            player_id,
            activity,
            amount_minor=amount_minor or 0,
            payment_key=payment_key,
        )


# Concurrent deposits or wagers of one protected player queue here until the first commits,
# so two of them cannot both fit in what is left of a limit. An advisory lock: it does not
# conflict with the FOR SHARE row lock the wager paths already hold.
# Taken in the statement that reads the time-out; the usage is read by a later statement,
# so it sees what the previous holder committed.
_TIME_OUT_LOCKED = text("""
SELECT p.time_out_until
FROM players p, pg_advisory_xact_lock(hashtextextended('compliance:' || :player, 0))
WHERE p.id = CAST(:player AS uuid) AND p.brand = :brand
""")
_LIMIT_KINDS = {
    Activity.DEPOSIT: (LimitKind.DEPOSIT,),
    Activity.WAGER: (LimitKind.WAGER, LimitKind.LOSS, LimitKind.SESSION),
}
_REACHED: dict[LimitKind, type[LimitReached]] = {
    LimitKind.DEPOSIT: DepositLimitReached,
    LimitKind.LOSS: LossLimitReached,
    LimitKind.WAGER: WagerLimitReached,
    LimitKind.SESSION: SessionLimitReached,
}


async def check_protection(
    uow: UnitOfWork,
    brand: str,
    player_id: uuid.UUID,
    activity: Activity,
    *,
    amount_minor: int,
    payment_key: str | None = None,
    field: str = "amount",
) -> None:
    """The time-out and the limits of a protected player (`protection_active`) for a
    deposit or wager of `amount_minor` (a stake counts in full against a loss limit: it may
    be lost). The lowest remaining limit decides. Two statements, plus the usage when the
    player has a limit of the kind.
    Errors: TimedOut, DepositLimitReached, LossLimitReached, WagerLimitReached,
    SessionLimitReached."""
    time_out_until: datetime | None = await uow.session.scalar(
        _TIME_OUT_LOCKED, {"player": str(player_id), "brand": brand}
    )
    if time_out_running(time_out_until) is not None:
        raise TimedOut(field=field)
    kinds = _LIMIT_KINDS.get(activity, ())
    rows = [row for row in await limits.rows_of(uow, brand, player_id) if row.kind in kinds]
    if not rows:
        return
    usage = await limits.usage(uow, brand, player_id, exclude_payment_key=payment_key)
    refusals = []
    for row in rows:
        kind = LimitKind(row.kind)
        # A session limit refuses once the time is used up, whatever the amount.
        wanted = 0 if kind is LimitKind.SESSION else amount_minor
        used = usage.used(kind, LimitPeriod(row.period))
        remaining = max(0, row.amount_minor - used)
        if wanted > remaining or (kind is LimitKind.SESSION and remaining == 0):
            refusals.append((remaining, kind, row))
    if refusals:
        remaining, kind, row = min(refusals, key=lambda refusal: refusal[0])
        raise _REACHED[kind](remaining_minor=remaining, currency=row.currency, field=field)
