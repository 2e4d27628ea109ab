"""Debit throughput of the ledger, from the SQL function up to the GraphQL API.

    .venv/bin/python -m bench.ledger_debit [--workers 16] [--duration 5] [--profile graphql]

Phases, on one database in one run, each with N concurrent workers debiting one minor unit
per call under distinct idempotency keys, after a warm-up:

  raw asyncpg        the SQL the domain sends (`SELECT stakehouse_post(...)`, compiled by
                     SQLAlchemy exactly as `ledger.post` sends it), one statement, autocommit
  raw asyncpg + tx   the same inside BEGIN/COMMIT, as a unit of work runs it
  domain transfer    `wallets.service.transfer` in a unit of work (SQLAlchemy session)
  graphql in process `adjustBalance` (DEBIT) through `schema.execute` with the context
                     web/graphql.py builds: authentication, resolvers, audit row
  graphql over http  the same mutation over HTTP/1.1 keep-alive to the app under uvicorn
                     in a child process (its outbox relay running, as in production)

See bench/README.md for how to read the figures.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import cProfile
import io
import itertools
import json
import os
import pstats
import statistics
import sys
import time
from collections.abc import Awaitable, Callable, Coroutine, Iterator
from dataclasses import dataclass
from typing import Any, TypeVar

import asyncpg
import httpx
from sqlalchemy.dialects import postgresql
from strawberry.relay import to_base64

from bench import fixtures
from domain.brands.service import BrandRegistry
from domain.kernel.db import Database, plain_url
from domain.kernel.settings import get_settings
from domain.wallets import ledger
from domain.wallets.ledger import IdempotencyScope, Leg
from domain.wallets.service import transfer

Operation = Callable[[int, str], Awaitable[None]]

ADJUST = """
mutation Debit($input: AdjustBalanceInput!) {
  adjustBalance(input: $input) {
    wallet { kind balance { amount currency } }
    transactionId
    errors { code field message }
  }
}
"""
PRIME_S = 3.0
_KEYS = itertools.count()
T = TypeVar("T")
NO_AUDIT = "graphql, no audit row"
# What the domain sends, compiled by the same dialect; asyncpg then sees this exact text.
POST_SQL = str(ledger._POST.compile(dialect=postgresql.asyncpg.dialect()))  # type: ignore[no-untyped-call]


@dataclass(frozen=True)
class Result:
    name: str
    count: int
    elapsed_s: float
    latencies_ms: list[float]

    @property
    def rate(self) -> float:
        return self.count / self.elapsed_s

    def percentile_ms(self, share: int) -> float:
        return statistics.quantiles(self.latencies_ms, n=100, method="inclusive")[share - 1]


def pooled(name: str, results: list[Result]) -> Result:
    return Result(
        name,
        sum(result.count for result in results),
        sum(result.elapsed_s for result in results),
        [latency for result in results for latency in result.latencies_ms],
    )


def say(line: str = "") -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


async def run_phase(
    name: str, operation: Operation, *, workers: int, warmup_s: float, duration_s: float
) -> Result:
    """Call `operation(worker, key)` from `workers` loops: `warmup_s` unmeasured, then
    `duration_s` measured (calls that start in the window count, whenever they end)."""
    latencies: list[float] = []
    started = time.perf_counter()
    window = (started + warmup_s, started + warmup_s + duration_s)

    async def worker(index: int) -> None:
        while (begin := time.perf_counter()) < window[1]:
            # One counter for the whole run: every call, in every round, debits under a new
            # key (a repeated key would be a cheap replay, not a debit).
            await operation(index, f"{name.replace(' ', '-')}-{index}-{next(_KEYS)}")
            if begin >= window[0]:
                latencies.append((time.perf_counter() - begin) * 1000)

    await asyncio.gather(*(worker(index) for index in range(workers)))
    elapsed = time.perf_counter() - window[0]
    return Result(name, len(latencies), elapsed, latencies)


def raw_operation(pool: asyncpg.Pool, fx: fixtures.Fixtures, *, in_transaction: bool) -> Operation:
    scope = str(IdempotencyScope("bench", "debit"))

    async def debit(worker: int, key: str) -> None:
        player = fx.players[worker % len(fx.players)]
        legs = [Leg(player.cash_account, -1), Leg(fx.wagers_account, 1)]
        arguments = (
            fixtures.BRAND, scope, key, ledger.request_hash("stake", legs, {}), "stake",
            "{}", [leg.account_id for leg in legs], [leg.amount_minor for leg in legs],
        )  # fmt: skip
        async with pool.acquire() as connection:
            if in_transaction:
                async with connection.transaction():
                    await connection.fetchval(POST_SQL, *arguments)
            else:
                await connection.fetchval(POST_SQL, *arguments)

    return debit


def domain_operation(db: Database, fx: fixtures.Fixtures) -> Operation:
    scope = IdempotencyScope("bench", "debit")

    async def debit(worker: int, key: str) -> None:
        player = fx.players[worker % len(fx.players)]
        async with db.uow() as uow:
            await transfer(
                uow, brand=fixtures.BRAND, kind="stake", source=player.cash_account,
                destination=fx.wagers_account, amount_minor=1, scope=scope, key=key,
            )  # fmt: skip
            await uow.commit()

    return debit


def adjust_variables(fx: fixtures.Fixtures, worker: int, key: str) -> dict[str, Any]:
    player = fx.players[worker % len(fx.players)]
    return {
        "input": {
            "playerId": to_base64("Player", str(player.id)),
            "wallet": "CASH",
            "direction": "DEBIT",
            "amount": {"amount": "0.01", "currency": fixtures.CURRENCY},
            "reason": "benchmark",
            "idempotencyKey": key,
        }
    }


def check_payload(data: dict[str, Any] | None, errors: object) -> None:
    # A benchmark of refusals would measure nothing: every call must have debited.
    payload = (data or {}).get("adjustBalance") or {}
    if errors or payload.get("errors") or not payload.get("transactionId"):
        raise RuntimeError(f"adjustBalance failed: {errors or payload}")


def graphql_operation(db: Database, registry: BrandRegistry, fx: fixtures.Fixtures) -> Operation:
    from domain.accounts.models import SessionTransport  # noqa: PLC0415
    from domain.kernel.pubsub import EventHub  # noqa: PLC0415
    from resolvers.context import Credentials  # noqa: PLC0415
    from schema import build_schema  # noqa: PLC0415
    from web.graphql import GraphQLContext  # noqa: PLC0415

    settings = get_settings()
    schema = build_schema(settings)
    # Never started: only subscriptions use it, and this is a mutation.
    hub = EventHub(settings.database_url or "")

    async def debit(worker: int, key: str) -> None:
        context = GraphQLContext(
            db=db, brand=registry.get(fixtures.BRAND), registry=registry, settings=settings,
            hub=hub, request_id=key, client_address="127.0.0.1", user_agent="bench",
            credentials=Credentials(fx.staff_token, SessionTransport.BEARER),
        )  # fmt: skip
        result = await schema.execute(
            ADJUST, variable_values=adjust_variables(fx, worker, key), context_value=context
        )
        check_payload(result.data, result.errors)

    return debit


@contextlib.contextmanager
def audit_skipped() -> Iterator[None]:
    """A diagnostic only: adjustments without their audit row (nor the audit chain's global
    lock), to show what the audit costs. Never a way to run the platform."""
    from domain.wallets import adjustments  # noqa: PLC0415

    async def skip_audit(*_args: object, **_kwargs: object) -> None:
        return None

    original = adjustments._audit
    adjustments._audit = skip_audit
    try:
        yield
    finally:
        adjustments._audit = original


def http_operation(client: httpx.AsyncClient, fx: fixtures.Fixtures) -> Operation:
    async def debit(worker: int, key: str) -> None:
        body = {"query": ADJUST, "variables": adjust_variables(fx, worker, key)}
        response = await client.post("/graphql", content=json.dumps(body))
        reply = response.json()
        check_payload(reply.get("data"), reply.get("errors"))

    return debit


def report(results: list[Result]) -> None:
    ceiling = results[0].rate
    say(f"{'phase':<28}{'calls':>8}{'tx/s':>10}{'p50 ms':>10}{'p99 ms':>10}{'x raw':>8}")
    for result in results:
        say(
            f"{result.name:<28}{result.count:>8}{result.rate:>10.0f}"
            f"{result.percentile_ms(50):>10.2f}{result.percentile_ms(99):>10.2f}"
            f"{result.rate / ceiling:>8.2f}"
        )


def print_profile(profiler: cProfile.Profile, limit: int, path: str | None) -> None:
    if path:
        profiler.dump_stats(path)
    for key in ("tottime", "cumulative"):
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats(key).print_stats(limit)
        say(f"--- profile of the in-process GraphQL phase, by {key} ---")
        say(out.getvalue())


async def in_process_phases(
    args: argparse.Namespace, url: str, fx_holder: list[fixtures.Fixtures]
) -> list[Result]:
    registry = BrandRegistry.load(get_settings().themes_dir)
    # Pools as big as the concurrency: the benchmark measures work, not waiting for a
    # connection (the app's pool is sized by STAKEHOUSE_DATABASE_POOL_SIZE the same way).
    db = Database.connect(url, pool_size=args.workers)
    pool = await asyncpg.create_pool(plain_url(url), min_size=args.workers, max_size=args.workers)
    try:
        fx = await fixtures.prepare(db, registry, args.workers)
        fx_holder.append(fx)
        timing = {"workers": args.workers, "warmup_s": args.warmup, "duration_s": args.duration}
        phases: list[tuple[str, Operation]] = [
            ("raw asyncpg", raw_operation(pool, fx, in_transaction=False)),
            ("raw asyncpg + tx", raw_operation(pool, fx, in_transaction=True)),
            ("domain transfer", domain_operation(db, fx)),
            ("graphql in process", graphql_operation(db, registry, fx)),
        ]
        if args.diagnose_audit:
            phases.append((NO_AUDIT, graphql_operation(db, registry, fx)))
        # The first minutes of a fresh database are slower (catalog caches, table and
        # index growth, autovacuum): prime it, unmeasured, so the first phase is not
        # penalised against the others.
        await run_phase("prime", phases[0][1], **{**timing, "duration_s": PRIME_S})
        # Phases take turns, round after round, and each phase's rounds are pooled: a load
        # that comes and goes on the machine then weighs on every phase alike, instead of
        # on whichever phase happened to run during it.
        rounds: dict[str, list[Result]] = {name: [] for name, _ in phases}
        for turn in range(args.rounds):
            for name, operation in phases:
                profiled = args.profile and name.startswith("graphql") and turn == 0
                profiler = cProfile.Profile() if profiled else None
                if profiler:
                    profiler.enable()
                with audit_skipped() if name == NO_AUDIT else contextlib.nullcontext():
                    rounds[name].append(await run_phase(name, operation, **timing))
                if profiler:
                    profiler.disable()
                    print_profile(profiler, args.profile_lines, args.profile_file)
            say(f"  done: round {turn + 1} of {args.rounds}")
        return [pooled(name, results) for name, results in rounds.items()]
    finally:
        await pool.close()
        await db.dispose()


async def http_phase(args: argparse.Namespace, base_url: str, fx: fixtures.Fixtures) -> Result:
    limits = httpx.Limits(max_connections=args.workers, max_keepalive_connections=args.workers)
    headers = {
        "host": "aurora.localhost",
        "content-type": "application/json",
        "authorization": f"Bearer {fx.staff_token}",
    }
    async with httpx.AsyncClient(
        base_url=base_url, headers=headers, limits=limits, timeout=30
    ) as client:
        return await run_phase(
            "graphql over http",
            http_operation(client, fx),
            workers=args.workers,
            warmup_s=args.warmup,
            duration_s=args.duration,
        )


def parse_arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workers", type=int, default=16, help="concurrent callers")
    parser.add_argument(
        "--loop", choices=("uvloop", "asyncio"), default="uvloop", help="the event loop"
    )
    parser.add_argument(
        "--rounds", type=int, default=3, help="turns each in-process phase takes (pooled)"
    )
    parser.add_argument(
        "--duration", type=float, default=2.0, help="measured seconds per phase and round"
    )
    parser.add_argument("--warmup", type=float, default=1.0, help="unmeasured seconds first")
    parser.add_argument("--no-http", action="store_true", help="skip the HTTP phase")
    parser.add_argument(
        "--profile", action="store_true", help="cProfile the in-process GraphQL phase"
    )
    parser.add_argument(
        "--diagnose-audit",
        action="store_true",
        help="add a phase without the audit row, to measure what the audit costs",
    )
    parser.add_argument("--profile-lines", type=int, default=30)
    parser.add_argument("--profile-file", help="also save the profile (pstats) to this file")
    return parser.parse_args()


def run(coroutine: Coroutine[Any, Any, T], loop: str) -> T:
    """Run on the event loop the app runs on: uvicorn picks uvloop when it is installed."""
    if loop == "uvloop":
        import uvloop  # noqa: PLC0415

        return uvloop.run(coroutine)
    return asyncio.run(coroutine)


def main() -> None:
    args = parse_arguments()
    os.environ.setdefault("STAKEHOUSE_LOG_LEVEL", "WARNING")
    say(f"ledger debit benchmark: {args.workers} workers, {args.rounds} rounds of "
        f"{args.duration}s per phase, {args.warmup}s warm-up, {os.cpu_count()} CPUs")  # fmt: skip
    with fixtures.bench_database() as (url, broker_url):
        # Settings are read once per process: point them at this run's database first.
        os.environ["STAKEHOUSE_DATABASE_URL"] = url
        if broker_url:
            os.environ["STAKEHOUSE_BROKER_URL"] = broker_url
        get_settings.cache_clear()
        prepared: list[fixtures.Fixtures] = []
        results = run(in_process_phases(args, url, prepared), args.loop)
        if not args.no_http:
            with fixtures.app_server(url, broker_url) as base_url:
                results.append(run(http_phase(args, base_url, prepared[0]), args.loop))
                say("  done: graphql over http")
    say()
    report(results)


if __name__ == "__main__":
    main()
