"""Fault drill: money-moving tasks cancelled at random await points.

A request handler's task is cancelled whenever its client goes away or a deadline passes, at
whatever `await` it happens to be on: checking a connection out, inside the ledger's SQL call,
in COMMIT, in the rollback that follows. Here lanes of keyed deposits and stakes share a small
pool; each attempt is cancelled after a random delay drawn around the time an attempt takes,
then retried with the same key, as a client does. What must hold afterwards:

- every key is exactly one ledger transaction (none lost, none doubled), and each balance is
  the sum of what was asked;
- no connection ever went back to the pool inside a transaction, and none is left checked
  out or `idle in transaction` on the server;
- the ledger's invariants hold.
"""

from __future__ import annotations

import asyncio
import random
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import event, func, select, text

from domain.brands.service import BrandRegistry
from domain.kernel.db import Database
from domain.wallets.ledger import IdempotencyScope, Posting
from domain.wallets.models import HouseAccountKind, LedgerTransaction, WalletKind
from domain.wallets.service import house_account_id, transfer, wallet_id
from tests.schema.wallets.support import assert_invariants, balance_of, player_of

LANES = 6
POOL = 2  # and as many overflow connections: fewer connections than lanes
MOVES_PER_LANE = 24
DEPOSIT_MINOR = 1_000
STAKE_MINOR = 300
SCOPE = IdempotencyScope("drill", "cancellation")


@dataclass
class PoolWatch:
    """Every checkout and checkin of the drill's pool, checked for an open transaction."""

    violations: list[str] = field(default_factory=list)
    checkins: int = 0

    def attach(self, db: Database) -> None:
        pool = db.engine.sync_engine.pool
        event.listen(pool, "checkout", self._on_checkout)
        event.listen(pool, "checkin", self._on_checkin)

    @staticmethod
    def _in_transaction(dbapi_connection: Any) -> bool:
        # The asyncpg adapter tracks the transaction it began; asyncpg knows the server's.
        if dbapi_connection is None:
            return False
        raw = dbapi_connection._connection
        if raw.is_closed():
            return False
        return bool(raw.is_in_transaction() or dbapi_connection._transaction is not None)

    def _on_checkout(self, dbapi_connection: Any, record: Any, proxy: Any) -> None:
        if self._in_transaction(dbapi_connection):
            self.violations.append("checked out inside a transaction")

    def _on_checkin(self, dbapi_connection: Any, record: Any) -> None:
        self.checkins += 1
        if self._in_transaction(dbapi_connection):
            self.violations.append("checked in inside a transaction")


@dataclass
class Tally:
    answered: int = 0
    cancelled: int = 0
    replayed: int = 0
    asked_minor: dict[uuid.UUID, int] = field(default_factory=dict)
    keys: list[str] = field(default_factory=list)


async def _move(db: Database, player: uuid.UUID, key: str, deposit: bool) -> Posting:
    async with db.transaction() as uow:
        cash = await wallet_id(uow, "aurora", player, WalletKind.CASH, "EUR")
        house = await house_account_id(
            uow,
            "aurora",
            HouseAccountKind.PSP_CLEARING if deposit else HouseAccountKind.WAGERS,
            "EUR",
        )
        source, destination = (house, cash) if deposit else (cash, house)
        return await transfer(
            uow,
            brand="aurora",
            kind="drill.deposit" if deposit else "drill.stake",
            source=source,
            destination=destination,
            amount_minor=DEPOSIT_MINOR if deposit else STAKE_MINOR,
            scope=SCOPE,
            key=key,
        )


async def _typical_seconds(db: Database, player: uuid.UUID, tally: Tally) -> float:
    """How long one uncancelled movement takes here, now (the drill's delays scale with it)."""
    took = []
    for _ in range(5):
        key = f"drill:{uuid.uuid4().hex}"
        started = time.perf_counter()
        await _move(db, player, key, deposit=True)
        took.append(time.perf_counter() - started)
        tally.keys.append(key)
        tally.asked_minor[player] = tally.asked_minor.get(player, 0) + DEPOSIT_MINOR
    return sorted(took)[len(took) // 2]


async def _lane(
    db: Database, player: uuid.UUID, rng: random.Random, ceiling_s: float, tally: Tally
) -> None:
    for move in range(MOVES_PER_LANE):
        deposit = move % 3 != 2  # two deposits, then a stake: the stake is always covered
        key = f"drill:{uuid.uuid4().hex}"
        tally.keys.append(key)
        for attempt in range(50):
            # Each retry's deadline may be longer, as a client's backoff grows: a fixed ceiling
            # below what an attempt takes once lanes queue and cancelled connections are
            # replaced cancelled ~37 attempts a key (5,339 for 144 keys), most at the checkout,
            # before the last attempts ran to completion. Each draw is still uniform from
            # zero, so every await point stays in reach. The last attempts have no deadline:
            # every key must end up answered.
            delay = rng.uniform(0, ceiling_s * (1 + attempt / 2)) if attempt < 40 else None
            try:
                posting = await asyncio.wait_for(_move(db, player, key, deposit), delay)
            except TimeoutError:
                tally.cancelled += 1
                continue
            tally.answered += 1
            tally.replayed += posting.replayed
            change = DEPOSIT_MINOR if deposit else -STAKE_MINOR
            tally.asked_minor[player] = tally.asked_minor.get(player, 0) + change
            break
        else:  # pragma: no cover - the last attempts have no deadline
            raise AssertionError(f"{key} never answered")


async def test_cancelled_money_movements_leave_no_lost_or_doubled_posting_and_a_clean_pool(
    database_url: str, db: Database, registry: BrandRegistry
) -> None:
    seed = random.randrange(2**32)
    rng = random.Random(seed)
    drill = Database.connect(database_url, pool_size=POOL)
    watch = PoolWatch()
    watch.attach(drill)
    tally = Tally()
    try:
        players = [await player_of(db, registry) for _ in range(LANES)]
        typical = await _typical_seconds(drill, players[0], tally)
        # Lanes queue for connections, so an attempt takes up to LANES / POOL times longer
        # than alone: delays up to 1.5 times that reach every await point, from the
        # checkout to the commit's reply.
        ceiling = 1.5 * typical * LANES / POOL
        await asyncio.gather(*(_lane(drill, p, rng, ceiling, tally) for p in players))
        await asyncio.sleep(0.2)  # cancelled tasks' connection clean-up runs on the loop

        assert watch.violations == [], f"seed {seed}: {watch.violations[:5]}"
        assert drill.engine.sync_engine.pool.checkedout() == 0, f"seed {seed}"
    finally:
        await drill.dispose()

    # The drill reached into the movements: many cancelled, some after their commit.
    assert tally.cancelled > 20, (seed, tally.cancelled)
    assert tally.answered == LANES * MOVES_PER_LANE
    print(  # noqa: T201 - the drill's figures, shown with -s
        f"\ncancellation drill seed={seed}: {tally.answered} answered, {tally.cancelled} "
        f"cancelled, {tally.replayed} replayed, {watch.checkins} checkins, "
        f"delay ceiling {ceiling * 1000:.1f} ms"
    )

    async with db.uow() as uow:
        per_key = dict(
            (
                await uow.session.execute(
                    select(LedgerTransaction.idempotency_key, func.count())
                    .where(LedgerTransaction.idempotency_scope == str(SCOPE))
                    .where(LedgerTransaction.idempotency_key.in_(tally.keys))
                    .group_by(LedgerTransaction.idempotency_key)
                )
            ).all()
        )
        idle = await uow.session.scalar(
            text(
                "SELECT count(*) FROM pg_stat_activity "
                "WHERE datname = current_database() AND state LIKE 'idle in transaction%' "
                "AND pid <> pg_backend_pid()"
            )
        )
    assert set(per_key) == set(tally.keys), f"seed {seed}: lost postings"
    assert set(per_key.values()) == {1}, f"seed {seed}: doubled postings"
    assert idle == 0
    for player in players:
        assert await balance_of(db, player) == tally.asked_minor[player], f"seed {seed}"
    await assert_invariants(db)
