"""Abuse flags: patterns the bonus engine shows to risk staff, stored once per subject and
never acted on automatically (a flag is a lead, not a verdict).

- Claims (`check_claim`, in the claim's transaction): another player of the brand who
  holds the same offer (a bonus, free spins or a free bet) signed in from an address this
  player signed in from. Until the compliance issue's device port lands, the sign-in
  address is the shared signal the platform holds (payments keep no instrument yet).
- Low-risk wagering of bonus money (`check_sportsbook_wager`, in the stake's transaction,
  called by the sportsbook for a stake that counted toward a grant): both sides of one
  market while wagering, or odds under LOW_ODDS_MIN.
- Stakes refused over a bonus's max bet (`record_max_bet_refused`, a flow: the refused
  stake's own transaction rolled back): the first refusal of the day per player.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from decimal import Decimal
from typing import Any, Final

from sqlalchemy import select, text
from sqlalchemy.dialects.postgresql import insert

from domain.accounts.permissions import Permission
from domain.accounts.principal import Principal, require_permission
from domain.bonuses.models import AbuseFlag, AbuseFlagKind
from domain.kernel import audit, clock
from domain.kernel.db import Database, UnitOfWork

# Bonus money staked below these decimal odds is next to riskless: flagged.
LOW_ODDS_MIN: Final = Decimal("1.30")
LIST_LIMIT_MAX: Final = 100
RELATED_MAX: Final = 50

_SHARED_ADDRESS = text("""
SELECT other.player_id, array_agg(DISTINCT host(mine.ip_address)) AS addresses
  FROM auth_sessions mine
  JOIN auth_sessions other
    ON other.ip_address = mine.ip_address AND other.brand = mine.brand
   AND other.player_id <> mine.player_id
 WHERE mine.player_id = :player AND mine.brand = :brand AND mine.ip_address IS NOT NULL
   AND other.player_id IN (
         SELECT player_id FROM bonus_grants WHERE brand = :brand AND offer_id = :offer
         UNION SELECT player_id FROM bonus_free_rounds WHERE brand = :brand AND offer_id = :offer
         UNION SELECT player_id FROM bonus_free_bets WHERE brand = :brand AND offer_id = :offer)
 GROUP BY other.player_id
 ORDER BY other.player_id
 LIMIT :limit
""")


async def flag(
    uow: UnitOfWork,
    *,
    brand: str,
    player_id: uuid.UUID,
    kind: AbuseFlagKind,
    dedup_key: str,
    details: dict[str, Any],
    offer_id: uuid.UUID | None = None,
    grant_id: uuid.UUID | None = None,
    related: Sequence[uuid.UUID] = (),
) -> bool:
    """Store a flag once per (brand, kind, dedup_key), audited. True when it is new."""
    flag_id = uuid.uuid4()
    values = {
        "id": flag_id, "brand": brand, "player_id": player_id, "kind": kind.value,
        "dedup_key": dedup_key, "offer_id": offer_id, "grant_id": grant_id,
        "related_player_ids": list(related), "details": details,
    }  # fmt: skip
    inserted = await uow.session.scalar(
        insert(AbuseFlag).values(**values).on_conflict_do_nothing().returning(AbuseFlag.id)
    )
    if inserted is None:
        return False
    await audit.record(
        uow, actor_kind="system", actor_id=None, action=f"bonus.abuse.{kind.value}",
        subject_type="player", subject_id=player_id, brand=brand,
        after={"flag": str(flag_id), **details},
    )  # fmt: skip
    return True


async def check_claim(
    uow: UnitOfWork,
    brand: str,
    player_id: uuid.UUID,
    offer_id: uuid.UUID,
    grant_id: uuid.UUID,
    *,
    grant_type: str = "BonusGrant",
) -> bool:
    """Flag a claim of `offer_id` when other holders of the offer signed in from one of
    this player's addresses (`grant_type` names what was granted: BonusGrant, FreeSpins or
    FreeBet). True when flagged now."""
    rows = (
        await uow.session.execute(
            _SHARED_ADDRESS,
            {"player": player_id, "brand": brand, "offer": offer_id, "limit": RELATED_MAX},
        )
    ).all()
    if not rows:
        return False
    addresses = sorted({address for _, found in rows for address in found})
    return await flag(
        uow, brand=brand, player_id=player_id, kind=AbuseFlagKind.SHARED_ADDRESS,
        dedup_key=f"{offer_id}:{player_id}", offer_id=offer_id, grant_id=grant_id,
        related=[other for other, _ in rows],
        details={"offer": str(offer_id), "addresses": addresses, "accounts": len(rows) + 1,
                 "grant_type": grant_type},
    )  # fmt: skip


async def check_sportsbook_wager(
    uow: UnitOfWork,
    brand: str,
    player_id: uuid.UUID,
    grant_id: uuid.UUID,
    *,
    bet_id: int,
    odds: Decimal,
    opposite_bet_ids: Sequence[int],
) -> int:
    """A sportsbook stake that counted toward `grant_id`: flag odds under LOW_ODDS_MIN and
    open bets of the player on other outcomes of the same markets (read by the
    sportsbook). Returns how many flags are new."""
    flagged = 0
    if odds < LOW_ODDS_MIN:
        flagged += await flag(
            uow, brand=brand, player_id=player_id, kind=AbuseFlagKind.LOW_ODDS,
            dedup_key=f"bet:{bet_id}", grant_id=grant_id,
            details={"bet": bet_id, "odds": f"{odds:.2f}", "minimum": str(LOW_ODDS_MIN)},
        )  # fmt: skip
    if opposite_bet_ids:
        flagged += await flag(
            uow, brand=brand, player_id=player_id, kind=AbuseFlagKind.OPPOSITE_BETS,
            dedup_key=f"bet:{bet_id}", grant_id=grant_id,
            details={"bet": bet_id, "opposite_bets": sorted(opposite_bet_ids)},
        )  # fmt: skip
    return flagged


async def record_max_bet_refused(
    db: Database, brand: str, player_id: uuid.UUID, *, product: str, stake_minor: int
) -> bool:
    """A stake was refused over a bonus's max bet (its own transaction rolled back): flag
    the player's first refusal of the day, in a transaction of its own. A player id that
    is not the brand's flags nothing. True when flagged now."""
    async with db.transaction() as uow:
        known = await uow.session.scalar(
            text("SELECT 1 FROM players WHERE id = :player AND brand = :brand"),
            {"player": player_id, "brand": brand},
        )
        if known is None:
            return False
        return await flag(
            uow, brand=brand, player_id=player_id, kind=AbuseFlagKind.MAX_BET_REFUSED,
            dedup_key=f"{player_id}:{clock.today().isoformat()}",
            details={"product": product, "stake_minor": stake_minor},
        )  # fmt: skip


async def flags_for_staff(
    uow: UnitOfWork,
    staff: Principal | None,
    brand: str,
    *,
    kind: AbuseFlagKind | None = None,
    player_id: uuid.UUID | None = None,
    limit: int = 50,
) -> list[AbuseFlag]:
    """The brand's flags, newest first, for risk staff (aml.review). Errors:
    NotAuthenticated, PermissionDenied."""
    require_permission(staff, Permission.AML_REVIEW, brand)
    statement = select(AbuseFlag).where(AbuseFlag.brand == brand)
    if kind is not None:
        statement = statement.where(AbuseFlag.kind == kind.value)
    if player_id is not None:
        statement = statement.where(AbuseFlag.player_id == player_id)
    return list(
        await uow.session.scalars(
            statement.order_by(AbuseFlag.created_at.desc(), AbuseFlag.id).limit(
                max(1, min(limit, LIST_LIMIT_MAX))
            )
        )
    )
