"""Registration through the composed step opens every wallet of the player at once, in the
player's currency (accounts opens none itself since it sits below the ledger)."""

from __future__ import annotations

from sqlalchemy import select

from domain.brands.service import BrandRegistry
from domain.kernel.db import Database
from domain.wallets.models import LedgerAccount, WalletKind
from tests.support import create_player


async def test_registration_opens_every_wallet_empty_in_the_player_currency(
    db: Database, registry: BrandRegistry
) -> None:
    player_id = await create_player(db, registry)

    async with db.transaction() as uow:
        wallets = (
            await uow.session.execute(
                select(LedgerAccount.kind, LedgerAccount.currency, LedgerAccount.balance).where(
                    LedgerAccount.player_id == player_id
                )
            )
        ).all()
    assert sorted(wallets) == sorted((kind.value, "EUR", 0) for kind in WalletKind)
