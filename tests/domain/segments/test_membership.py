"""Segments kept from events: a rule segment is filled once when saved, then players move
in and out as events about them arrive (not by rescanning), with a history that answers
"was this player in it at T"; previews count without saving; lists come from CSV."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from domain.accounts.models import Player
from domain.brands.service import BrandRegistry
from domain.compliance.kyc.events import KycTierChanged
from domain.kernel import clock
from domain.kernel.audit import AuditEntry
from domain.kernel.db import Database
from domain.kernel.errors import PermissionDenied
from domain.kernel.outbox import emit
from domain.segments import refresh, service
from domain.segments.errors import InvalidPlayerList, InvalidRule, SegmentNotFound
from domain.segments.models import SegmentMembershipChange
from domain.wallets.models import HouseAccountKind
from tests.domain.payments.support import deposited
from tests.domain.reporting.support import ledger_move
from tests.domain.segments.support import (
    BRAND,
    CRM,
    apply_outbox,
    members,
    new_player,
    recent_depositors,
    self_excluded,
    staff,
)


async def test_a_deposit_moves_a_player_in_and_self_exclusion_moves_them_out(
    db: Database, registry: BrandRegistry
) -> None:
    already = await new_player(db, registry)
    await ledger_move(db, BRAND, already, "EUR", 150_00)
    newcomer = await new_player(db, registry)
    seen = await apply_outbox(db)
    view = await recent_depositors(db)
    segment_id = view.segment.id
    assert view.member_count == 1
    assert await members(db, segment_id) == {already}

    await deposited(db, newcomer, 60_00)
    seen = await apply_outbox(db, seen)
    assert await members(db, segment_id) == {already}
    await deposited(db, newcomer, 40_00)
    seen = await apply_outbox(db, seen)
    assert await members(db, segment_id) == {already, newcomer}
    inside_at = clock.now()

    await self_excluded(db, newcomer)
    await apply_outbox(db, seen)
    assert await members(db, segment_id) == {already}
    async with db.uow() as uow:
        assert await service.was_member(
            uow, CRM, BRAND, segment_id, player_id=newcomer, at=inside_at
        )
        assert not await service.was_member(
            uow, CRM, BRAND, segment_id, player_id=newcomer, at=clock.now()
        )
        assert not await service.was_member(
            uow, CRM, BRAND, segment_id, player_id=newcomer, at=inside_at - timedelta(hours=1)
        )


async def test_a_redelivered_ledger_event_counts_once(
    db: Database, registry: BrandRegistry
) -> None:
    player = await new_player(db, registry)
    view = await recent_depositors(db)
    await ledger_move(db, BRAND, player, "EUR", 60_00)
    await apply_outbox(db)
    await apply_outbox(db)  # every event again, as a redelivering broker would

    assert await members(db, view.segment.id) == set()
    async with db.uow() as uow:
        changes = await uow.session.scalar(
            select(func.count()).select_from(SegmentMembershipChange)
        )
    assert changes == 0


async def test_a_deposit_leaving_the_window_takes_the_player_out_on_the_daily_refresh(
    db: Database, registry: BrandRegistry, monkeypatch: pytest.MonkeyPatch
) -> None:
    player = await new_player(db, registry)
    await ledger_move(db, BRAND, player, "EUR", 100_00)
    await apply_outbox(db)
    view = await recent_depositors(db)
    assert view.member_count == 1

    six_days_later = clock.now() + timedelta(days=6)
    monkeypatch.setattr(clock, "now", lambda: six_days_later)
    assert await refresh.refresh_brand(db, BRAND) == 0
    seven_days_later = six_days_later + timedelta(days=1)
    monkeypatch.setattr(clock, "now", lambda: seven_days_later)
    assert await refresh.refresh_brand(db, BRAND) == 1
    assert await members(db, view.segment.id) == set()


async def test_preview_counts_and_samples_without_saving(
    db: Database, registry: BrandRegistry
) -> None:
    malta = [await new_player(db, registry) for _ in range(3)]
    await new_player(db, registry, country="DE")
    await new_player(db, registry, brand="northstar")  # country MT too, another brand
    rule = {"condition": {"field": "country", "op": "in", "values": ["MT"]}}
    async with db.uow() as uow:
        found = await service.preview(uow, CRM, BRAND, rule, sample_size=2)
    assert found.count == 3
    assert len(found.sample) == 2
    assert set(found.sample) <= set(malta)


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        ({"condition": {"field": "shoe_size", "op": ">=", "number": 3}}, "unknown field"),
        ({"condition": {"field": "deposit_sum", "op": ">=", "amount": "1e5", "currency": "EUR",
                        "window_days": 7}}, "rule.condition"),
        ({"condition": {"field": "deposit_count", "op": ">=", "number": 1, "window_days": 400}},
         "window_days is 1-365"),
        ({"all": []}, "at least one rule"),
        ({"not": {"not": {"not": {"not": {"not": {"not": {"not": {
            "condition": {"field": "country", "op": "in", "values": ["MT"]}}}}}}}}},
         "nest at most"),
        ({"condition": {"field": "marketing_consent", "op": "is", "flag": True,
                        "channel": "pigeon"}}, "channel is one of"),
    ],
)  # fmt: skip
async def test_a_bad_rule_is_refused_and_saves_nothing(
    db: Database, rule: object, message: str
) -> None:
    async with db.uow() as uow:
        with pytest.raises(InvalidRule) as refused:
            await service.create_rule_segment(uow, CRM, BRAND, "Bad", rule)
    assert message in refused.value.message
    assert refused.value.field == "rule"
    async with db.uow() as uow:
        assert (await service.segments(uow, CRM, BRAND, first=10)) == []


async def test_rules_combine_attributes_and_behaviour(
    db: Database, registry: BrandRegistry
) -> None:
    staker = await new_player(db, registry)
    await ledger_move(db, BRAND, staker, "EUR", 50_00)
    await ledger_move(
        db, BRAND, staker, "EUR", -20_00, kind="casino.bet", house=HouseAccountKind.WAGERS
    )
    idle = await new_player(db, registry, kyc_tier="full")
    await apply_outbox(db)
    rule = {
        "any": [
            {"all": [
                {"condition": {"field": "stake_sum", "op": ">=", "amount": "20.00",
                               "currency": "EUR", "product": "casino", "window_days": 30}},
                {"condition": {"field": "ggr", "op": "=", "amount": "20.00", "currency": "EUR",
                               "window_days": 30}},
                {"condition": {"field": "days_since_active", "op": "<=", "number": 0}},
                {"condition": {"field": "deposit_count", "op": "=", "number": 1,
                               "window_days": 1}},
            ]},
            {"all": [
                {"condition": {"field": "kyc_tier", "op": "in", "values": ["full"]}},
                {"condition": {"field": "age_years", "op": ">=", "number": 30}},
                {"condition": {"field": "days_since_registration", "op": "<=", "number": 1}},
                {"condition": {"field": "limit_set", "op": "is", "flag": False, "values": []}},
                {"condition": {"field": "marketing_consent", "op": "is", "flag": False,
                               "channel": "email"}},
            ]},
        ]
    }  # fmt: skip
    async with db.uow() as uow:
        found = await service.preview(uow, CRM, BRAND, rule, sample_size=10)
    assert set(found.sample) == {staker, idle}
    stricter = {"all": [rule, {"condition": {"field": "kyc_tier", "op": "not_in",
                                             "values": ["full"]}}]}  # fmt: skip
    async with db.uow() as uow:
        assert (await service.preview(uow, CRM, BRAND, stricter, sample_size=10)).sample == [staker]


async def test_a_player_with_wins_only_has_a_negative_ggr(
    db: Database, registry: BrandRegistry
) -> None:
    winner = await new_player(db, registry)
    await ledger_move(
        db, BRAND, winner, "EUR", 15_00, kind="casino.win", house=HouseAccountKind.WAGERS
    )  # a win with no stake in the window (the stake was placed before it)
    await new_player(db, registry)  # no activity: GGR 0
    await apply_outbox(db)
    rule = {"condition": {"field": "ggr", "op": "<", "amount": "0.00", "currency": "EUR",
                          "window_days": 30}}  # fmt: skip
    async with db.uow() as uow:
        found = await service.preview(uow, CRM, BRAND, rule, sample_size=10)
    assert found.sample == [winner]
    exact = {"condition": {"field": "ggr", "op": "=", "amount": "-15.00", "currency": "EUR",
                           "window_days": 30}}  # fmt: skip
    async with db.uow() as uow:
        assert (await service.preview(uow, CRM, BRAND, exact, sample_size=10)).sample == [winner]


async def test_a_static_list_is_imported_from_csv_for_the_brand_only(
    db: Database, registry: BrandRegistry
) -> None:
    ours = await new_player(db, registry, email="listed@example.com")
    by_id = await new_player(db, registry)
    theirs = await new_player(db, registry, brand="northstar", email="other@example.com")
    csv_text = f"email\nListed@example.com\n{by_id}\n{theirs}\nother@example.com\n"
    async with db.transaction() as uow:
        view = await service.import_list(uow, CRM, BRAND, "VIP list", csv_text)
    assert view.member_count == 2
    assert await members(db, view.segment.id) == {ours, by_id}
    async with db.uow() as uow:
        actions = (
            await uow.session.scalars(
                select(AuditEntry.action).where(AuditEntry.subject_id == str(view.segment.id))
            )
        ).all()
    assert actions == ["segment.imported"]

    async with db.uow() as uow:
        with pytest.raises(InvalidPlayerList):
            await service.import_list(uow, CRM, BRAND, "Bad", "email\nnot-an-id\n")


async def test_only_crm_staff_of_the_brand_manage_segments(
    db: Database, registry: BrandRegistry
) -> None:
    rule = {"condition": {"field": "country", "op": "in", "values": ["MT"]}}
    async with db.uow() as uow:
        for refused in (staff("support"), staff("crm", brands=("northstar",))):
            with pytest.raises(PermissionDenied):
                await service.create_rule_segment(uow, refused, BRAND, "Malta", rule)
            with pytest.raises(PermissionDenied):
                await service.preview(uow, refused, BRAND, rule, sample_size=1)
    async with db.transaction() as uow:
        view = await service.create_rule_segment(uow, CRM, BRAND, "Malta", rule)
    async with db.uow() as uow:
        with pytest.raises(SegmentNotFound):
            await service.segment(uow, CRM, "northstar", view.segment.id)
        listed = await service.segments(uow, CRM, BRAND, first=10)
    assert [item.segment.name for item in listed] == ["Malta"]


async def test_a_verification_tier_change_moves_the_player(
    db: Database, registry: BrandRegistry
) -> None:
    player = await new_player(db, registry)
    rule = {"condition": {"field": "kyc_tier", "op": "in", "values": ["full"]}}
    async with db.transaction() as uow:
        view = await service.create_rule_segment(uow, CRM, BRAND, "Verified", rule)
    seen = await apply_outbox(db)
    async with db.transaction() as uow:
        found = await uow.session.get(Player, player)
        assert found is not None
        found.kyc_tier = "full"
        await emit(uow, KycTierChanged(player_id=str(player), before="none", after="full"),
                   brand=BRAND)  # fmt: skip
    await apply_outbox(db, seen)
    assert await members(db, view.segment.id) == {player}


async def test_the_daily_refresh_moves_players_whom_time_alone_changed_and_no_one_else(
    db: Database, registry: BrandRegistry, monkeypatch: pytest.MonkeyPatch
) -> None:
    today = clock.today()
    young = today.replace(year=today.year - 25)
    newcomer = await new_player(db, registry, date_of_birth=young)
    birthday = await new_player(
        db, registry, date_of_birth=today.replace(year=today.year - 30) + timedelta(days=1)
    )
    idle = await new_player(db, registry, date_of_birth=young)
    await ledger_move(db, BRAND, idle, "EUR", 10_00)
    untouched = await new_player(db, registry, date_of_birth=today.replace(year=1970))
    await apply_outbox(db)
    rules = {
        "new": {"condition": {"field": "days_since_registration", "op": "<=", "number": 2}},
        "thirty": {"condition": {"field": "age_years", "op": ">=", "number": 30}},
        "lapsed": {"condition": {"field": "days_since_active", "op": ">=", "number": 3}},
    }
    ids = {}
    for name, rule in rules.items():
        async with db.transaction() as uow:
            ids[name] = (await service.create_rule_segment(uow, CRM, BRAND, name, rule)).segment.id
    assert await members(db, ids["new"]) == {newcomer, birthday, idle, untouched}
    assert await members(db, ids["thirty"]) == {untouched}
    assert await members(db, ids["lapsed"]) == {newcomer, birthday, untouched}  # never active

    tomorrow = clock.now() + timedelta(days=1)
    monkeypatch.setattr(clock, "now", lambda: tomorrow)
    assert await refresh.refresh_brand(db, BRAND) == 1
    assert await members(db, ids["thirty"]) == {untouched, birthday}

    three_days_later = tomorrow + timedelta(days=2)
    monkeypatch.setattr(clock, "now", lambda: three_days_later)
    await refresh.refresh_brand(db, BRAND)
    assert await members(db, ids["new"]) == set()
    assert await members(db, ids["lapsed"]) == {newcomer, birthday, idle, untouched}
