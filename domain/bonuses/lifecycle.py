"""How a grant ends: one code path for every terminal state. Each locks the active grant,
moves the bonus money it holds through the ledger (conversion to cash up to the cap, the
rest forfeited to the house bonus account), sets the terminal state, writes an audit row
and emits BonusUpdated, all in the caller's transaction.

Ledger kinds (read by reporting for bonus cost): `bonus.grant` (house bonus_pool -> player
bonus), `bonus.conversion` (player bonus -> player cash), `bonus.forfeit` (player bonus ->
house bonus_pool), `bonus.cashback` (house bonus_pool -> player cash or bonus)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Final

from sqlalchemy import func, select

from domain.accounts.permissions import Permission
from domain.accounts.principal import Principal, require_permission
from domain.bonuses.errors import GrantNotActive, GrantNotFound
from domain.bonuses.events import BonusUpdated
from domain.bonuses.models import BonusGrant, BonusOffer, GrantState
from domain.kernel import audit, clock, outbox
from domain.kernel.db import Database, UnitOfWork
from domain.kernel.errors import ReasonRequired
from domain.wallets.ledger import IdempotencyScope
from domain.wallets.models import HouseAccountKind, LedgerAccount, WalletKind
from domain.wallets.service import house_account_id, transfer, wallet_id

CONVERSION_KIND: Final = "bonus.conversion"
FORFEIT_KIND: Final = "bonus.forfeit"
LEDGER_SCOPE: Final = IdempotencyScope("system:bonuses", "bonuses.end")


# Staff give a reason for what they do to a bonus; it goes into the audit row.
REASON_LENGTH_MAX: Final = 500


def staff_reason(reason: str) -> str:
    """The reason stripped: one printable line of at most REASON_LENGTH_MAX characters.
    Errors: ReasonRequired."""
    clean = reason.strip()
    if not clean or len(clean) > REASON_LENGTH_MAX or not clean.isprintable():
        raise ReasonRequired(field="reason")
    return clean


@dataclass(frozen=True)
class Actor:
    kind: str  # staff | player | system
    id: uuid.UUID | None = None

    @classmethod
    def system(cls) -> Actor:
        return cls("system")


def acting_staff(staff: Principal | None, brand: str, reason: str) -> tuple[Actor, str]:
    """Staff acting on the brand's bonuses (bonus.manage), and their reason for the audit
    row. Errors: NotAuthenticated, PermissionDenied, ReasonRequired."""
    principal = require_permission(staff, Permission.BONUS_MANAGE, brand)
    return Actor("staff", principal.id), staff_reason(reason)


def claim_key(offer: BonusOffer, granted_id: uuid.UUID, actor: Actor, *, once: bool) -> str:
    """The key unique per player of a free bet or free rounds granted from `offer`.

    A player claims an offer once (the key is the offer); staff and jobs may grant again
    unless the offer is once per player.
    """
    repeatable = not once and actor.kind != "player"
    return f"{offer.id}:{granted_id}" if repeatable else str(offer.id)


async def locked_grant(uow: UnitOfWork, brand: str, grant_id: uuid.UUID) -> BonusGrant:
    """Errors: GrantNotFound."""
    grant = await uow.session.scalar(
        select(BonusGrant)
        .where(BonusGrant.id == grant_id, BonusGrant.brand == brand)
        .with_for_update()
    )
    if grant is None:
        raise GrantNotFound(field="grantId")
    return grant


async def end_grant(
    uow: UnitOfWork,
    brand: str,
    grant_id: uuid.UUID,
    state: GrantState,
    *,
    actor: Actor,
    reason: str,
    at: datetime | None = None,
) -> BonusGrant:
    """End an active grant in `state` (any but ACTIVE). CONVERTED pays the bonus it holds
    to cash up to its conversion cap and forfeits the rest; every other state forfeits what
    it holds. Cash (deposit and its winnings) is never touched.
    Errors: GrantNotFound, GrantNotActive."""
    assert state is not GrantState.ACTIVE, "a grant ends in a terminal state"
    grant = await locked_grant(uow, brand, grant_id)
    if grant.state != GrantState.ACTIVE.value:
        raise GrantNotActive(field="grantId")
    held = await _held_bonus(uow, grant)
    converted = 0
    if state is GrantState.CONVERTED:
        cap = grant.max_conversion_minor
        converted = held if cap is None else min(held, cap)
    forfeited = held - converted
    bonus_wallet = await wallet_id(uow, brand, grant.player_id, WalletKind.BONUS, grant.currency)
    metadata: dict[str, object] = {"grant": str(grant.id), "reason": state.value}
    if converted:
        cash = await wallet_id(uow, brand, grant.player_id, WalletKind.CASH, grant.currency)
        await transfer(
            uow, brand=brand, kind=CONVERSION_KIND, source=bonus_wallet, destination=cash,
            amount_minor=converted, scope=LEDGER_SCOPE, key=f"{grant.id}:conversion",
            metadata=metadata,
        )  # fmt: skip
    if forfeited:
        house = await house_account_id(uow, brand, HouseAccountKind.BONUS_POOL, grant.currency)
        await transfer(
            uow, brand=brand, kind=FORFEIT_KIND, source=bonus_wallet, destination=house,
            amount_minor=forfeited, scope=LEDGER_SCOPE, key=f"{grant.id}:forfeit",
            metadata=metadata,
        )  # fmt: skip
    before = {"state": grant.state, "bonus_held_minor": held, "wagered_minor": grant.wagered_minor}
    grant.state = state.value
    grant.ended_at = at or clock.now()
    grant.end_reason = reason
    grant.converted_minor = converted
    grant.forfeited_minor = forfeited
    await uow.flush()
    await audit.record(
        uow,
        actor_kind=actor.kind,
        actor_id=actor.id,
        action=f"bonus.grant.{state.value}",
        subject_type="bonus_grant",
        subject_id=grant.id,
        brand=brand,
        reason=reason,
        before=before,
        after={"state": state.value, "converted_minor": converted, "forfeited_minor": forfeited},
    )
    await outbox.emit(
        uow, BonusUpdated(str(grant.id), str(grant.player_id), state.value), brand=brand
    )
    return grant


async def _held_bonus(uow: UnitOfWork, grant: BonusGrant) -> int:
    """The bonus money this grant holds: the player's bonus wallet in its currency, less
    what the player's other active grants were given (they keep theirs), never below 0.
    The wallet row is locked (after the grant: the stake's order) so no stake moves it
    between this read and the postings."""
    balance = await uow.session.scalar(
        select(LedgerAccount.balance)
        .where(
            LedgerAccount.brand == grant.brand,
            LedgerAccount.player_id == grant.player_id,
            LedgerAccount.kind == WalletKind.BONUS.value,
            LedgerAccount.currency == grant.currency,
        )
        .with_for_update()
    )
    others = await uow.session.scalar(
        select(func.coalesce(func.sum(BonusGrant.bonus_minor), 0)).where(
            BonusGrant.player_id == grant.player_id,
            BonusGrant.currency == grant.currency,
            BonusGrant.state == GrantState.ACTIVE.value,
            BonusGrant.id != grant.id,
        )
    )
    return max(0, int(balance or 0) - int(others or 0))


async def expire_due(uow: UnitOfWork, *, limit: int = 500) -> int:
    """End every active grant whose wagering window has passed (the clock's now) as
    EXPIRED, up to `limit`; returns how many. Grants another sweep holds are skipped."""
    now = clock.now()
    due = await uow.session.execute(
        select(BonusGrant.id, BonusGrant.brand)
        .where(BonusGrant.state == GrantState.ACTIVE.value, BonusGrant.expires_at <= now)
        .order_by(BonusGrant.expires_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    ended = 0
    for grant_id, brand in due.all():
        await end_grant(
            uow, brand, grant_id, GrantState.EXPIRED, actor=Actor.system(),
            reason="wagering window passed", at=now,
        )  # fmt: skip
        ended += 1
    return ended


async def complete_if_wagered(uow: UnitOfWork, brand: str, grant_id: uuid.UUID) -> bool:
    """Convert a grant whose wagering is met (called by a stake path right after the stake
    that met it, in its transaction). False when it is not (or no longer) due."""
    grant = await locked_grant(uow, brand, grant_id)
    if grant.state != GrantState.ACTIVE.value or grant.wagered_minor < grant.required_minor:
        return False
    await end_grant(
        uow, brand, grant_id, GrantState.CONVERTED, actor=Actor.system(),
        reason="wagering completed",
    )  # fmt: skip
    return True


EXCLUSION_CONSUMER: Final = "bonuses.forfeit_on_status"
# A player in one of these states loses every active bonus (DESIGN.md section 6).
_FORFEITING_STATUSES: Final = {"self_excluded": "self-exclusion", "closed": "account closed"}


async def forfeit_on_status(
    uow: UnitOfWork, *, event_id: int, brand: str, player_id: uuid.UUID, status: str
) -> int:
    """Forfeit the player's active grants when their status became self-excluded or
    closed (from accounts' PlayerStatusChanged event: compliance does not import bonuses),
    once per event. Returns how many grants ended."""
    reason = _FORFEITING_STATUSES.get(status)
    if reason is None or not await outbox.claim_message(uow, EXCLUSION_CONSUMER, event_id):
        return 0
    active = await uow.session.scalars(
        select(BonusGrant.id)
        .where(
            BonusGrant.brand == brand,
            BonusGrant.player_id == player_id,
            BonusGrant.state == GrantState.ACTIVE.value,
        )
        .order_by(BonusGrant.expires_at)
    )
    ended = 0
    for grant_id in list(active):
        await end_grant(
            uow, brand, grant_id, GrantState.FORFEITED, actor=Actor.system(), reason=reason
        )
        ended += 1
    return ended


EXPIRY_BATCH: Final = 500
EXPIRY_BATCHES_MAX: Final = 100


async def expire_due_batches(
    db: Database, *, batch_size: int = EXPIRY_BATCH, batches_max: int = EXPIRY_BATCHES_MAX
) -> int:
    """The expiry sweep as a flow: one committed transaction per batch of grants (bounded
    locks and work), until none is due or `batches_max` ran. Returns how many ended."""
    ended = 0
    for _ in range(batches_max):
        async with db.uow() as uow:
            batch = await expire_due(uow, limit=batch_size)
            await uow.commit()
        ended += batch
        if batch < batch_size:
            break
    return ended
