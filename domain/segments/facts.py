"""Behaviour facts: what each player deposited, staked, won and claimed per day, kept from
committed `wallets.balance_changed` events (their payload names the kind and each player
wallet's change, so no ledger read is needed). Each event is applied once: its id is
claimed in the transaction that adds its figures.

Facts are dated by when the money moved (the ledger transaction's timestamp), never by
when the event is applied: an event delayed past midnight (a worker backlog, a redelivery)
still counts on its own day, so it leaves a rolling window when it should."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, Final

from sqlalchemy import func
from sqlalchemy.dialects.postgresql import insert

from domain.kernel import clock
from domain.kernel.db import UnitOfWork
from domain.kernel.outbox import claim_message
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


async def apply_balance_changed(
    uow: UnitOfWork, event_id: int, brand: str | None, payload: Mapping[str, Any]
) -> set[uuid.UUID]:
    """Add one ledger event's figures, once; returns the players whose facts changed (empty
    for a kind segments does not count, or a redelivery)."""
    rule = KINDS.get(str(payload.get("kind")))
    if rule is None or brand is None or not await claim_message(uow, CONSUMER, event_id):
        return set()
    measure, sign, count, marks_active = rule
    sums: dict[tuple[uuid.UUID, str], int] = defaultdict(int)
    for change in payload.get("changes", []):
        if change.get("wallet") == "withdrawal_pending":
            continue
        sums[(uuid.UUID(str(change["player_id"])), str(change["currency"]))] += sign * int(
            change["delta_minor"]
        )
    occurred_at = await _occurred_at(uow, payload)
    rows = []
    for (player_id, currency), amount_minor in sums.items():
        rows.append((player_id, currency, measure, amount_minor, count))
        if marks_active:
            rows.append((player_id, currency, ACTIVE, 0, 1))
    for player_id, currency, row_measure, amount_minor, row_count in rows:
        statement = insert(PlayerActivityDay).values(
            player_id=player_id, day=occurred_at.astimezone(UTC).date(), currency=currency,
            measure=row_measure, brand=brand, amount_minor=amount_minor, count=row_count,
            last_at=occurred_at,
        )  # fmt: skip
        await uow.session.execute(
            statement.on_conflict_do_update(
                index_elements=["player_id", "day", "currency", "measure"],
                set_={
                    "amount_minor": PlayerActivityDay.amount_minor
                    + statement.excluded.amount_minor,
                    "count": PlayerActivityDay.count + statement.excluded.count,
                    # Events arrive out of order: the latest moment wins, not the last applied.
                    "last_at": func.greatest(PlayerActivityDay.last_at, statement.excluded.last_at),
                },
            )
        )
    return {player_id for player_id, _ in sums}


async def _occurred_at(uow: UnitOfWork, payload: Mapping[str, Any]) -> datetime:
    """When the event's money moved: its ledger transaction's timestamp (the payload names
    the transaction). Processing time only if the transaction cannot be read, which a
    committed event never allows."""
    transaction_id = payload.get("transaction_id")
    if transaction_id is not None:
        found = await ledger_facts.transaction_times(uow, [int(transaction_id)])
        if int(transaction_id) in found:
            return found[int(transaction_id)]
    return clock.now()
