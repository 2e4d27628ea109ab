"""Loyalty: points earned per stake, tiers over a rolling window, points redeemed for cash.

Points are not money: they live in the player's `loyalty_points` ledger wallet, one point
being 100 of its units (the site shows that wallet as points), moved against the house
`loyalty` account, so every movement is a balanced, keyed ledger transaction.

- Earning (`accrue`, a job): each casino or sportsbook stake paid from the player's money
  wallets (not a free bet) earns `rate` points per 1.00 staked for its product, times the
  player's tier multiplier; once per stake (`loyalty_earnings` claims the stake's ledger
  transaction id). A refund (casino rollback, sportsbook refund) takes the points back, as
  far as the wallet still holds them. Stakes are read from the ledger after they commit,
  so the stake's own path is untouched.
- Tiers (`tiers.recalculate_tiers`, a job): the points earned over the last `window_days` decide
  the tier (the highest whose minimum they reach); a tier brings a points multiplier and a
  cashback rate.
- Redemption (`redeem`, the player): `redeem_points` points buy `redeem_minor` cash, in one
  ledger transaction (points to the house, cash from the house bonus account), once per
  idempotency key: a replay returns what the first call recorded, whatever the rate is now.
  Points earned in the last `redeem_hold_days` are held (not redeemable), so a stake refunded
  in that time still finds its points to take back instead of cash already paid for them.
"""

from __future__ import annotations

import uuid
from dataclasses import asdict, dataclass, field
from datetime import timedelta
from typing import Any, Final

from sqlalchemy import func, select, text
from sqlalchemy.dialects.postgresql import insert

from domain.accounts.permissions import Permission
from domain.accounts.principal import Principal, require_permission
from domain.bonuses.errors import InvalidTerms, LoyaltyNotOffered, NotEnoughPoints
from domain.bonuses.models import LoyaltyEarning, LoyaltyProgramme, LoyaltyStatus
from domain.kernel import audit, clock
from domain.kernel.db import Database, UnitOfWork
from domain.wallets.errors import IdempotencyConflict, InsufficientFunds
from domain.wallets.ledger import IdempotencyScope, Leg, check_key, post, recorded
from domain.wallets.models import HouseAccountKind, LedgerAccount, WalletKind
from domain.wallets.service import house_account_id, wallet_id

POINT_UNITS: Final = 100
EARN_KIND: Final = "loyalty.earn"
REDEEM_KIND: Final = "loyalty.redemption"
EARN_SCOPE: Final = IdempotencyScope("system:loyalty", "loyalty.earn")
PRODUCTS: Final = {"casino.bet": "casino", "sportsbook.stake": "sportsbook"}
# A refunded stake takes its points back (what is left of them in the wallet).
REFUNDS: Final = {"casino.rollback": "casino", "sportsbook.refund": "sportsbook"}
# The wallets whose stakes earn (a free bet's stake is not the player's money).
EARNING_WALLETS: Final = ("cash", "bonus", "casino_bonus")
TIERS_MAX: Final = 10
RATE_MAX: Final = 1_000
WINDOW_DAYS_MAX: Final = 366
REDEEM_HOLD_DAYS: Final = 7
REDEEM_HOLD_DAYS_MAX: Final = 90
ACCRUAL_BATCH: Final = 1_000
# Stakes commit out of id order: each run looks again this far behind the last id it saw.
ACCRUAL_LOOKBACK_IDS: Final = 5_000


def redeem_scope(player_id: uuid.UUID) -> IdempotencyScope:
    return IdempotencyScope(f"player:{player_id}", "loyalty.redeem")


@dataclass(frozen=True)
class Tier:
    name: str
    min_points: int
    multiplier_percent: int = 100
    cashback_percent: int = 0


@dataclass(frozen=True)
class Programme:
    # Points per 1.00 (100 minor units) staked, by product.
    rates: dict[str, int] = field(default_factory=lambda: {"casino": 1, "sportsbook": 1})
    window_days: int = 90
    tiers: tuple[Tier, ...] = (Tier("Bronze", 0),)
    redeem_points: int = 100
    redeem_minor: int = 100
    redeem_hold_days: int = REDEEM_HOLD_DAYS

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Programme:
        values = dict(data)
        values["tiers"] = tuple(Tier(**tier) for tier in values.get("tiers", ()))
        return cls(**values)

    def tier_for(self, window_points: int) -> Tier:
        reached = [tier for tier in self.tiers if tier.min_points <= window_points]
        return max(reached, key=lambda tier: tier.min_points)

    def next_tier(self, window_points: int) -> Tier | None:
        above = [tier for tier in self.tiers if tier.min_points > window_points]
        return min(above, key=lambda tier: tier.min_points) if above else None


def validate(programme: Programme) -> None:
    """Errors: InvalidTerms (naming the field)."""
    if set(programme.rates) - set(PRODUCTS.values()) or any(
        not 0 <= rate <= RATE_MAX for rate in programme.rates.values()
    ):
        raise InvalidTerms(f"Give each product's rate from 0 to {RATE_MAX}.", field="rates")
    if not 1 <= programme.window_days <= WINDOW_DAYS_MAX:
        raise InvalidTerms("Give the tier window in days.", field="windowDays")
    tiers = programme.tiers
    names = [tier.name.strip() for tier in tiers]
    if not 1 <= len(tiers) <= TIERS_MAX or len(set(names)) != len(names) or not all(names):
        raise InvalidTerms("Give from 1 to 10 tiers with distinct names.", field="tiers")
    if min(tier.min_points for tier in tiers) != 0:
        raise InvalidTerms("One tier must start at 0 points.", field="tiers")
    for tier in tiers:
        if (
            tier.min_points < 0
            or not 0 <= tier.multiplier_percent <= 1_000
            or not 0 <= tier.cashback_percent <= 100
            or len(tier.name) > 40
            or not tier.name.isprintable()
        ):
            raise InvalidTerms("A tier's values are out of range.", field="tiers")
    if programme.redeem_points <= 0 or programme.redeem_minor <= 0:
        raise InvalidTerms("Give the redemption rate.", field="redeemPoints")
    if not 0 <= programme.redeem_hold_days <= REDEEM_HOLD_DAYS_MAX:
        raise InvalidTerms(
            f"Give the hold from 0 to {REDEEM_HOLD_DAYS_MAX} days.", field="redeemHoldDays"
        )


async def programme_of(uow: UnitOfWork, brand: str) -> Programme | None:
    row = await uow.session.get(LoyaltyProgramme, brand)
    return None if row is None else Programme.from_json(row.config)


async def set_demo_programme(uow: UnitOfWork, brand: str, programme: Programme) -> None:
    """The programme `stakehouse seed --demo` gives a brand (by the system), unless the
    brand has one. Errors: InvalidTerms."""
    validate(programme)
    await uow.session.execute(
        insert(LoyaltyProgramme)
        .values(brand=brand, config=programme.to_json(), version=1)
        .on_conflict_do_nothing(index_elements=["brand"])
    )


async def set_programme(
    uow: UnitOfWork, staff: Principal | None, brand: str, programme: Programme
) -> LoyaltyProgramme:
    """Staff (bonus.manage) set the brand's programme (a new version), audited.
    Errors: NotAuthenticated, PermissionDenied, InvalidTerms."""
    actor = require_permission(staff, Permission.BONUS_MANAGE, brand)
    validate(programme)
    row = await uow.session.get(LoyaltyProgramme, brand, with_for_update=True)
    before = None if row is None else {"version": row.version, "config": row.config}
    if row is None:
        row = LoyaltyProgramme(brand=brand, config=programme.to_json(), version=1)
        uow.session.add(row)
    else:
        row.config = programme.to_json()
        row.version += 1
    row.updated_at = clock.now()
    await uow.flush()
    await audit.record(
        uow,
        actor_kind=actor.actor_kind,
        actor_id=actor.id,
        action="loyalty.programme.set",
        subject_type="loyalty_programme",
        subject_id=brand,
        brand=brand,
        before=before,
        after={"version": row.version, "config": row.config},
    )
    return row


_STAKES = text("""
SELECT t.id, t.brand, t.kind, a.player_id, a.currency, abs(sum(e.amount)) AS staked
  FROM ledger_transactions t
  JOIN ledger_entries e ON e.transaction_id = t.id
  JOIN ledger_accounts a ON a.id = e.account_id
 WHERE t.id > :after
   AND t.kind IN ('casino.bet', 'sportsbook.stake', 'casino.rollback', 'sportsbook.refund')
   AND t.brand IN (SELECT brand FROM loyalty_programmes)
   AND a.player_id IS NOT NULL AND a.kind = ANY(:wallets)
   AND (CASE WHEN t.kind IN ('casino.bet', 'sportsbook.stake') THEN e.amount < 0
             ELSE e.amount > 0 END)
   AND NOT EXISTS (SELECT 1 FROM loyalty_earnings l WHERE l.ledger_transaction_id = t.id)
 GROUP BY t.id, t.brand, t.kind, a.player_id, a.currency
 ORDER BY t.id
 LIMIT :limit
""")


async def accrue(db: Database, *, limit: int = ACCRUAL_BATCH) -> int:
    """Points for the stakes not yet counted (one committed transaction per batch).
    Idempotent; returns how many stakes earned."""
    async with db.transaction() as uow:
        seen = await uow.session.scalar(
            select(func.coalesce(func.max(LoyaltyEarning.ledger_transaction_id), 0))
        )
        rows = (
            await uow.session.execute(
                _STAKES,
                {
                    "after": max(0, int(seen or 0) - ACCRUAL_LOOKBACK_IDS),
                    "wallets": list(EARNING_WALLETS),
                    "limit": limit,
                },
            )
        ).all()
        programmes: dict[str, Programme | None] = {}
        earned = 0
        for transaction_id, brand, kind, player_id, currency, staked in rows:
            if brand not in programmes:
                programmes[brand] = await programme_of(uow, brand)
            programme = programmes[brand]
            assert programme is not None
            refund = kind in REFUNDS
            earned += await _earn(
                uow, programme, transaction_id=transaction_id, brand=brand,
                product=REFUNDS[kind] if refund else PRODUCTS[kind], player_id=player_id,
                currency=currency, staked_minor=-int(staked) if refund else int(staked),
            )  # fmt: skip
        return earned


async def _earn(
    uow: UnitOfWork,
    programme: Programme,
    *,
    transaction_id: int,
    brand: str,
    product: str,
    player_id: uuid.UUID,
    currency: str,
    staked_minor: int,
) -> int:
    tier = await _current_tier(uow, programme, player_id)
    points = abs(staked_minor) * programme.rates.get(product, 0) // 100
    points = points * tier.multiplier_percent // 100
    house = await house_account_id(uow, brand, HouseAccountKind.LOYALTY, currency)
    wallet = await wallet_id(uow, brand, player_id, WalletKind.LOYALTY_POINTS, currency)
    if staked_minor < 0:
        # A refund (negative stake): take the points back, as far as the wallet holds them.
        held = await uow.session.scalar(
            select(LedgerAccount.balance).where(LedgerAccount.id == wallet).with_for_update()
        )
        points = -min(points, int(held or 0) // POINT_UNITS)
    claimed = await uow.session.scalar(
        insert(LoyaltyEarning)
        .values(
            ledger_transaction_id=transaction_id,
            brand=brand,
            player_id=player_id,
            product=product,
            staked_minor=staked_minor,
            points=points,
        )
        .on_conflict_do_nothing()
        .returning(LoyaltyEarning.ledger_transaction_id)
    )
    if claimed is None or points == 0:
        return 0 if claimed is None else 1
    units = points * POINT_UNITS
    await post(
        uow, brand=brand, kind=EARN_KIND, legs=[Leg(house, -units), Leg(wallet, units)],
        scope=EARN_SCOPE, key=f"stake:{transaction_id}",
        metadata={"points": points, "product": product, "stake": transaction_id},
    )  # fmt: skip
    return 1


async def _current_tier(uow: UnitOfWork, programme: Programme, player_id: uuid.UUID) -> Tier:
    name = await uow.session.scalar(
        select(LoyaltyStatus.tier).where(LoyaltyStatus.player_id == player_id)
    )
    found = [tier for tier in programme.tiers if tier.name == name]
    return found[0] if found else programme.tier_for(0)


async def tier_cashback_percents(
    uow: UnitOfWork, brand: str, player_ids: list[uuid.UUID]
) -> dict[uuid.UUID, int]:
    """The cashback rate each player's tier brings (players without a tier: absent), in
    one read of the tiers and one of the programme."""
    if not player_ids:
        return {}
    programme = await programme_of(uow, brand)
    if programme is None:
        return {}
    rates = {tier.name: tier.cashback_percent for tier in programme.tiers}
    rows = await uow.session.execute(
        select(LoyaltyStatus.player_id, LoyaltyStatus.tier).where(
            LoyaltyStatus.brand == brand, LoyaltyStatus.player_id.in_(player_ids)
        )
    )
    return {player_id: rates.get(tier, 0) for player_id, tier in rows}


async def window_points(uow: UnitOfWork, player_id: uuid.UUID, window_days: int) -> int:
    since = clock.now() - timedelta(days=window_days)
    return int(
        await uow.session.scalar(
            select(func.coalesce(func.sum(LoyaltyEarning.points), 0)).where(
                LoyaltyEarning.player_id == player_id, LoyaltyEarning.created_at > since
            )
        )
        or 0
    )


@dataclass(frozen=True)
class LoyaltyView:
    points: int
    # Points not held back by the redemption hold (held_points).
    redeemable_points: int
    tier: Tier
    window_points: int
    next_tier: Tier | None
    programme: Programme


async def view(uow: UnitOfWork, brand: str, player_id: uuid.UUID) -> LoyaltyView:
    """The player's points, tier and progress. Errors: LoyaltyNotOffered."""
    programme = await programme_of(uow, brand)
    if programme is None:
        raise LoyaltyNotOffered()
    balance = await uow.session.scalar(
        select(func.coalesce(func.sum(LedgerAccount.balance), 0)).where(
            LedgerAccount.brand == brand,
            LedgerAccount.player_id == player_id,
            LedgerAccount.kind == WalletKind.LOYALTY_POINTS.value,
        )
    )
    points_in_window = await window_points(uow, player_id, programme.window_days)
    tier = await _current_tier(uow, programme, player_id)
    points = int(balance or 0) // POINT_UNITS
    held = await held_points(uow, player_id, programme.redeem_hold_days)
    return LoyaltyView(
        points=points,
        redeemable_points=max(0, points - held),
        tier=tier,
        window_points=points_in_window,
        next_tier=programme.next_tier(points_in_window),
        programme=programme,
    )


async def held_points(uow: UnitOfWork, player_id: uuid.UUID, hold_days: int) -> int:
    """Points earned in the last `hold_days` (net of the ones already taken back): not
    redeemable yet."""
    if hold_days == 0:
        return 0
    since = clock.now() - timedelta(days=hold_days)
    held = await uow.session.scalar(
        select(func.coalesce(func.sum(LoyaltyEarning.points), 0)).where(
            LoyaltyEarning.player_id == player_id, LoyaltyEarning.created_at > since
        )
    )
    return max(0, int(held or 0))


async def redeem(
    uow: UnitOfWork,
    brand: str,
    player_id: uuid.UUID,
    currency: str,
    *,
    points: int,
    idempotency_key: str,
) -> int:
    """Redeem `points` (a multiple of the programme's `redeem_points`) for cash at the
    programme's rate, in one ledger transaction, once per key: a replay moves nothing and
    returns the cash the first call paid. Returns the cash paid. Errors: LoyaltyNotOffered,
    InvalidTerms, NotEnoughPoints (held points included), InvalidIdempotencyKey,
    IdempotencyConflict (the key was used for another number of points)."""
    programme = await programme_of(uow, brand)
    if programme is None:
        raise LoyaltyNotOffered()
    check_key(redeem_scope(player_id), idempotency_key)
    earlier = await recorded(uow, brand, redeem_scope(player_id), idempotency_key)
    if earlier is not None:
        if earlier.metadata.get("points") != points:
            raise IdempotencyConflict(field="idempotencyKey")
        return int(earlier.metadata["cash_minor"])
    if points <= 0 or points % programme.redeem_points:
        raise InvalidTerms(f"Redeem points in steps of {programme.redeem_points}.", field="points")
    cash_minor = points // programme.redeem_points * programme.redeem_minor
    points_wallet = await wallet_id(uow, brand, player_id, WalletKind.LOYALTY_POINTS, currency)
    # Locked first: a concurrent earning or takeback waits, so the hold is read once.
    balance = await uow.session.scalar(
        select(LedgerAccount.balance).where(LedgerAccount.id == points_wallet).with_for_update()
    )
    held = await held_points(uow, player_id, programme.redeem_hold_days)
    if int(balance or 0) // POINT_UNITS - held < points:
        raise NotEnoughPoints(field="points")
    cash = await wallet_id(uow, brand, player_id, WalletKind.CASH, currency)
    house_points = await house_account_id(uow, brand, HouseAccountKind.LOYALTY, currency)
    house_cash = await house_account_id(uow, brand, HouseAccountKind.BONUS_POOL, currency)
    units = points * POINT_UNITS
    try:
        posting = await post(
            uow, brand=brand, kind=REDEEM_KIND,
            legs=[Leg(points_wallet, -units), Leg(house_points, units),
                  Leg(house_cash, -cash_minor), Leg(cash, cash_minor)],
            scope=redeem_scope(player_id), key=idempotency_key,
            metadata={"points": points, "cash_minor": cash_minor},
        )  # fmt: skip
    except InsufficientFunds:
        raise NotEnoughPoints(field="points") from None
    if not posting.replayed:
        await audit.record(
            uow,
            actor_kind="player",
            actor_id=player_id,
            action="loyalty.redeem",
            subject_type="player",
            subject_id=player_id,
            brand=brand,
            after={"points": points, "cash_minor": cash_minor},
        )
    return int(posting.metadata.get("cash_minor", cash_minor))
