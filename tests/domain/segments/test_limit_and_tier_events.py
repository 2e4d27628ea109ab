"""Segments on "limits set" and "loyalty tier" are kept from events like every other
attribute: a limit set, removed, or a tier reached publishes an outbox event in the
change's own transaction, and the player moves without any rescan."""

from __future__ import annotations

import uuid
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from domain.bonuses import loyalty, tiers
from domain.bonuses.events import LoyaltyTierChanged
from domain.bonuses.loyalty import Programme, Tier
from domain.brands.service import BrandRegistry
from domain.compliance import limits
from domain.compliance.errors import InvalidLimit
from domain.compliance.events import LimitChanged
from domain.compliance.models import LimitKind, LimitPeriod
from domain.kernel.db import Database
from domain.kernel.outbox import OutboxEvent
from domain.segments import service
from domain.sportsbook.models import BetType
from domain.sportsbook.placement import BetSlip, Selection
from tests.domain.compliance.support import advance, set_limit, signed_in
from tests.domain.segments.support import BRAND, CRM, apply_outbox, members, new_player
from tests.domain.sportsbook.support import add_market, funded_player, place
from tests.schema.wallets.support import staff_principal

DEPOSIT_LIMIT_SET = {
    "condition": {"field": "limit_set", "op": "is", "flag": True, "values": ["deposit"]}
}
SILVER = {"condition": {"field": "loyalty_tier", "op": "in", "values": ["Silver"]}}


async def _events(db: Database, topic: str, after_id: int) -> list[dict[str, object]]:
    async with db.uow() as uow:
        found = await uow.session.scalars(
            select(OutboxEvent.payload)
            .where(OutboxEvent.topic == topic, OutboxEvent.id > after_id)
            .order_by(OutboxEvent.id)
        )
        return list(found.all())


async def test_setting_and_removing_a_deposit_limit_moves_the_player_in_and_out(
    db: Database, registry: BrandRegistry, monkeypatch: pytest.MonkeyPatch
) -> None:
    player = await new_player(db, registry)
    async with db.transaction() as uow:
        view = await service.create_rule_segment(
            uow, CRM, BRAND, "Deposit limit", DEPOSIT_LIMIT_SET
        )
    seen = await apply_outbox(db)
    principal = await signed_in(db, player)

    await set_limit(db, principal, LimitKind.DEPOSIT, LimitPeriod.WEEK, 200_00)
    assert await _events(db, LimitChanged.topic, seen) == [
        {"player_id": str(player), "kind": "deposit", "period": "week", "change": "set",
         "amount_minor": 200_00, "currency": "EUR"}
    ]  # fmt: skip
    seen = await apply_outbox(db, seen)
    assert await members(db, view.segment.id) == {player}

    # a lower limit is a change too, and keeps them in
    await set_limit(db, principal, LimitKind.DEPOSIT, LimitPeriod.WEEK, 100_00)
    seen = await apply_outbox(db, seen)
    assert await members(db, view.segment.id) == {player}

    # a removal asked for changes nothing until it is confirmed after the cooling-off
    async with db.transaction() as uow:
        await limits.remove_limit(uow, principal, BRAND, kind=LimitKind.DEPOSIT,
                                  period=LimitPeriod.WEEK)  # fmt: skip
    seen = await apply_outbox(db, seen)
    assert await members(db, view.segment.id) == {player}
    advance(monkeypatch, timedelta(days=8))
    async with db.transaction() as uow:
        await limits.confirm_change(uow, principal, BRAND, kind=LimitKind.DEPOSIT,
                                    period=LimitPeriod.WEEK)  # fmt: skip
    removed = await _events(db, LimitChanged.topic, seen)
    assert [(event["change"], event["amount_minor"]) for event in removed] == [("remove", None)]
    await apply_outbox(db, seen)
    assert await members(db, view.segment.id) == set()


async def test_a_limit_refused_as_invalid_publishes_nothing(
    db: Database, registry: BrandRegistry
) -> None:
    player = await new_player(db, registry)
    seen = await apply_outbox(db)
    principal = await signed_in(db, player)
    async with db.uow() as uow:
        with pytest.raises(InvalidLimit):
            await limits.set_limit(uow, principal, BRAND, kind=LimitKind.DEPOSIT,
                                   period=LimitPeriod.WEEK, amount_minor=100, currency="SEK")  # fmt: skip
    assert await _events(db, LimitChanged.topic, seen) == []


async def test_reaching_a_loyalty_tier_moves_the_player_into_its_segment(
    db: Database, registry: BrandRegistry
) -> None:
    programme = Programme(
        rates={"casino": 1, "sportsbook": 2}, window_days=30,
        tiers=(Tier("Bronze", 0), Tier("Silver", 15)), redeem_points=10, redeem_minor=10,
    )  # fmt: skip
    async with db.transaction() as uow:
        await loyalty.set_programme(uow, staff_principal("crm"), BRAND, programme)
    player = await funded_player(db, registry, 100_00)
    async with db.transaction() as uow:
        view = await service.create_rule_segment(uow, CRM, BRAND, "Silver", SILVER)
    seen = await apply_outbox(db)

    market = await add_market(db, {"home": "2.00", "away": "2.00"})
    slip = BetSlip(
        selections=(Selection(market.outcomes["home"], Decimal("2.00")),), stake_minor=10_00,
        bet_type=BetType.SINGLE, idempotency_key=uuid.uuid4().hex,
    )  # fmt: skip
    await place(db, registry, player, slip)
    await loyalty.accrue(db)
    await tiers.recalculate_tiers(db)

    changed = [e for e in await _events(db, LoyaltyTierChanged.topic, seen)
               if e["player_id"] == str(player)]  # fmt: skip
    assert changed == [{"player_id": str(player), "before": None, "after": "Silver"}]
    seen = await apply_outbox(db, seen)
    assert await members(db, view.segment.id) == {player}

    # a second run with nothing new publishes nothing for the player
    await tiers.recalculate_tiers(db)
    assert [e for e in await _events(db, LoyaltyTierChanged.topic, seen)
            if e["player_id"] == str(player)] == []  # fmt: skip
