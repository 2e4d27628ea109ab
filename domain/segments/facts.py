"""Behaviour facts: what each player deposited, staked, won and claimed per day, kept from
committed `wallets.balance_changed` events (their payload names the kind and each player
wallet's change, so no ledger read is needed). Each event is applied once: its id is
claimed in the transaction that adds its figures.

Facts are dated by when the money moved (the ledger transaction's timestamp, which the
event carries as `occurred_at`), never by when the event is applied: an event delayed past
midnight (a worker backlog, a redelivery) still counts on its own day, so it leaves a
rolling window when it should."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime
from typing import Any, Final

from sqlalchemy import func
from sqlalchemy.dialects.postgresql import insert

from domain.kernel import clock
from domain.kernel.db import UnitOfWork
from domain.kernel.outbox import claim_messages
from domain.segments.models import PlayerActivityDay
from domain.segments.rules import ACTIVE, BONUS_GRANT, DEPOSIT, stake_measure, win_measure
from domain.wallets import facts as ledger_facts

CONSUMER: Final = "segments.apply_activity"

# Ledger kind -> (measure, sign applied to the player's summed change, count change,
# whether it marks the player active). A stake's change is negative: the sign turns it into
# a positive stake; a refund takes it back.
KINDS: Final[Mapping[str, tuple[str, int, int, bool]]] = {
    "deposit": (DEPOSIT, +1, +1, True),
    "casino.bet": (stake_measure("casino"), -1, +1, True),
    "casino.rollback": (stake_measure("casino"), -1, -1, False),
    "casino.win": (win_measure("casino"), +1, 0, False),
    "sportsbook.stake": (stake_measure("sportsbook"), -1, +1, True),
    "sportsbook.refund": (stake_measure("sportsbook"), -1, -1, False),
    "sportsbook.refund_reversal": (stake_measure("sportsbook"), -1, +1, False),
    "sportsbook.payout": (win_measure("sportsbook"), +1, 0, False),
    "sportsbook.cash_out": (win_measure("sportsbook"), +1, 0, False),
    "sportsbook.payout_reversal": (win_measure("sportsbook"), +1, 0, False),
    "bonus.grant": (BONUS_GRANT, +1, +1, False),
}


# A ledger event as the relay hands it over: (event id, brand, payload).
LedgerEvent = tuple[int, str | None, Mapping[str, Any]]
# (player, day, currency, measure): one row of PlayerActivityDay.
_Cell = tuple[uuid.UUID, date, str, str]
# Rows per upsert statement: 7 parameters a row stays far under PostgreSQL's 32,767.
UPSERT_ROWS_MAX: Final = 1000


async def apply_balance_changed(
    uow: UnitOfWork, event_id: int, brand: str | None, payload: Mapping[str, Any]
) -> set[uuid.UUID]:
    """Add one ledger event's figures, once; returns the players whose facts changed (empty
    for a kind segments does not count, or a redelivery)."""
    return set().union(*(await apply_balance_changes(uow, [(event_id, brand, payload)])).values())


async def apply_balance_changes(
    uow: UnitOfWork, events: Sequence[LedgerEvent]
) -> dict[str, set[uuid.UUID]]:
    """Add a batch of ledger events' figures, each once, in a fixed number of statements
    (one claim, one upsert per UPSERT_ROWS_MAX cells): the events carry their own time, so
    nothing is read per event. Returns, by brand, the players whose facts changed (none for
    kinds segments does not count, nor for events applied before)."""
    counted = [
        (event_id, brand, payload)
        for event_id, brand, payload in events
        if brand is not None and str(payload.get("kind")) in KINDS
    ]
    claimed = await claim_messages(uow, CONSUMER, [event_id for event_id, _, _ in counted])
    cells: dict[_Cell, list[Any]] = {}
    players: dict[str, set[uuid.UUID]] = defaultdict(set)
    for event_id, brand, payload in counted:
        if event_id not in claimed:
            continue
        claimed.discard(event_id)  # the same event twice in one batch counts once
        assert brand is not None
        occurred_at = await _occurred_at(uow, payload)
        for player_id, currency, measure, amount_minor, count in _rows(payload):
            cell = cells.setdefault(
                (player_id, occurred_at.astimezone(UTC).date(), currency, measure),
                [brand, 0, 0, occurred_at],
            )
            cell[1] += amount_minor
            cell[2] += count
            cell[3] = max(cell[3], occurred_at)
            players[brand].add(player_id)
    rows = [
        {
            "player_id": player_id, "day": day, "currency": currency, "measure": measure,
            "brand": brand, "amount_minor": amount_minor, "count": count, "last_at": last_at,
        }
        for (player_id, day, currency, measure), (brand, amount_minor, count, last_at)
        in cells.items()
    ]  # fmt: skip
    for start in range(0, len(rows), UPSERT_ROWS_MAX):
        await _upsert(uow, rows[start : start + UPSERT_ROWS_MAX])
    return dict(players)


def _rows(payload: Mapping[str, Any]) -> list[tuple[uuid.UUID, str, str, int, int]]:
    """The event's (player, currency, measure, amount, count) figures. Pure."""
    measure, sign, count, marks_active = KINDS[str(payload.get("kind"))]
    sums: dict[tuple[uuid.UUID, str], int] = defaultdict(int)
    for change in payload.get("changes", []):
        if change.get("wallet") == "withdrawal_pending":
            continue
        sums[(uuid.UUID(str(change["player_id"])), str(change["currency"]))] += sign * int(
            change["delta_minor"]
        )
    rows = []
    for (player_id, currency), amount_minor in sums.items():
        rows.append((player_id, currency, measure, amount_minor, count))
        if marks_active:
            rows.append((player_id, currency, ACTIVE, 0, 1))
    return rows


async def _upsert(uow: UnitOfWork, rows: list[dict[str, Any]]) -> None:
    statement = insert(PlayerActivityDay).values(rows)
    await uow.session.execute(
        statement.on_conflict_do_update(
            index_elements=["player_id", "day", "currency", "measure"],
            set_={
                "amount_minor": PlayerActivityDay.amount_minor + statement.excluded.amount_minor,
                "count": PlayerActivityDay.count + statement.excluded.count,
                # Events arrive out of order: the latest moment wins, not the last applied.
                "last_at": func.greatest(PlayerActivityDay.last_at, statement.excluded.last_at),
            },
        )
    )


async def _occurred_at(uow: UnitOfWork, payload: Mapping[str, Any]) -> datetime:
    """When the event's money moved: the payload's `occurred_at` (the ledger transaction's
    timestamp, written with the event). Events written before it was carried name their
    transaction, whose timestamp is read; processing time only if neither is there, which
    a committed event never allows."""
    if payload.get("occurred_at") is not None:
        return datetime.fromisoformat(str(payload["occurred_at"]))
    transaction_id = payload.get("transaction_id")
    if transaction_id is not None:
        found = await ledger_facts.transaction_times(uow, [int(transaction_id)])
        if int(transaction_id) in found:
            return found[int(transaction_id)]
    return clock.now()
