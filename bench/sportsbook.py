"""The sportsbook's three figures: placeBet throughput, settling a market's bets, and the
event-list query, each against its floor measured in the same run.

    .venv/bin/python -m bench.sportsbook                         # all three, modest sizes
    .venv/bin/python -m bench.sportsbook --settle-bets 100000    # the settlement goal's size
    .venv/bin/python -m bench.sportsbook --only place --workers 8 --rounds 5

  place   raw asyncpg (the placement's three statements, as the domain sends them, in
          BEGIN/COMMIT) vs `placement.place_bet` in a unit of work vs the GraphQL `placeBet`
          mutation through `schema.execute` with a signed-in player's bearer session
  settle  N open single bets on one market, settled through the domain (its lanes in one
          process, and in a process per lane as the settlement workers run them) vs the
          same statements per chunk sent by raw asyncpg, the same two ways; goal: 100k bets
          in <= 10 s on 2 cores
  events  the README's `sportsbookEvents` document through the Stakehouse schema (its
          resolvers and DataLoaders, in process) vs graphql-core executing the same document
          on a plain schema built from the same SDL, its default resolvers reading the same
          data preloaded in dicts; goal: <= 1.15x

See bench/README.md for what each phase runs and how to read the figures.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import cProfile
import json
import os
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator
from decimal import Decimal
from typing import Any

import asyncpg
from sqlalchemy import event as sa_event
from sqlalchemy.dialects import postgresql
from strawberry.relay import to_base64

from bench import fixtures
from bench.lanes import drive_lanes
from bench.ledger_debit import Result, pooled, run, run_phase, say
from domain.brands.service import BrandRegistry, sync_brands
from domain.kernel import clock
from domain.kernel.db import Database, plain_url
from domain.kernel.settings import get_settings

DIALECT = postgresql.asyncpg.dialect()  # type: ignore[no-untyped-call]
STAKE_MINOR = 100
PLACE_ODDS = "5.00"
SETTLE_ODDS = ["2.00", "3.00"]
# Issue 19's goals: placeBet (GraphQL) at >= 0.40x raw asyncpg's rate; settlement within
# 1.10x raw's time as the workers run it (a process per lane) and 1.5x in one process.
PLACE_GOAL = 0.40
SETTLE_LANES_GOAL = 1.10
SETTLE_ONE_GOAL = 1.5

PLACE_BET = """
mutation PlaceBet($input: PlaceBetInput!) {
  placeBet(input: $input) {
    bet { id status potentialReturn { amount currency } legs { odds outcome { name } } }
    currentOdds { outcome odds }
    errors { code field message }
  }
}
"""

EVENTS = """
query Events($after: String) {
  sportsbookEvents(first: 20, after: $after, status: [SCHEDULED, LIVE]) {
    edges {
      node {
        id name startsAt status
        competition { name sport { name } }
        markets { id name status outcomes { id name odds display(format: FRACTIONAL) } }
      }
    }
    pageInfo { hasNextPage endCursor }
  }
}
"""

Operation = Callable[[int, str], Awaitable[None]]


def compiled(statement: Any) -> tuple[str, list[str]]:
    """The text SQLAlchemy's asyncpg dialect sends for `statement`, and its parameters'
    names in positional order: raw asyncpg then runs exactly the domain's SQL."""
    result = statement.compile(dialect=DIALECT)
    return str(result), list(result.positiontup or [])


def positional(
    names: list[str], values: dict[str, Any], jsonb: frozenset[str] = frozenset()
) -> list[Any]:
    return [json.dumps(values[name]) if name in jsonb else values[name] for name in names]


# ---- placeBet --------------------------------------------------------------------------------


class Placement:
    """The three phases of the placement benchmark on shared fixtures."""

    def __init__(
        self, db: Database, pool: asyncpg.Pool, registry: BrandRegistry,
        players: list[fixtures.BookPlayer], market: fixtures.BookMarket,
    ) -> None:  # fmt: skip
        self.db = db
        self.pool = pool
        self.registry = registry
        self.brand = registry.get(fixtures.BRAND)
        self.players = players
        self.market = market
        # The selection read is built inline by `repository.selections`: capture the text
        # it sends (and its parameters, which depend only on the outcome) from one domain
        # placement per outcome, made before any phase runs.
        self.selection_sql: dict[int, tuple[str, tuple[Any, ...]]] = {}

    def outcome(self, worker: int) -> int:
        # One outcome per worker: each worker's liability upsert has a row of its own, as
        # bets spread over a book's outcomes (one hot outcome would serialise every phase).
        return self.market.outcomes[worker % len(self.market.outcomes)]

    def slip(self, worker: int, key: str) -> Any:
        from domain.sportsbook.models import BetType, OddsPolicy  # noqa: PLC0415
        from domain.sportsbook.placement import BetSlip, Selection  # noqa: PLC0415

        return BetSlip(
            selections=(Selection(self.outcome(worker), Decimal(PLACE_ODDS)),),
            stake_minor=STAKE_MINOR, bet_type=BetType.SINGLE, idempotency_key=key,
            odds_policy=OddsPolicy.NONE,
        )  # fmt: skip

    async def capture_selection_reads(self) -> None:
        from domain.sportsbook import placement  # noqa: PLC0415

        captured: list[tuple[str, tuple[Any, ...]]] = []

        def listen(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
            captured.append((statement, tuple(parameters or ())))

        for worker in range(len(self.market.outcomes)):
            captured.clear()
            sa_event.listen(self.db.engine.sync_engine, "before_cursor_execute", listen)
            try:
                async with self.db.uow() as uow:
                    await placement.place_bet(
                        uow, brand=self.brand, player_id=self.players[worker].id,
                        slip=self.slip(worker, f"capture-{worker}"),
                    )  # fmt: skip
                    await uow.commit()
            finally:
                sa_event.remove(self.db.engine.sync_engine, "before_cursor_execute", listen)
            (read,) = [c for c in captured if "FROM sportsbook_outcomes" in c[0]]
            self.selection_sql[self.outcome(worker)] = read

    def raw(self) -> Operation:
        from domain.accounts.models import PlayerStatus  # noqa: PLC0415
        from domain.compliance.service import Activity, check_status  # noqa: PLC0415
        from domain.sportsbook import placement, repository, systems  # noqa: PLC0415
        from domain.sportsbook.repository import SelectionRow  # noqa: PLC0415
        from domain.wallets.models import HouseAccountKind  # noqa: PLC0415

        context_sql, context_names = compiled(repository._CONTEXT)
        place_sql, place_names = compiled(repository._PLACE)
        jsonb = frozenset({"bet", "legs", "metadata"})
        order = [kind.value for kind in placement._consumption_order(self.brand)]

        async def place(worker: int, key: str) -> None:
            player = self.players[worker % len(self.players)]
            slip = self.slip(worker, key)
            shape = systems.shape(slip.bet_type, 1, None)
            select_sql, select_args = self.selection_sql[self.outcome(worker)]
            async with self.pool.acquire() as connection, connection.transaction():
                context = await connection.fetchrow(
                    context_sql,
                    *positional(context_names, {
                        "order": order, "counter": HouseAccountKind.WAGERS.value, "key": key,
                        "player": player.id, "brand": fixtures.BRAND,
                    }),
                )  # fmt: skip
                assert context is not None
                assert context["existing_bet_id"] is None
                check_status(PlayerStatus(context["status"]), Activity.WAGER)
                rows = {}
                for row in await connection.fetch(select_sql, *select_args):
                    values = list(row)
                    values[-1] = values[-1] or 0
                    rows[row[0]] = SelectionRow(*values)
                decision = placement.decide(slip, shape, rows, now=clock.now())
                parameters = placement._parameters(
                    self.brand, player.id, slip, currency=context["currency"],
                    decision=decision, fingerprint=placement.slip_hash(slip, context["currency"]),
                    wallets=list(context["wallet_ids"]), counter=context["counter_id"],
                )  # fmt: skip
                raw = await connection.fetchval(
                    place_sql, *positional(place_names, parameters, jsonb)
                )
                if json.loads(raw)["outcome"] != "accepted":
                    raise RuntimeError(f"raw placement not accepted: {raw}")

        return place

    def domain(self) -> Operation:
        from domain.sportsbook.models import BetStatus  # noqa: PLC0415
        from domain.sportsbook.placement import place_bet  # noqa: PLC0415

        async def place(worker: int, key: str) -> None:
            player = self.players[worker % len(self.players)]
            async with self.db.uow() as uow:
                placed = await place_bet(
                    uow, brand=self.brand, player_id=player.id, slip=self.slip(worker, key)
                )
                await uow.commit()
            if placed.status is not BetStatus.OPEN:
                raise RuntimeError(f"domain placement not open: {placed}")

        return place

    def graphql(self) -> Operation:
        from domain.accounts.models import SessionTransport  # noqa: PLC0415
        from domain.kernel.pubsub import EventHub  # noqa: PLC0415
        from resolvers.context import Credentials  # noqa: PLC0415
        from schema import build_schema  # noqa: PLC0415
        from web.graphql import GraphQLContext  # noqa: PLC0415

        settings = get_settings()
        schema = build_schema(settings)
        hub = EventHub(settings.database_url or "")  # never started: a mutation needs none

        async def place(worker: int, key: str) -> None:
            player = self.players[worker % len(self.players)]
            context = GraphQLContext(
                db=self.db, brand=self.brand, registry=self.registry, settings=settings,
                hub=hub, request_id=key, client_address="127.0.0.1", user_agent="bench",
                credentials=Credentials(player.token, SessionTransport.BEARER),
            )  # fmt: skip
            variables = {
                "input": {
                    "selections": [
                        {"outcome": to_base64("Outcome", str(self.outcome(worker))),
                         "odds": PLACE_ODDS}
                    ],
                    "type": "SINGLE",
                    "stake": {"amount": f"{STAKE_MINOR / 100:.2f}", "currency": fixtures.CURRENCY},
                    "oddsPolicy": "NONE",
                    "idempotencyKey": key,
                }
            }  # fmt: skip
            result = await schema.execute(
                PLACE_BET, variable_values=variables, context_value=context
            )
            payload = (result.data or {}).get("placeBet") or {}
            if result.errors or payload.get("errors") or not payload.get("bet"):
                raise RuntimeError(f"placeBet failed: {result.errors or payload}")

        return place


async def place_phases(args: argparse.Namespace, url: str, registry: BrandRegistry) -> None:
    db = Database.connect(url, pool_size=args.workers)
    pool = await asyncpg.create_pool(plain_url(url), min_size=args.workers, max_size=args.workers)
    try:
        players = await fixtures.book_players(db, registry, args.workers)
        (market,) = await fixtures.add_book_market(db, [PLACE_ODDS] * args.workers, name="Place")
        bench = Placement(db, pool, registry, players, market)
        await bench.capture_selection_reads()
        phases: list[tuple[str, Operation]] = [
            ("raw asyncpg + tx", bench.raw()),
            ("domain place_bet", bench.domain()),
            ("graphql placeBet", bench.graphql()),
        ]
        timing = {"workers": args.workers, "warmup_s": args.warmup, "duration_s": args.duration}
        await run_phase("prime", phases[0][1], **{**timing, "duration_s": 3.0})
        rounds: dict[str, list[Result]] = {name: [] for name, _ in phases}
        profiler = cProfile.Profile() if args.profile else None
        for turn in range(args.rounds):
            for name, operation in phases:
                with profiling(profiler if name == "graphql placeBet" else None):
                    rounds[name].append(await run_phase(name, operation, **timing))
            say(f"  done: placeBet round {turn + 1} of {args.rounds}")
        results = [pooled(name, results) for name, results in rounds.items()]
        async with db.uow() as uow:
            check = await _ledger_report(uow)
        say()
        say(f"placeBet: {args.workers} workers, {args.rounds} rounds x {args.duration}s, "
            f"one {STAKE_MINOR / 100:.2f} single per call under a new key")  # fmt: skip
        _table(results, "bets/s")
        ratio = results[-1].rate / results[0].rate
        say(f"goal: placeBet >= {PLACE_GOAL}x raw asyncpg: {ratio:.2f}x: "
            f"{'holds' if ratio >= PLACE_GOAL else 'does not hold'}")  # fmt: skip
        say(f"ledger invariants after placement: {check}")
        if profiler is not None:
            save_profile(profiler, args.profile, "place", args.profile_lines)
    finally:
        await pool.close()
        await db.dispose()


def _table(results: list[Result], unit: str) -> None:
    ceiling = results[0].rate
    say(f"{'phase':<24}{'calls':>8}{unit:>10}{'p50 ms':>10}{'p99 ms':>10}{'x raw':>8}")
    for result in results:
        say(
            f"{result.name:<24}{result.count:>8}{result.rate:>10.0f}"
            f"{result.percentile_ms(50):>10.2f}{result.percentile_ms(99):>10.2f}"
            f"{result.rate / ceiling:>8.2f}"
        )


async def _ledger_report(uow: Any) -> str:
    from domain.wallets import invariants  # noqa: PLC0415

    report = await invariants.check(uow)
    if not report.ok:
        raise RuntimeError(f"ledger invariants broken: {report.violations}")
    return "ok"


# ---- settlement ------------------------------------------------------------------------------

RAW_ONE = "raw asyncpg, one process"
DOMAIN_ONE = "domain settle_market, one process"
RAW_LANES = "raw asyncpg, a process per lane"
DOMAIN_LANES = "domain, a process per lane"


class RawSettlement:
    """A settlement run's chunks sent by raw asyncpg: per chunk, in BEGIN/COMMIT, the
    statements `settlement.settle_chunk` sends (the domain's own text where it is a module
    constant, the ORM's statements written out), with the parameters computed inline for
    these bets (singles on a win/lose market: the payout is stake x odds). The run's lanes
    go side by side on connections of their own, as `runs.drive` runs them."""

    LANES = """
SELECT lane FROM sportsbook_run_lanes WHERE run_id = $1 AND status = 'running' ORDER BY lane"""
    LOCK_LANE = """
SELECT run_id, lane, lanes, cursor_bet_id, status, bets_processed
  FROM sportsbook_run_lanes WHERE run_id = $1 AND lane = $2 FOR UPDATE"""
    RUN = """
SELECT id, market_id, kind, status, request, bets_processed, unreversed_bet_ids, created_at,
       completed_at
  FROM sportsbook_settlement_runs WHERE id = $1"""
    UPDATE_LANE = """
UPDATE sportsbook_run_lanes SET cursor_bet_id = $3, bets_processed = $4, status = $5
 WHERE run_id = $1 AND lane = $2"""
    LOCK_RUN = (
        "SELECT status, bets_processed FROM sportsbook_settlement_runs WHERE id = $1 FOR UPDATE"
    )
    OTHER_LANES = """
SELECT count(*) FROM sportsbook_run_lanes WHERE run_id = $1 AND lane <> $2 AND status = 'running'"""
    WALLETS = """
SELECT id, player_id, kind, currency FROM ledger_accounts
 WHERE player_id = ANY($1::uuid[]) AND tracks_balance"""
    HOUSE = """
SELECT id FROM ledger_accounts
 WHERE brand = $1 AND player_id IS NULL AND kind = $2 AND currency = $3"""
    UPDATE_RUN = """
UPDATE sportsbook_settlement_runs SET bets_processed = $2, status = $3, completed_at = $4
 WHERE id = $1"""
    OUTBOX = "INSERT INTO outbox_events (topic, brand, payload) VALUES ($1, $2, $3::jsonb)"

    def __init__(self) -> None:
        from domain.sportsbook import runs, settlement  # noqa: PLC0415
        from domain.wallets import settlement as money  # noqa: PLC0415

        self.next_bets = compiled(runs._NEXT_BETS)
        self.lock_bets = compiled(runs._LOCK_BETS)
        self.legs = compiled(settlement._LEGS)
        self.post_many = compiled(money._POST_MANY)
        self.settle_bets = compiled(settlement._SETTLE_BETS)
        self.settle_legs = compiled(settlement._SETTLE_LEGS)
        # Seconds spent in each statement (as the client waits for it), summed over the run:
        # where the SQL's time goes.
        self.labels = {
            self.LOCK_LANE: "lane lock", self.RUN: "run read", self.LOCK_RUN: "run lock",
            self.OTHER_LANES: "other lanes", self.UPDATE_LANE: "lane update",
            self.next_bets[0]: "next bet ids",
            self.lock_bets[0]: "bet locks", self.legs[0]: "legs", self.WALLETS: "wallets",
            self.HOUSE: "counter account", self.post_many[0]: "stakehouse_post_many",
            self.settle_bets[0]: "bet updates", self.settle_legs[0]: "leg updates",
            self.UPDATE_RUN: "run update", self.OUTBOX: "outbox insert",
        }  # fmt: skip
        self.spent: dict[str, float] = {}

    def timed(self, connection: asyncpg.Connection) -> Any:
        bench = self

        class Timed:
            async def _call(self, method: str, sql: str, *args: Any) -> Any:
                began = time.perf_counter()
                try:
                    return await getattr(connection, method)(sql, *args)
                finally:
                    label = bench.labels.get(sql, "other")
                    bench.spent[label] = bench.spent.get(label, 0.0) + time.perf_counter() - began

            async def fetch(self, sql: str, *args: Any) -> Any:
                return await self._call("fetch", sql, *args)

            async def fetchrow(self, sql: str, *args: Any) -> Any:
                return await self._call("fetchrow", sql, *args)

            async def fetchval(self, sql: str, *args: Any) -> Any:
                return await self._call("fetchval", sql, *args)

            async def execute(self, sql: str, *args: Any) -> Any:
                return await self._call("execute", sql, *args)

        return Timed()

    async def chunk(self, connection: Any, run_id: uuid.UUID, lane: int, limit: int) -> bool:
        from domain.sportsbook.events import BetsSettled  # noqa: PLC0415
        from domain.sportsbook.settlement import PAYOUT_SCOPE, payout_key  # noqa: PLC0415
        from domain.wallets.ledger import Leg, request_hash  # noqa: PLC0415

        walk = await connection.fetchrow(self.LOCK_LANE, run_id, lane)
        run = await connection.fetchrow(self.RUN, run_id)
        if walk["status"] == "completed":
            return True
        sql, names = self.next_bets
        values = {
            "market": run["market_id"], "cursor": walk["cursor_bet_id"],
            "lane": lane, "lanes": walk["lanes"], "limit": limit,
        }  # fmt: skip
        scanned = [row[0] for row in await connection.fetch(sql, *positional(names, values))]
        sql, names = self.lock_bets
        bets = await connection.fetch(
            sql, *positional(names, {"ids": scanned, "statuses": ["open"]})
        )
        sql, names = self.legs
        ids = [bet["id"] for bet in bets]
        legs = {
            row["bet_id"]: row
            for row in await connection.fetch(sql, *positional(names, {"ids": ids}))
        }
        players = list({bet["player_id"] for bet in bets})
        cash = {
            row["player_id"]: row["id"]
            for row in await connection.fetch(self.WALLETS, players)
            if row["kind"] == "cash"
        }
        counter = await connection.fetchval(self.HOUSE, fixtures.BRAND, "wagers", fixtures.CURRENCY)
        settled = []
        items = []
        for bet in bets:
            leg = legs[bet["id"]]
            won = leg["result"] == "win"
            payout = int(bet["stake_minor"] * leg["odds"]) if won else 0
            key = payout_key(bet["id"], bet["settlement_count"] + 1)
            settled.append((bet["id"], "won" if won else "lost", payout, key, won))
            if payout:
                entries = [Leg(counter, -payout), Leg(cash[bet["player_id"]], payout)]
                metadata = {"bet_id": bet["id"]}
                items.append(((entries[1].account_id, key), {
                    "brand": bet["brand"], "key": key,
                    "request_hash": request_hash("sportsbook.payout", entries, metadata).hex(),
                    "metadata": metadata,
                    "accounts": [e.account_id for e in entries],
                    "amounts": [e.amount_minor for e in entries],
                }))  # fmt: skip
        transactions: dict[str, Any] = {}
        if items:
            sql, names = self.post_many
            ordered = [item for _order, item in sorted(items, key=lambda pair: pair[0])]
            raw = await connection.fetchval(
                sql,
                *positional(names, {
                    "scope": str(PAYOUT_SCOPE), "kind": "sportsbook.payout", "items": ordered,
                }, frozenset({"items"})),
            )  # fmt: skip
            transactions = json.loads(raw)
        if settled:
            sql, names = self.settle_bets
            await connection.execute(sql, *positional(names, {
                "run": run_id, "ids": [s[0] for s in settled], "statuses": [s[1] for s in settled],
                "payouts": [s[2] for s in settled],
                "transactions": [
                    int(transactions[s[3]]) if s[3] in transactions else None for s in settled
                ],
            }))  # fmt: skip
            sql, names = self.settle_legs
            await connection.execute(sql, *positional(names, {
                "bets": [s[0] for s in settled], "numbers": [0] * len(settled),
                "results": ["win" if s[4] else "lose" for s in settled],
                "win_factors": ["1.0000000000" if s[4] else "0E-10" for s in settled],
                "place_factors": [None] * len(settled),
            }))  # fmt: skip
        done = len(scanned) < limit
        processed = walk["bets_processed"] + len(settled)
        await connection.execute(
            self.UPDATE_LANE, run_id, lane, max(scanned) if scanned else walk["cursor_bet_id"],
            processed, "completed" if done else "running",
        )  # fmt: skip
        if done:
            locked = await connection.fetchrow(self.LOCK_RUN, run_id)
            others = await connection.fetchval(self.OTHER_LANES, run_id, lane)
            await connection.execute(
                self.UPDATE_RUN, run_id, locked["bets_processed"] + processed,
                "running" if others else "completed", None if others else clock.now(),
            )  # fmt: skip
        if settled:
            payload = BetsSettled(run["market_id"], run_id, [s[0] for s in settled]).payload()
            await connection.execute(self.OUTBOX, BetsSettled.topic, None, json.dumps(payload))
        return done

    async def settle(self, pool: asyncpg.Pool, run_id: uuid.UUID, limit: int) -> None:
        lanes = [row["lane"] for row in await pool.fetch(self.LANES, run_id)]
        await asyncio.gather(*(self.settle_lane(pool, run_id, lane, limit) for lane in lanes))

    async def settle_lane(
        self, pool: asyncpg.Pool, run_id: uuid.UUID, lane: int, limit: int
    ) -> None:
        done = False
        while not done:
            async with pool.acquire() as connection:
                transaction = connection.transaction()
                began = time.perf_counter()
                await transaction.start()
                try:
                    done = await self.chunk(self.timed(connection), run_id, lane, limit)
                except BaseException:
                    await transaction.rollback()
                    raise
                committing = time.perf_counter()
                await transaction.commit()
                ended = time.perf_counter()
                self.spent["commit"] = self.spent.get("commit", 0.0) + ended - committing
                self.spent["chunk total"] = self.spent.get("chunk total", 0.0) + ended - began


_SETTLED = """
SELECT count(*) AS bets,
       count(*) FILTER (WHERE b.status = 'open') AS open,
       count(*) FILTER (WHERE b.settlement_count <> 1) AS not_once,
       count(*) FILTER (WHERE b.status = 'won') AS won,
       count(*) FILTER (WHERE b.status = 'lost' AND b.payout_minor = 0) AS lost,
       count(DISTINCT b.payout_transaction_id) AS payouts,
       coalesce(sum(b.payout_minor), 0) AS paid,
       count(*) FILTER (WHERE l.result IS NULL) AS legs_unresulted
  FROM sportsbook_bet_legs l JOIN sportsbook_bets b ON b.id = l.bet_id
 WHERE l.market_id = $1
"""


async def verify_settled(pool: asyncpg.Pool, market: fixtures.BookMarket, bets: int) -> str:
    """Every bet settled exactly once, each winner paid by one ledger transaction of
    stake x odds, every loser paid nothing; raises otherwise."""
    row = await pool.fetchrow(_SETTLED, market.market_id)
    winners = row["won"]
    expected_paid = winners * int(STAKE_MINOR * Decimal(market.odds[0]))
    problems = []
    if row["bets"] != bets or row["open"] or row["not_once"] or row["legs_unresulted"]:
        problems.append("not every bet settled exactly once")
    if winners + row["lost"] != bets or abs(2 * winners - bets) > 1:
        problems.append("unexpected won/lost split")
    if row["payouts"] != winners or row["paid"] != expected_paid:
        problems.append("payouts do not match the winners")
    if problems:
        raise RuntimeError(f"settlement check failed ({'; '.join(problems)}): {dict(row)}")
    return f"{row['bets']} settled once ({winners} won, {row['lost']} lost), {row['payouts']} paid"


async def settle_phases(  # noqa: PLR0915 (one straight script: seed, run, check, print)
    args: argparse.Namespace, url: str, registry: BrandRegistry
) -> None:
    from domain.sportsbook import settlement  # noqa: PLC0415
    from domain.sportsbook.models import ResultKind  # noqa: PLC0415
    from domain.sportsbook.returns import LegResult  # noqa: PLC0415
    from domain.sportsbook.runs import CHUNK_SIZE  # noqa: PLC0415

    db = Database.connect(url, pool_size=2)
    pool = await asyncpg.create_pool(plain_url(url), min_size=1, max_size=2)
    try:
        players = await fixtures.book_players(
            db, registry, args.settle_players, email_prefix="bench-settle"
        )
        markets = {}
        for name in ("raw", "domain", "raw lanes", "domain lanes"):
            (market,) = await fixtures.add_book_market(db, SETTLE_ODDS, name=f"Settle {name}")
            seeded = time.perf_counter()
            await fixtures.seed_open_bets(db, url, market, players, args.settle_bets)
            say(f"  seeded {args.settle_bets} open bets for the {name} run "
                f"in {time.perf_counter() - seeded:.1f}s")  # fmt: skip
            markets[name] = market

        def results(market: fixtures.BookMarket) -> dict[int, LegResult]:
            return {
                market.outcomes[0]: LegResult(ResultKind.WIN),
                market.outcomes[1]: LegResult(ResultKind.LOSE),
            }

        timings: dict[str, float] = {}
        checks: dict[str, str] = {}
        raw = RawSettlement()

        async def timed(name: str, market: fixtures.BookMarket, settle: Any) -> None:
            """Record the market's results and open its lanes (timed with the run), then
            `settle(run_id, lanes)`; check every bet was settled once."""
            await pool.execute("CHECKPOINT")
            run_id = uuid.uuid4()
            started = time.perf_counter()
            lanes = await settlement.start_settlement(
                db, market_id=market.market_id, results=results(market), run_id=run_id
            )
            opened = time.perf_counter() - started
            timings[name] = opened + await settle(run_id, lanes)
            checks[name] = await verify_settled(pool, market, args.settle_bets)

        profiler = cProfile.Profile() if args.profile else None

        # This process's CPU in each one-process phase: what a loaded machine cannot stretch.
        cpu: dict[str, float] = {}

        async def in_process(run_id: uuid.UUID, _lanes: list[int]) -> float:
            started, cpu_started = time.perf_counter(), time.process_time()
            with profiling(profiler), statement_waits(db, args.settle_trace) as waits:
                summary = await settlement.settle_lanes(db, run_id=run_id)
            if args.settle_trace:
                report_statement_waits(waits)
            if not summary.done or summary.bets_processed != args.settle_bets:
                raise RuntimeError(f"the domain run did not settle every bet: {summary}")
            cpu[DOMAIN_ONE] = time.process_time() - cpu_started
            return time.perf_counter() - started

        async def raw_in_process(run_id: uuid.UUID, _lanes: list[int]) -> float:
            started, cpu_started = time.perf_counter(), time.process_time()
            await raw.settle(pool, run_id, CHUNK_SIZE)
            cpu[RAW_ONE] = time.process_time() - cpu_started
            return time.perf_counter() - started

        def per_lane(mode: str) -> Any:
            async def settle(run_id: uuid.UUID, lanes: list[int]) -> float:
                return await asyncio.to_thread(drive_lanes, mode, url, run_id, lanes, args.loop)

            return settle

        await timed(RAW_ONE, markets["raw"], raw_in_process)
        await timed(DOMAIN_ONE, markets["domain"], in_process)
        if profiler is not None:
            save_profile(profiler, args.profile, "settle", args.profile_lines)
        await timed(RAW_LANES, markets["raw lanes"], per_lane("raw"))
        await timed(DOMAIN_LANES, markets["domain lanes"], per_lane("domain"))
        async with db.uow() as uow:
            ledger = await _ledger_report(uow)
        say()
        say(f"settlement of {args.settle_bets} open singles on one market "
            f"({args.settle_players} players, chunks of {CHUNK_SIZE}, lanes of "
            f"{get_settings().settlement_lanes})")  # fmt: skip
        say(f"{'phase':<36}{'seconds':>10}{'bets/s':>10}{'x raw time':>12}")
        for name, ceiling in ((RAW_ONE, RAW_ONE), (DOMAIN_ONE, RAW_ONE),
                              (RAW_LANES, RAW_LANES), (DOMAIN_LANES, RAW_LANES)):  # fmt: skip
            seconds = timings[name]
            say(f"{name:<36}{seconds:>10.2f}{args.settle_bets / seconds:>10.0f}"
                f"{seconds / timings[ceiling]:>12.2f}")  # fmt: skip
        for name, check in checks.items():
            say(f"  {name}: {check}")
        say(f"  ledger invariants: {ledger}")
        statements = ", ".join(
            f"{label} {seconds:.2f}" for label, seconds in sorted(
                raw.spent.items(), key=lambda pair: -pair[1]
            )
        )  # fmt: skip
        say(f"  raw run in one process, seconds by statement (client-side waits): {statements}")
        per_bet = {name: 1e6 * seconds / args.settle_bets for name, seconds in cpu.items()}
        say(f"  this process's CPU per bet, one process: raw {per_bet[RAW_ONE]:.0f} µs, "
            f"domain {per_bet[DOMAIN_ONE]:.0f} µs ({per_bet[DOMAIN_ONE] / per_bet[RAW_ONE]:.2f}x); "
            f"wall over CPU: raw {timings[RAW_ONE] / cpu[RAW_ONE]:.2f}, "
            f"domain {timings[DOMAIN_ONE] / cpu[DOMAIN_ONE]:.2f}")  # fmt: skip
        per_100k = timings[DOMAIN_LANES] * 100_000 / args.settle_bets
        verdict = "holds" if per_100k <= 10 else "does not hold"
        measured = "measured" if args.settle_bets == 100_000 else "extrapolated linearly"
        say(f"  goal <= 10 s per 100k bets (as the workers settle, a process per lane): "
            f"{per_100k:.1f} s ({measured}): {verdict}")  # fmt: skip
        for label, domain, ceiling, goal in (
            ("a process per lane", DOMAIN_LANES, RAW_LANES, SETTLE_LANES_GOAL),
            ("one process", DOMAIN_ONE, RAW_ONE, SETTLE_ONE_GOAL),
        ):
            ratio = timings[domain] / timings[ceiling]
            say(f"  goal, {label}: <= {goal}x raw's time: {ratio:.2f}x: "
                f"{'holds' if ratio <= goal else 'does not hold'}")  # fmt: skip
    finally:
        await pool.close()
        await db.dispose()


# ---- event list ------------------------------------------------------------------------------


async def sequential(name: str, call: Callable[[], Awaitable[None]], calls: int) -> Result:
    latencies = []
    started = time.perf_counter()
    for _ in range(calls):
        begin = time.perf_counter()
        await call()
        latencies.append((time.perf_counter() - begin) * 1000)
    return Result(name, calls, time.perf_counter() - started, latencies)


async def _seed_events(args: argparse.Namespace, db: Database) -> int:
    """The listed events; returns the markets each has."""
    if args.simulated_markets:
        return await fixtures.add_simulated_football(db, args.events)
    for index in range(args.events):
        await fixtures.add_book_market(
            db, ["2.50", "3.40", "2.90"], name=f"Event {index}", markets=args.event_markets
        )
    return int(args.event_markets)


async def event_phases(args: argparse.Namespace, url: str, registry: BrandRegistry) -> None:
    import graphql  # noqa: PLC0415

    from domain.kernel.pubsub import EventHub  # noqa: PLC0415
    from schema import build_schema  # noqa: PLC0415
    from schema.extensions import graphql_core_schema  # noqa: PLC0415
    from web.graphql import GraphQLContext  # noqa: PLC0415

    db = Database.connect(url, pool_size=4)
    try:
        markets_each = await _seed_events(args, db)
        settings = get_settings()
        schema = build_schema(settings)
        hub = EventHub(settings.database_url or "")
        brand = registry.get(fixtures.BRAND)
        variables = {"after": None}

        async def stakehouse() -> dict[str, Any]:
            context = GraphQLContext(
                db=db, brand=brand, registry=registry, settings=settings, hub=hub,
                request_id="bench", client_address="127.0.0.1", user_agent="bench",
                credentials=None,
            )  # fmt: skip
            result = await schema.execute(EVENTS, variable_values=variables, context_value=context)
            if result.errors or not result.data:
                raise RuntimeError(f"sportsbookEvents failed: {result.errors}")
            return result.data

        # The floor: the same SDL (printed from the Stakehouse schema) built into a plain
        # graphql-core schema with its default resolvers, reading the very data the
        # Stakehouse schema returns, preloaded as dicts (root value). Both parse, validate
        # and execute the same document against a schema of the same types every call.
        data = await stakehouse()
        edges = data["sportsbookEvents"]["edges"]
        if len(edges) != min(20, args.events):
            raise RuntimeError(f"expected {min(20, args.events)} events, got {len(edges)}")
        plain = graphql.build_schema(graphql.print_schema(graphql_core_schema(schema)))

        async def floor() -> None:
            result = await graphql.graphql(
                plain, EVENTS, root_value=data, variable_values=variables
            )
            if result.errors or result.data != data:
                raise RuntimeError(f"the floor's answer differs: {result.errors}")

        async def stakehouse_call() -> None:
            await stakehouse()

        phases: list[tuple[str, Callable[[], Awaitable[None]]]] = [
            ("graphql-core floor", floor),
            ("stakehouse schema", stakehouse_call),
        ]
        for _name, call in phases:  # warm both (caches, JIT-less but import-heavy paths)
            await sequential("warm", call, 20)
        rounds: dict[str, list[Result]] = {name: [] for name, _ in phases}
        profiler = cProfile.Profile() if args.profile else None
        for turn in range(args.rounds):
            for name, call in phases:
                with profiling(profiler if name == "stakehouse schema" else None):
                    rounds[name].append(await sequential(name, call, args.event_calls))
            say(f"  done: events round {turn + 1} of {args.rounds}")
        results = [pooled(name, results) for name, results in rounds.items()]
        outcomes = sum(len(m["outcomes"]) for e in edges for m in e["node"]["markets"])
        say()
        say(f"sportsbookEvents: one caller, {args.rounds} rounds x {args.event_calls} calls; "
            f"page of {len(edges)} events, {markets_each} markets each"
            f"{' (the simulator set)' * args.simulated_markets}, "
            f"{outcomes} outcomes")  # fmt: skip
        floor_result = results[0]
        say(f"{'phase':<24}{'calls':>8}{'calls/s':>10}{'p50 ms':>10}{'p99 ms':>10}{'x floor':>9}")
        for result in results:
            say(
                f"{result.name:<24}{result.count:>8}{result.rate:>10.0f}"
                f"{result.percentile_ms(50):>10.2f}{result.percentile_ms(99):>10.2f}"
                f"{result.percentile_ms(50) / floor_result.percentile_ms(50):>9.2f}"
            )
        ratio = results[1].percentile_ms(50) / floor_result.percentile_ms(50)
        say(f"  goal <= 1.15x the floor (p50): {ratio:.2f}x: "
            f"{'holds' if ratio <= 1.15 else 'does not hold'}")  # fmt: skip
        if profiler is not None:
            save_profile(profiler, args.profile, "events", args.profile_lines)
    finally:
        await db.dispose()


@contextlib.contextmanager
def statement_waits(db: Database, on: bool) -> Iterator[list[tuple[float, str]]]:
    """(client-side wait, SQL) of each statement `db` sends inside the block, when `on`."""
    waits: list[tuple[float, str]] = []
    if not on:
        yield waits
        return

    def before(*event: Any) -> None:
        event[4].bench_started = time.perf_counter()

    def after(*event: Any) -> None:
        waits.append((time.perf_counter() - event[4].bench_started, " ".join(event[2].split())))

    engine = db.engine.sync_engine
    sa_event.listen(engine, "before_cursor_execute", before)
    sa_event.listen(engine, "after_cursor_execute", after)
    try:
        yield waits
    finally:
        sa_event.remove(engine, "before_cursor_execute", before)
        sa_event.remove(engine, "after_cursor_execute", after)


def report_statement_waits(waits: list[tuple[float, str]]) -> None:
    """The one-process domain run's first fifth of statements against its last: a cost per
    chunk that grows with what the run has settled shows as more statements or longer
    waits at the end."""
    fifth = len(waits) // 5
    for name, part in (("first fifth", waits[:fifth]), ("last fifth", waits[-fifth:])):
        by: dict[str, list[float]] = {}
        for wait, sql in part:
            by.setdefault(sql[:60], []).append(wait)
        say(f"  {name} of the domain run's statements ({len(part)}), by client-side wait:")
        for sql, seconds in sorted(by.items(), key=lambda item: -sum(item[1])):
            each = 1000 * sum(seconds) / len(seconds)
            say(f"    {sum(seconds):7.3f}s {len(seconds):5d} x {each:6.2f} ms  {sql}")


# ---- main ------------------------------------------------------------------------------------


@contextlib.contextmanager
def profiling(profiler: cProfile.Profile | None) -> Iterator[None]:
    if profiler is None:
        yield
        return
    profiler.enable()
    try:
        yield
    finally:
        profiler.disable()


def save_profile(profiler: cProfile.Profile, path: str, part: str, lines: int) -> None:
    """Save a part's cProfile stats (`--profile FILE` -> FILE.<part>) and print its top
    functions by own time."""
    import io  # noqa: PLC0415
    import pstats  # noqa: PLC0415

    target = f"{path}.{part}"
    profiler.dump_stats(target)
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(lines)
    say(f"--- profile of the {part} part's measured phase, by tottime; saved to {target}")
    say(out.getvalue())


def parse_arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument(
        "--only", choices=("place", "settle", "events"), action="append",
        help="run only this part (repeatable); default: all three",
    )  # fmt: skip
    parser.add_argument("--loop", choices=("uvloop", "asyncio"), default="uvloop")
    parser.add_argument("--workers", type=int, default=8, help="placeBet: concurrent callers")
    parser.add_argument("--rounds", type=int, default=3, help="turns each phase takes (pooled)")
    parser.add_argument("--duration", type=float, default=2.0, help="placeBet: s per round")
    parser.add_argument("--warmup", type=float, default=1.0, help="placeBet: unmeasured s")
    parser.add_argument("--settle-bets", type=int, default=20_000, help="settlement: bets")
    parser.add_argument("--settle-players", type=int, default=50, help="settlement: players")
    parser.add_argument(
        "--settle-trace",
        action="store_true",
        help="settlement: the one-process domain run's statements, its first fifth vs its last",
    )
    parser.add_argument("--events", type=int, default=25, help="events: events seeded")
    parser.add_argument("--event-markets", type=int, default=3, help="events: markets each")
    parser.add_argument("--event-calls", type=int, default=100, help="events: calls per round")
    parser.add_argument(
        "--simulated-markets", action="store_true",
        help="events: the feed simulator's football matches with all their prematch markets "
        "(through feed processing) instead of --event-markets markets of 3 outcomes",
    )  # fmt: skip
    parser.add_argument(
        "--profile", metavar="FILE",
        help="cProfile the GraphQL phase of events and place, the one-process domain "
             "settlement; stats saved to FILE.<part>",
    )  # fmt: skip
    parser.add_argument("--profile-lines", type=int, default=30, help="profile lines printed")
    return parser.parse_args()


async def main_async(args: argparse.Namespace, url: str) -> None:
    registry = BrandRegistry.load(get_settings().themes_dir)
    parts = args.only or ["events", "place", "settle"]
    db = Database.connect(url, pool_size=1)
    async with db.transaction() as uow:
        await sync_brands(uow, registry)
    await db.dispose()
    # Each part on its own data; events first, while the list holds only its own events.
    if "events" in parts:
        await event_phases(args, url, registry)
    if "place" in parts:
        await place_phases(args, url, registry)
    if "settle" in parts:
        await settle_phases(args, url, registry)


def main() -> None:
    args = parse_arguments()
    os.environ.setdefault("STAKEHOUSE_LOG_LEVEL", "WARNING")
    say(f"sportsbook benchmark: {', '.join(args.only or ['events', 'place', 'settle'])}; "
        f"{os.cpu_count()} CPUs, {args.loop}")  # fmt: skip
    with fixtures.bench_database() as (url, broker_url):
        os.environ["STAKEHOUSE_DATABASE_URL"] = url
        if broker_url:
            os.environ["STAKEHOUSE_BROKER_URL"] = broker_url
        get_settings.cache_clear()
        run(main_async(args, url), args.loop)


if __name__ == "__main__":
    main()
