"""Every ledger kind the bonuses context posts is a reporting fact or deliberately not one,
and the promotional cash it pays lands in the bonus columns so the report stays exact
against the ledger: free-spin winnings paid as cash, loyalty points redeemed for cash and
cashback paid as cash count as converted bonus; cashback paid as bonus money as granted."""

from __future__ import annotations

import importlib
import pkgutil
from datetime import date

from domain import bonuses
from domain.bonuses import loyalty
from domain.brands.service import BrandRegistry
from domain.kernel import clock
from domain.kernel.db import Database
from domain.reporting import reconciliation
from domain.reporting.kinds import RULES, UNREPORTED
from domain.wallets.models import HouseAccountKind, WalletKind
from tests.domain.reporting.support import apply_outbox, execute, ledger_move, player

BRAND = "aurora"


def _bonus_kinds() -> set[str]:
    found = set()
    for module in pkgutil.iter_modules(bonuses.__path__):
        loaded = importlib.import_module(f"domain.bonuses.{module.name}")
        found |= {
            value
            for name, value in vars(loaded).items()
            if name.endswith("_KIND") and isinstance(value, str)
        }
    return found


def test_every_ledger_kind_of_the_bonuses_context_is_classified() -> None:
    kinds = _bonus_kinds()
    assert {"bonus.free_round_win", "loyalty.earn", "loyalty.redemption"} <= kinds
    assert kinds - set(RULES) - set(UNREPORTED) == set()
    assert set(RULES) & set(UNREPORTED) == set()


async def test_promotional_cash_lands_in_the_bonus_columns_and_reconciles(
    db: Database, registry: BrandRegistry
) -> None:
    player_id = await player(db, registry, BRAND, "EUR")
    pool = HouseAccountKind.BONUS_POOL
    await ledger_move(db, BRAND, player_id, "EUR", 7_00, kind="bonus.free_round_win", house=pool)
    await ledger_move(db, BRAND, player_id, "EUR", 3_00, kind="bonus.cashback", house=pool)
    await ledger_move(
        db, BRAND, player_id, "EUR", 4_00, kind="bonus.cashback", house=pool,
        wallet=WalletKind.BONUS,
    )  # fmt: skip
    await ledger_move(
        db, BRAND, player_id, "EUR", 200 * loyalty.POINT_UNITS, kind="loyalty.earn",
        house=HouseAccountKind.LOYALTY, wallet=WalletKind.LOYALTY_POINTS,
    )  # fmt: skip
    async with db.transaction() as uow:
        await loyalty.set_demo_programme(
            uow, BRAND, loyalty.Programme(redeem_points=100, redeem_minor=1_50, redeem_hold_days=0)
        )
    async with db.transaction() as uow:
        paid = await loyalty.redeem(uow, BRAND, player_id, "EUR", points=200, idempotency_key="k1")
    assert paid == 3_00

    await apply_outbox(db)

    assert await execute(
        db,
        "SELECT sum(bonus_granted_minor), sum(bonus_converted_minor), sum(bonus_forfeited_minor)"
        " FROM reporting_daily WHERE brand = :brand",
        brand=BRAND,
    ) == [(4_00, 7_00 + 3_00 + 3_00, 0)]
    assert await execute(
        db,
        "SELECT sum(bonus_granted_minor), sum(bonus_converted_minor)"
        " FROM reporting_player_daily WHERE player_id = :player",
        player=player_id,
    ) == [(4_00, 13_00)]
    today = clock.today()
    async with db.uow() as uow:
        assert await reconciliation.reconcile(uow, BRAND, date(today.year, 1, 1), today) == []
