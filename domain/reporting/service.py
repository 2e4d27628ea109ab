"""Keeping the read model: apply committed ledger transactions and registrations, once
each, and rebuild a range of days from the ledger.

The actor (workers/actors/reporting.py) receives the relay's committed events in batches
(`wallets.balance_changed` and registrations) and calls `apply_events` once per batch, in
one transaction, after the stakes' transactions committed: the stake path carries no
reporting statement at all. A batch costs a fixed handful of statements (the facts, the
claims, the activity marks, one upsert per table with each cell's increments summed), not
a handful per bet. Each source is claimed in `reporting_applied` in the same transaction
as the figures it adds, so a redelivered event never counts twice.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, Final

from sqlalchemy import text

from domain.accounts.events import PlayerRegistered
from domain.kernel.db import Database, UnitOfWork
from domain.kernel.outbox import emit
from domain.reporting import dimensions, repository
from domain.reporting.dimensions import Dimensions
from domain.reporting.events import ReportUpdated
from domain.reporting.kinds import RULES, Product, Rule
from domain.reporting.models import PLAYER_FIGURES
from domain.reporting.repository import Cell, FirstDepositCandidate, PlayerDayKey
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
# Ledger transactions applied in one batch (one round of statements): the relay's batch
# of events fits in one.
APPLY_BATCH_MAX: Final = 500


async def apply_event(
    uow: UnitOfWork, topic: str, brand: str | None, payload: dict[str, Any]
) -> int:
    """Apply one committed outbox event of TOPICS; returns how many sources it added."""
    return await apply_events(uow, [(topic, brand, payload)])


async def apply_events(
    uow: UnitOfWork, events: Sequence[tuple[str, str | None, Mapping[str, Any]]]
) -> int:
    """Apply committed outbox events of TOPICS, (topic, brand, payload) each, in this
    transaction: the ledger transactions as one batch (apply_transactions), registrations
    one by one. Returns how many sources were added now (repeats add nothing)."""
    transaction_ids = [
        int(payload["transaction_id"])
        for topic, _, payload in events
        if topic == BALANCE_CHANGED and payload.get("kind") in RULES
    ]
    registrations = [
        (brand, uuid.UUID(str(payload["player_id"])))
        for topic, brand, payload in events
        if topic == PLAYER_REGISTERED and brand is not None
    ]
    applied = await apply_transactions(uow, transaction_ids)
    return applied + await apply_registrations(uow, registrations)


async def apply_transactions(uow: UnitOfWork, transaction_ids: Sequence[int]) -> int:
    """Add the figures of these committed ledger transactions to the read model, each once
    (kinds without a rule are skipped), APPLY_BATCH_MAX at a time: a batch costs the same
    handful of statements whatever its size, each cell's increments summed into one row
    of one upsert. Returns how many were applied now."""
    ordered = sorted(set(transaction_ids))
    applied = 0
    for start in range(0, len(ordered), APPLY_BATCH_MAX):
        applied += await _apply_batch(uow, ordered[start : start + APPLY_BATCH_MAX])
    return applied


async def _apply_batch(uow: UnitOfWork, transaction_ids: Sequence[int]) -> int:
    found = [
        f for f in await ledger_facts.transaction_facts(uow, transaction_ids) if f.kind in RULES
    ]
    claimed = await repository.claim_many(uow, [(f"ledger:{f.id}", f.brand, f.day) for f in found])
    facts = [fact for fact in found if f"ledger:{fact.id}" in claimed]
    if not facts:
        return 0
    latest: dict[str, date] = {}
    for fact in facts:
        latest[fact.brand] = max(latest.get(fact.brand, fact.day), fact.day)
    for brand in sorted(latest):
        await _signal(uow, brand, latest[brand])
    found_dimensions = await dimensions.of_transactions(
        uow, [(RULES[fact.kind].product, fact.id, fact.metadata) for fact in facts]
    )
    batch = _Batch()
    for fact in facts:
        _add_fact(batch, fact, RULES[fact.kind], found_dimensions[fact.id])
    await _first_deposits(uow, batch)
    for cell, _ in await repository.mark_active_many(uow, batch.marks):
        batch.cells[cell]["active_players"] += 1
    await repository.add_many(uow, batch.cells)
    await repository.add_player_days(uow, batch.player_days)
    return len(facts)


@dataclass
class _Batch:
    """A batch's increments, summed per cell and per player-day before they are written."""

    cells: dict[Cell, dict[str, int]] = field(
        default_factory=lambda: defaultdict(lambda: defaultdict(int))
    )
    player_days: dict[PlayerDayKey, tuple[dict[str, int], datetime]] = field(default_factory=dict)
    marks: list[tuple[Cell, uuid.UUID]] = field(default_factory=list)
    # Each player's earliest deposit of the batch (only it may be their first), by
    # (brand, player): the deposit's transaction id and cell.
    deposits: dict[tuple[str, uuid.UUID], tuple[int, Cell]] = field(default_factory=dict)

    def add_player_day(self, key: PlayerDayKey, figures: Mapping[str, int], at: datetime) -> None:
        summed, latest = self.player_days.get(key, ({}, at))
        for name, amount in figures.items():
            summed[name] = summed.get(name, 0) + amount
        self.player_days[key] = (summed, max(latest, at))


def _add_fact(batch: _Batch, fact: TransactionFacts, rule: Rule, found: Dimensions) -> None:
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
        if rule.marks_activity:
            batch.marks.append((cell, player_id))
        if rule.first_deposit:
            known = batch.deposits.get((fact.brand, player_id))
            if known is None or fact.id < known[0]:
                batch.deposits[(fact.brand, player_id)] = (fact.id, cell)
        for name, amount in figures.items():
            batch.cells[cell][name] += amount
        personal = {name: amount for name, amount in figures.items() if name in PLAYER_FIGURES}
        if personal:
            key = PlayerDayKey(fact.brand, player_id, fact.day, currency)
            batch.add_player_day(key, personal, fact.created_at)


async def _first_deposits(uow: UnitOfWork, batch: _Batch) -> None:
    """Count first depositors: each player's earliest deposit of the batch becomes their
    first unless one with a lower transaction id is known (one statement for the batch)."""
    candidates = [
        FirstDepositCandidate(brand, player_id, transaction_id, cell.day, cell.currency)
        for (brand, player_id), (transaction_id, cell) in batch.deposits.items()
    ]
    for taken in await repository.record_first_deposits(uow, candidates):
        _, cell = batch.deposits[(taken.brand, taken.player_id)]
        batch.cells[cell]["first_depositors"] += 1
        if taken.displaced is not None:
            # An earlier deposit arrived late: the later one stops being the first.
            earlier = Cell(
                taken.displaced.day, taken.brand, Product.ACCOUNT.value, taken.displaced.currency
            )
            batch.cells[earlier]["first_depositors"] -= 1


async def apply_registration(uow: UnitOfWork, brand: str, player_id: uuid.UUID) -> bool:
    """Count a registration on the brand's day the player was created, once."""
    return bool(await apply_registrations(uow, [(brand, player_id)]))


_REGISTERED = text(
    "SELECT p.id, p.brand, p.currency, (p.created_at AT TIME ZONE b.time_zone)::date AS day "
    "FROM players p JOIN brands b ON b.slug = p.brand "
    "WHERE p.id = ANY(CAST(:players AS uuid[])) ORDER BY p.id"
)


async def apply_registrations(
    uow: UnitOfWork, registrations: Sequence[tuple[str, uuid.UUID]]
) -> int:
    """Count registrations, (brand, player) each, on the brand's day each player was
    created, each once: a fixed handful of statements for the lot. Returns how many were
    counted now."""
    if not registrations:
        return 0
    wanted = set(registrations)
    rows = (
        await uow.session.execute(
            _REGISTERED, {"players": sorted({player for _, player in wanted})}
        )
    ).all()
    found = {
        f"player:{row.id}": (row.brand, row.day, row.currency)
        for row in rows
        if (row.brand, row.id) in wanted
    }
    claimed = await repository.claim_many(
        uow, [(source, brand, day) for source, (brand, day, _) in found.items()]
    )
    cells: dict[Cell, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    latest: dict[str, date] = {}
    for source in claimed:
        brand, day, currency = found[source]
        cells[Cell(day, brand, Product.ACCOUNT.value, currency)]["registrations"] += 1
        latest[brand] = max(latest.get(brand, day), day)
    await repository.add_many(uow, cells)
    for brand in sorted(latest):
        await _signal(uow, brand, latest[brand])
    return len(claimed)


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
    registered = await _registrations_of_day(uow, brand, day)
    for start in range(0, len(registered), REBUILD_CHUNK):
        chunk = registered[start : start + REBUILD_CHUNK]
        applied += await apply_registrations(uow, [(brand, player_id) for player_id in chunk])
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
