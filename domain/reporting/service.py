"""Keeping the read model: apply committed ledger transactions and registrations, once
each, and rebuild a range of days from the ledger.

The actor (workers/actors/reporting.py) calls `apply_transactions` for each committed
`wallets.balance_changed` event and `apply_registration` for each registration, after the
stake's transaction committed: the stake path carries no reporting statement at all. Each
source is claimed in `reporting_applied` in the same transaction as the figures it adds,
so a redelivered event never counts twice.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any, Final

from sqlalchemy import text

from domain.accounts.events import PlayerRegistered
from domain.kernel.db import Database, UnitOfWork
from domain.kernel.outbox import emit
from domain.reporting import dimensions, repository
from domain.reporting.events import ReportUpdated
from domain.reporting.kinds import RULES, Product, Rule
from domain.reporting.models import PLAYER_FIGURES
from domain.reporting.repository import Cell
from domain.wallets import events as wallet_events
from domain.wallets import facts as ledger_facts
from domain.wallets.facts import TransactionFacts

# The outbox topics the read model is kept from.
BALANCE_CHANGED: Final = wallet_events.BALANCE_CHANGED
PLAYER_REGISTERED: Final = PlayerRegistered.topic
TOPICS: Final = (BALANCE_CHANGED, PLAYER_REGISTERED)
# Dashboards hear of changes at most this often per brand.
SIGNAL_INTERVAL_S: Final = 5.0
# A rebuild reads a day's transactions this many at a time.
REBUILD_CHUNK = 500
REBUILD_DAYS_MAX = 400


async def apply_event(
    uow: UnitOfWork, topic: str, brand: str | None, payload: dict[str, Any]
) -> int:
    """Apply one committed outbox event of TOPICS; returns how many sources it added."""
    if topic == BALANCE_CHANGED:
        if payload.get("kind") not in RULES:
            return 0
        return await apply_transactions(uow, [int(payload["transaction_id"])])
    if topic == PLAYER_REGISTERED and brand is not None:
        return int(await apply_registration(uow, brand, uuid.UUID(str(payload["player_id"]))))
    return 0


async def apply_transactions(uow: UnitOfWork, transaction_ids: Sequence[int]) -> int:
    """Add the figures of these committed ledger transactions to the read model, each once
    (kinds without a rule are skipped). Returns how many were applied now."""
    applied = 0
    for fact in await ledger_facts.transaction_facts(uow, transaction_ids):
        rule = RULES.get(fact.kind)
        if rule is not None and await _apply(uow, fact, rule):
            applied += 1
    return applied


async def _apply(uow: UnitOfWork, fact: TransactionFacts, rule: Rule) -> bool:
    if not await repository.claim(uow, f"ledger:{fact.id}", fact.brand, fact.day):
        return False
    await _signal(uow, fact.brand, fact.day)
    found = await dimensions.of_transaction(uow, rule.product, fact.id, fact.metadata)
    # Per player and currency (a transaction moves one player's wallets in one currency,
    # but nothing here depends on it).
    deltas: dict[tuple[uuid.UUID, str], dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for movement in fact.movements:
        deltas[(movement.player_id, movement.currency)][movement.wallet] += movement.delta_minor
    for (player_id, currency), by_wallet in deltas.items():
        cell = Cell(
            day=fact.day, brand=fact.brand, product=rule.product.value, currency=currency,
            game=found.game, provider=found.provider, sport=found.sport,
            competition=found.competition, market_type=found.market_type,
        )  # fmt: skip
        figures = rule.amounts_minor(by_wallet)
        if rule.count_figure:
            figures[rule.count_figure] = rule.count
        if rule.marks_activity and await repository.mark_active(uow, cell, player_id):
            figures["active_players"] = 1
        if rule.first_deposit:
            await _first_deposit(uow, fact, cell, player_id, figures)
        await repository.add(uow, cell, figures)
        personal = {name: amount for name, amount in figures.items() if name in PLAYER_FIGURES}
        if personal:
            await repository.add_player_day(uow, cell, player_id, personal, fact.created_at)
    return True


async def _first_deposit(
    uow: UnitOfWork, fact: TransactionFacts, cell: Cell, player_id: uuid.UUID,
    figures: dict[str, int],
) -> None:  # fmt: skip
    first, displaced = await repository.record_first_deposit(
        uow, brand=fact.brand, player_id=player_id, transaction_id=fact.id, day=fact.day,
        currency=cell.currency,
    )  # fmt: skip
    if not first:
        return
    figures["first_depositors"] = 1
    if displaced is not None:
        # An earlier deposit arrived late: the later one stops being the first.
        earlier = Cell(displaced.day, fact.brand, Product.ACCOUNT.value, displaced.currency)
        await repository.add(uow, earlier, {"first_depositors": -1})


async def apply_registration(uow: UnitOfWork, brand: str, player_id: uuid.UUID) -> bool:
    """Count a registration on the brand's day the player was created, once."""
    row = (
        await uow.session.execute(
            text(
                "SELECT p.currency, (p.created_at AT TIME ZONE b.time_zone)::date AS day "
                "FROM players p JOIN brands b ON b.slug = p.brand "
                "WHERE p.id = :player AND p.brand = :brand"
            ),
            {"player": player_id, "brand": brand},
        )
    ).one_or_none()
    if row is None:
        return False
    currency, day = row
    if not await repository.claim(uow, f"player:{player_id}", brand, day):
        return False
    await repository.add(
        uow, Cell(day, brand, Product.ACCOUNT.value, currency), {"registrations": 1}
    )
    await _signal(uow, brand, day)
    return True


async def _signal(uow: UnitOfWork, brand: str, day: date) -> None:
    """Tell dashboards the brand's figures moved, at most once per SIGNAL_INTERVAL_S (the
    event leaves with this transaction's commit)."""
    if await repository.signal_due(uow, brand, SIGNAL_INTERVAL_S):
        await emit(uow, ReportUpdated(day=day.isoformat()), brand=brand)


async def _registrations_of_day(uow: UnitOfWork, brand: str, day: date) -> list[uuid.UUID]:
    result = await uow.session.scalars(
        text(
            "SELECT p.id FROM players p JOIN brands b ON b.slug = p.brand "
            "WHERE p.brand = :brand AND p.created_at >= (CAST(:day AS date)::timestamp "
            "AT TIME ZONE b.time_zone) AND p.created_at < ((CAST(:day AS date) + 1)::timestamp "
            "AT TIME ZONE b.time_zone) ORDER BY p.created_at, p.id"
        ),
        {"brand": brand, "day": day},
    )
    return list(result)


async def rebuild_day(uow: UnitOfWork, brand: str, day: date) -> int:
    """Recompute the brand's day from the ledger and the players: forget what was counted,
    then apply every source of the day again. Idempotent; appliers wait for it (the day's
    lock), and what they try after it finds its source claimed. Returns sources applied."""
    await repository.lock_day(uow, brand, day)
    await repository.forget_day(uow, brand, day)
    ids = await ledger_facts.transaction_ids(uow, brand, day, day, RULES.keys())
    applied = 0
    for start in range(0, len(ids), REBUILD_CHUNK):
        applied += await apply_transactions(uow, ids[start : start + REBUILD_CHUNK])
    for player_id in await _registrations_of_day(uow, brand, day):
        applied += int(await apply_registration(uow, brand, player_id))
    return applied


async def rebuild(db: Database, brands: Sequence[str], day_from: date, day_to: date) -> int:
    """Rebuild each brand's days day_from..day_to, one short transaction per brand and day.
    A flow: it opens and commits its own units of work. Returns sources applied."""
    assert day_from <= day_to
    assert (day_to - day_from).days < REBUILD_DAYS_MAX
    applied = 0
    day = day_from
    while day <= day_to:
        for brand in brands:
            async with db.transaction() as uow:
                applied += await rebuild_day(uow, brand, day)
        day += timedelta(days=1)
    return applied
