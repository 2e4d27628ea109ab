"""A withdrawal while wagering: where the brand's jurisdiction pack says so
(`[bonus] forfeit_on_withdrawal`), withdrawing forfeits the player's active bonuses, in the
withdrawal's own transaction and only once the player confirmed it (the site warns first;
an API client is refused until it sends the confirmation). Deposit and winnings in cash are
never touched: only the bonus money each grant holds goes back to the house."""

from __future__ import annotations

import uuid

from sqlalchemy import select

from domain.bonuses.errors import BonusForfeitUnconfirmed
from domain.bonuses.lifecycle import Actor, end_grant
from domain.bonuses.models import BonusGrant, GrantState
from domain.bonuses.rules import bonus_rules
from domain.kernel.db import UnitOfWork

WITHDRAWAL_REASON = "withdrawal"


async def _active(uow: UnitOfWork, brand: str, player_id: uuid.UUID) -> list[uuid.UUID]:
    found = await uow.session.scalars(
        select(BonusGrant.id)
        .where(
            BonusGrant.brand == brand,
            BonusGrant.player_id == player_id,
            BonusGrant.state == GrantState.ACTIVE.value,
        )
        .order_by(BonusGrant.expires_at, BonusGrant.id)
    )
    return list(found)


async def check_withdrawal(
    uow: UnitOfWork, brand: str, jurisdiction: str, player_id: uuid.UUID, *, confirmed: bool
) -> None:
    """Before a new withdrawal is written. Errors: BonusForfeitUnconfirmed (the pack
    forfeits on withdrawal, the player holds an active bonus and did not confirm)."""
    if confirmed or not bonus_rules(jurisdiction).forfeit_on_withdrawal:
        return
    if await _active(uow, brand, player_id):
        raise BonusForfeitUnconfirmed(field="forfeitBonuses")


async def forfeit_on_withdrawal(
    uow: UnitOfWork, brand: str, jurisdiction: str, player_id: uuid.UUID
) -> int:
    """Forfeit every active bonus of the player (earliest expiry first) when the pack says
    a withdrawal does; how many ended. Call after `check_withdrawal`, before the cash
    moves (a grant is locked before the wallets, as a stake locks them)."""
    if not bonus_rules(jurisdiction).forfeit_on_withdrawal:
        return 0
    ended = 0
    for grant_id in await _active(uow, brand, player_id):
        await end_grant(
            uow, brand, grant_id, GrantState.FORFEITED,
            actor=Actor("player", player_id), reason=WITHDRAWAL_REASON,
        )  # fmt: skip
        ended += 1
    return ended
