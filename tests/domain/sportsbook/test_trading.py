"""Trading tools: the permission matrix, audit rows, overrides against the feed, margins,
liabilities and voiding a bet."""

from __future__ import annotations

import uuid
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from domain.accounts.models import PrincipalKind
from domain.accounts.permissions import permissions_for
from domain.accounts.principal import Principal
from domain.brands.service import BrandRegistry
from domain.kernel.audit import AuditEntry
from domain.kernel.db import Database
from domain.kernel.errors import PermissionDenied
from domain.sportsbook import trading
from domain.sportsbook.models import Market, Outcome
from domain.sportsbook.trading import with_margin
from domain.wallets.models import WalletKind
from tests.domain.sportsbook.feed.test_processing import (
    apply,
    bet,
    bet_on_home,
    odds_change,
    outcome_odds,
)
from tests.domain.sportsbook.support import assert_ledger_ok, wallets


def staff(*roles: str) -> Principal:
    return Principal(
        PrincipalKind.STAFF, uuid.uuid4(), uuid.uuid4(), None, True,
        roles=roles, permissions=permissions_for(list(roles)),
    )  # fmt: skip


async def audit_actions(db: Database) -> list[str]:
    async with db.uow() as uow:
        return list(
            await uow.session.scalars(
                select(AuditEntry.action)
                .where(AuditEntry.action.like("sportsbook.%"))
                .order_by(AuditEntry.id)
            )
        )


async def market_id(db: Database) -> int:
    async with db.uow() as uow:
        found = await uow.session.scalar(select(Market.id))
    assert found is not None
    return found


@pytest.mark.parametrize(
    ("role", "allowed"),
    [("trader", True), ("admin", True), ("risk", False), ("support", False), ("finance", False)],
)
async def test_who_may_suspend_a_market(db: Database, role: str, allowed: bool) -> None:
    await apply(db, odds_change("m1", 1))
    before = await audit_actions(db)

    async with db.uow() as uow:
        try:
            await trading.set_market_suspended(
                uow, staff(role), await market_id(db), suspended=True, reason="injury news"
            )
            await uow.commit()
            denied = False
        except PermissionDenied:
            denied = True

    async with db.uow() as uow:
        status = await uow.session.scalar(select(Market.status))
    assert denied is not allowed
    assert status == ("suspended" if allowed else "active")
    added = (await audit_actions(db))[len(before) :]
    assert added == (["sportsbook.market.suspend"] if allowed else [])


@pytest.mark.parametrize(("role", "allowed"), [("trader", True), ("risk", True), ("crm", False)])
async def test_who_may_void_a_bet_and_the_stake_comes_back(
    db: Database, registry: BrandRegistry, role: str, allowed: bool
) -> None:
    await apply(db, odds_change("m1", 1))
    bet_id = await bet_on_home(db, registry)

    async with db.uow() as uow:
        try:
            await trading.void_bet(uow, staff(role), "aurora", bet_id, reason="palpable error")
            await uow.commit()
            denied = False
        except PermissionDenied:
            denied = True

    voided = await bet(db, bet_id)
    assert denied is not allowed
    assert voided.status == ("cancelled" if allowed else "open")
    assert await wallets(db, voided.player_id) == ({WalletKind.CASH: 10_00} if allowed else {})
    liabilities = await _liabilities(db)
    assert liabilities == ([0] if allowed else [20_00])
    await assert_ledger_ok(db)


async def _liabilities(db: Database) -> list[int]:
    async with db.uow() as uow:
        rows = await trading.market_liabilities(uow, staff("trader"), "aurora", await market_id(db))
    return [row.liability_minor for row in rows]


async def test_an_override_holds_against_the_feed_until_released(db: Database) -> None:
    await apply(db, odds_change("m1", 1))
    audited = len(await audit_actions(db))
    async with db.uow() as uow:
        home = await uow.session.scalar(select(Outcome.id).where(Outcome.key == "home"))
    assert home is not None

    async with db.transaction() as uow:
        await trading.override_odds(
            uow, staff("trader"), home, odds=Decimal("2.25"), reason="price boost"
        )
    await apply(db, odds_change("m2", 2, home="1.90"))
    held = (await outcome_odds(db))["home"]
    async with db.transaction() as uow:
        await trading.release_odds_override(uow, staff("trader"), home, reason="boost over")

    assert held == Decimal("2.25")
    assert (await outcome_odds(db))["home"] == Decimal("1.90")
    added = (await audit_actions(db))[audited:]
    assert added == ["sportsbook.odds.override", "sportsbook.odds.release"]


async def test_the_margin_of_a_market_type_reprices_the_feed(db: Database) -> None:
    async with db.transaction() as uow:
        await trading.set_market_margin(
            uow, staff("trader"), "match_result", margin=Decimal("0.10"), reason="weekend"
        )

    await apply(db, odds_change("m1", 1))

    priced = await outcome_odds(db)
    overround = sum(1 / price for price in priced.values())
    assert Decimal("1.0999") < overround < Decimal("1.1002")
    assert priced["home"] < Decimal("2.00")


def test_with_margin_normalises_the_feeds_own_margin() -> None:
    fair = with_margin({"a": Decimal("1.90"), "b": Decimal("1.90")}, Decimal(0))

    assert fair == {"a": Decimal("2.0000"), "b": Decimal("2.0000")}


async def test_suspending_an_event_is_lifted_only_by_a_trader(db: Database) -> None:
    await apply(db, odds_change("m1", 1))
    async with db.uow() as uow:
        event_id = await uow.session.scalar(select(Market.event_id))
    assert event_id is not None

    async with db.transaction() as uow:
        await trading.set_event_suspended(
            uow, staff("trader"), event_id, suspended=True, reason="match fixing alert"
        )
    await apply(db, odds_change("m2", 2))
    async with db.uow() as uow:
        held = await uow.session.scalar(select(Market.status))
    async with db.transaction() as uow:
        resumed = await trading.set_event_suspended(
            uow, staff("trader"), event_id, suspended=False, reason="cleared"
        )

    assert held == "suspended"
    assert len(resumed) == 1
    async with db.uow() as uow:
        assert await uow.session.scalar(select(func.count()).where(Market.status == "active")) == 1
