"""Reporting: what keeping the read model costs the casino bet callback, and how fast the
report query answers on a read model the size 2 million settled bets make.

    .venv/bin/python -m bench.reporting [--workers 8] [--rounds 3] [--duration 3]
                                        [--days 90] [--games 200] [--bets 2000000]
                                        [--queries 30] [--only callback|query]

1. Rollups off / on, alternating rounds in one run: `domain.casino.service.bet` in a unit
   of work, committed, as the callback runs it, from N concurrent workers. Production's
   path after the commit runs beside it in processes of its own: the outbox relay (in
   both phases, as other actors take the same events) and a Dramatiq worker of the
   reporting queue (`reporting.apply_batch`: relay batches through the reporting drain,
   a window's batches in one transaction), resumed for the "on" phases only, so they
   compete for the same CPUs and database, as pods would. The bet path itself carries no
   reporting statement either way. Prints bets/s of both and the ratio (goal >= 0.9),
   and how many of the "on" bets the worker had applied by the phase's end.
2. The report query: the read model is filled with the rows `--bets` bets over `--days`
   days on `--games` games of one brand produce (one row per day and game: the read model
   grows with days x games, not with bets), then "GGR by day x game for one brand, one
   month" runs `--queries` times over HTTP through GraphQL as a finance staff member;
   prints the rows, the lines answered and p50/p99 of a dashboard's page (the API's
   default of 100 lines: the goal's figure), of the first page at the API's most (500
   lines) and of walking every page of the month.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import statistics
import subprocess
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import httpx
from sqlalchemy import text

from bench import fixtures
from bench.casino_bet import Bets, domain_operation
from bench.ledger_debit import Result, pooled, run, run_phase, say
from domain.brands.service import BrandRegistry
from domain.kernel.db import Database
from domain.kernel.settings import get_settings
from domain.reporting.formula import Formula
from domain.reporting.queries import Dimension, ReportRequest
from domain.reporting.queries import report as report_query
from workers.groups import queues_of
from workers.runtime import WORKER_THREADS_ENV

OFF, ON = "rollups off", "rollups on"
RATIO_GOAL = 0.9
P50_GOAL_MS = 50.0
# The reporting worker's threads, as k8s/base/workers/reporting runs it.
WORKER_THREADS = 8
# A dashboard's page: the API's default `first` (the most a page may ask is 500; the
# bench times that too, and walks the month 500 lines a page).
DASHBOARD_PAGE = 100
# How long the reporting worker may take to boot and apply the prime phase's bets (its
# imports alone take over 30 s on a loaded 2-core machine).
CATCH_UP_TIMEOUT_ENV = "STAKEHOUSE_BENCH_CATCH_UP_TIMEOUT_S"
CATCH_UP_TIMEOUT_S = float(os.environ.get(CATCH_UP_TIMEOUT_ENV, "180"))
REPORT = """query($from: Date!, $to: Date!, $after: String, $first: Int!) {
  report(from: $from, to: $to, dimensions: [DAY, GAME], first: $first, after: $after) {
    lines { day game bets ggr { amount } } hasNextPage endCursor } }"""


# ---- production's path after the commit: the relay, and a reporting worker -------------------


async def relay_loop(url: str) -> None:
    """The outbox relay as `stakehouse relay` runs it (NOTIFY-woken, the relay's batches,
    the real broker), until SIGTERM."""
    # Imported here, in the relay's process: the relay module declares the actors, which
    # configure the broker (the parent's, by the environment it passes on).
    from workers.relay import run_relay  # noqa: PLC0415

    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    db = Database.connect(url, pool_size=2)
    try:
        await run_relay(db, url, stop)
    finally:
        await db.dispose()


def start_relay(url: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(  # noqa: S603 (this interpreter, this module)
        [sys.executable, "-m", "bench.reporting", "--relay-loop", url]
    )


def start_worker() -> subprocess.Popen[bytes]:
    """A Dramatiq worker of the reporting queue group as its Deployment runs it
    (`stakehouse worker --group reporting --processes 1 --threads 8`), in a process
    group of its own so it can be stopped and resumed whole."""
    command = [sys.executable, "-m", "dramatiq", "workers.actors", "--processes", "1"]
    command += ["--threads", str(WORKER_THREADS), "--queues", *queues_of("reporting")]
    env = {**os.environ, WORKER_THREADS_ENV: str(WORKER_THREADS)}
    return subprocess.Popen(command, start_new_session=True, env=env)  # noqa: S603 (this interpreter)


def group_cpu_s(process: subprocess.Popen[bytes]) -> float:
    """CPU seconds (user + system) the process group has used so far (Linux /proc)."""
    ticks = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        # After the command: state, ppid, pgrp, ..., utime (12th), stime (13th).
        if int(fields[2]) == process.pid:
            ticks += int(fields[11]) + int(fields[12])
    return ticks / os.sysconf("SC_CLK_TCK")


async def applied_sources(db: Database) -> int:
    async with db.uow() as uow:
        return int(await uow.session.scalar(text("SELECT count(*) FROM reporting_applied")) or 0)


def signal_group(process: subprocess.Popen[bytes], signum: signal.Signals) -> None:
    os.killpg(process.pid, signum)


def stop_process(process: subprocess.Popen[bytes], *, group: bool = False) -> None:
    if group:
        signal_group(process, signal.SIGCONT)
        signal_group(process, signal.SIGTERM)
    else:
        process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        if group:
            signal_group(process, signal.SIGKILL)
        else:
            process.kill()
        process.wait()


async def applied_share(db: Database, since_outbox_id: int) -> tuple[int, int]:
    """(balance events since the id, how many of them the read model has applied)."""
    async with db.uow() as uow:
        row = (
            await uow.session.execute(
                text(
                    "SELECT count(*), count(a.source) FROM outbox_events o "
                    "LEFT JOIN reporting_applied a ON a.source = 'ledger:' || "
                    "(o.payload ->> 'transaction_id') "
                    "WHERE o.id > :since AND o.topic = 'wallets.balance_changed' "
                    "AND o.payload ->> 'kind' = 'casino.bet'"
                ),
                {"since": since_outbox_id},
            )
        ).one()
    return int(row[0]), int(row[1])


async def caught_up(
    db: Database, since: int, processes: dict[str, subprocess.Popen[bytes]]
) -> None:
    """Wait until the reporting worker has applied every bet since the outbox id, at most
    CATCH_UP_TIMEOUT_S, failing at once if one of `processes` (the relay, the worker, by name)
    has exited: every wait of the bench ends, with an error naming what it waited for."""
    deadline = time.perf_counter() + CATCH_UP_TIMEOUT_S
    produced = applied = 0
    while time.perf_counter() < deadline:
        check_running(processes)
        produced, applied = await applied_share(db, since)
        if produced and applied == produced:
            return
        await asyncio.sleep(0.5)
    published = await published_bets(db, since)
    raise RuntimeError(
        f"waited {CATCH_UP_TIMEOUT_S:.0f} s for the reporting worker to apply the prime "
        f"phase's bets: {applied} of {produced} applied, {published} published by the relay "
        f"(set {CATCH_UP_TIMEOUT_ENV} for a slower machine)"
    )


def check_running(processes: dict[str, subprocess.Popen[bytes]]) -> None:
    for name, process in processes.items():
        if process.poll() is not None:
            raise RuntimeError(f"{name} (pid {process.pid}) exited with {process.returncode}")


async def published_bets(db: Database, since_outbox_id: int) -> int:
    async with db.uow() as uow:
        return int(
            await uow.session.scalar(
                text(
                    "SELECT count(*) FROM outbox_events WHERE id > :since "
                    "AND topic = 'wallets.balance_changed' AND published_at IS NOT NULL "
                    "AND payload ->> 'kind' = 'casino.bet'"
                ),
                {"since": since_outbox_id},
            )
            or 0
        )


async def last_outbox_id(db: Database) -> int:
    async with db.uow() as uow:
        return int(
            await uow.session.scalar(text("SELECT coalesce(max(id), 0) FROM outbox_events")) or 0
        )


async def callback_phases(
    args: argparse.Namespace, url: str
) -> tuple[list[Result], tuple[int, int]]:
    registry = BrandRegistry.load(get_settings().themes_dir)
    brand = registry.get(fixtures.BRAND)
    db = Database.connect(url, pool_size=args.workers + 2)
    try:
        bets = Bets(await fixtures.prepare_casino(db, registry, args.workers))
        operation = domain_operation(db, brand, bets)
        timing = {"workers": args.workers, "warmup_s": args.warmup, "duration_s": args.duration}
        await run_phase("prime", operation, **{**timing, "duration_s": 2.0})
        # The relay runs throughout, as in production (other actors take the same
        # events), so both phases pay for it. The reporting worker starts once (imports
        # take seconds on a busy machine, and a starting process is no steady state),
        # catches up with the prime phase, then only runs during the "on" phases: its
        # process group is stopped (SIGSTOP) and resumed (SIGCONT) around them. Resumed,
        # it also applies what the "off" phase before left: a pessimistic "on".
        relay = start_relay(url)
        worker = start_worker()
        rounds: dict[str, list[Result]] = {OFF: [], ON: []}
        on_share = (0, 0)
        try:
            children = {"the outbox relay": relay, "the reporting worker": worker}
            await caught_up(db, 0, children)
            signal_group(worker, signal.SIGSTOP)
            # From here on, what the worker spends is applying events, not booting.
            cpu_s, applied = group_cpu_s(worker), await applied_sources(db)
            for turn in range(args.rounds):
                rounds[OFF].append(await run_phase(OFF, operation, **timing))
                since = await last_outbox_id(db)
                signal_group(worker, signal.SIGCONT)
                try:
                    rounds[ON].append(await run_phase(ON, operation, **timing))
                    share = await applied_share(db, since)
                finally:
                    signal_group(worker, signal.SIGSTOP)
                on_share = (on_share[0] + share[0], on_share[1] + share[1])
                # A round without the relay or the worker measures nothing.
                check_running(children)
                say(f"  done: round {turn + 1} of {args.rounds}")
            cpu_s = group_cpu_s(worker) - cpu_s
            applied = await applied_sources(db) - applied
            async with db.uow() as uow:
                # A relay batch is marked published by one statement: one timestamp.
                events, batches = (
                    await uow.session.execute(
                        text(
                            "SELECT count(*), count(DISTINCT published_at) FROM outbox_events "
                            "WHERE topic = 'wallets.balance_changed'"
                        )
                    )
                ).one()
            say(f"relay: {events} balance events in {batches} batches (messages)")
            say(
                f"reporting worker: {cpu_s:.2f} CPU s for {applied} ledger transactions "
                f"applied during the rounds: {cpu_s * 1e6 / max(applied, 1):.0f} CPU us each"
            )
        finally:
            stop_process(worker, group=True)
            stop_process(relay)
        return [pooled(name, results) for name, results in rounds.items()], on_share
    finally:
        await db.dispose()


# ---- the report query ------------------------------------------------------------------------

FILL = """
INSERT INTO reporting_daily (day, brand, product, game, provider, sport, competition,
                             market_type, currency, bets, stakes_minor, wins_minor,
                             active_players)
SELECT CAST(:last AS date) - d, :brand, 'casino', 'game-' || g, 'bench-provider', '', '', '',
       'EUR', c.bets, c.bets * 100, c.bets * 96, 20
  FROM generate_series(0, CAST(:days AS int) - 1) AS d,
       generate_series(1, CAST(:games AS int)) AS g,
       (SELECT CAST(:bets_per_cell AS bigint) AS bets) AS c
"""


async def fill_read_model(url: str, args: argparse.Namespace) -> tuple[int, date]:
    db = Database.connect(url, pool_size=1)
    last = datetime.now(UTC).date()
    try:
        async with db.transaction() as uow:
            await uow.session.execute(
                text(FILL),
                {
                    "last": last, "brand": fixtures.BRAND, "days": args.days,
                    "games": args.games, "bets_per_cell": args.bets // (args.days * args.games),
                },
            )  # fmt: skip
            await uow.session.execute(text("ANALYZE reporting_daily"))
            rows = int(await uow.session.scalar(text("SELECT count(*) FROM reporting_daily")) or 0)
        return rows, last
    finally:
        await db.dispose()


async def query_phase(
    base_url: str, token: str, last: date, queries: int
) -> tuple[list[float], list[float], list[float], int]:
    month_from = last - timedelta(days=29)
    headers = {
        "host": f"{fixtures.BRAND}.localhost",
        "content-type": "application/json",
        "authorization": f"Bearer {token}",
    }
    dashboard: list[float] = []
    first_page: list[float] = []
    whole_month: list[float] = []
    lines = 0
    async with httpx.AsyncClient(base_url=base_url, headers=headers, timeout=60) as client:

        async def page(after: str | None, first: int = 500) -> dict[str, object]:
            variables = {
                "from": month_from.isoformat(), "to": last.isoformat(), "after": after,
                "first": first,
            }  # fmt: skip
            response = await client.post("/graphql", json={"query": REPORT, "variables": variables})
            body = response.json()
            assert "errors" not in body, body
            return body["data"]["report"]  # type: ignore[no-any-return]

        await page(None)  # warm the connection and the statement cache
        await page(None, DASHBOARD_PAGE)
        for _ in range(queries):
            started = time.perf_counter()
            await page(None, DASHBOARD_PAGE)
            dashboard.append((time.perf_counter() - started) * 1000)
            started = time.perf_counter()
            answer = await page(None)
            first_page.append((time.perf_counter() - started) * 1000)
            count = len(answer["lines"])  # type: ignore[arg-type]
            while answer["hasNextPage"]:
                answer = await page(str(answer["endCursor"]))
                count += len(answer["lines"])  # type: ignore[arg-type]
            whole_month.append((time.perf_counter() - started) * 1000)
            lines = count
    return dashboard, first_page, whole_month, lines


async def domain_query(url: str, last: date, queries: int) -> tuple[list[float], list[float]]:
    """The same month through `domain.reporting.queries.report` alone (SQL and the rows'
    assembly, no GraphQL): where the time goes."""
    db = Database.connect(url, pool_size=1)
    dims = (Dimension.DAY, Dimension.GAME)
    first_page: list[float] = []
    whole_month: list[float] = []
    try:
        for _ in range(queries + 1):
            started = time.perf_counter()
            after = None
            pages = 0
            while True:
                request = ReportRequest(
                    fixtures.BRAND, last - timedelta(days=29), last, dims, first=500, after=after
                )
                async with db.uow() as uow:
                    page = await report_query(uow, request, Formula())
                pages += 1
                if pages == 1:
                    first_page.append((time.perf_counter() - started) * 1000)
                if not page.has_next_page:
                    break
                after = page.rows[-1].cursor
            whole_month.append((time.perf_counter() - started) * 1000)
    finally:
        await db.dispose()
    # The first run warms the connection and the statement cache.
    return first_page[1:], whole_month[1:]


def percentile(values: list[float], share: int) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[share - 1]


async def staff_token(url: str) -> str:
    db = Database.connect(url, pool_size=1)
    try:
        return await fixtures._staff_token(db)
    finally:
        await db.dispose()


def parse_arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--relay-loop", metavar="URL", help=argparse.SUPPRESS)
    parser.add_argument("--workers", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--duration", type=float, default=3.0)
    parser.add_argument("--warmup", type=float, default=1.0)
    parser.add_argument("--days", type=int, default=90)
    parser.add_argument("--games", type=int, default=200)
    parser.add_argument("--bets", type=int, default=2_000_000)
    parser.add_argument("--queries", type=int, default=30)
    parser.add_argument("--loop", choices=("uvloop", "asyncio"), default="uvloop")
    parser.add_argument(
        "--only", choices=("callback", "query"), help="run one part (default: both)"
    )
    return parser.parse_args()


def main() -> None:
    args = parse_arguments()
    os.environ.setdefault("STAKEHOUSE_LOG_LEVEL", "WARNING")
    if args.relay_loop:
        run(relay_loop(args.relay_loop), args.loop)
        return
    # Stopped (Ctrl-C, SIGTERM), it still stops its relay and worker (the worker may be
    # SIGSTOPped, holding what it fetched) and drops its database: unwind, not die.
    signal.signal(signal.SIGTERM, _exit_on_sigterm)
    say(
        f"reporting benchmark: {args.workers} workers, {args.rounds} rounds of {args.duration}s "
        f"per phase; read model of {args.bets} bets over {args.days} days x {args.games} games; "
        f"{os.cpu_count()} CPUs"
    )
    with fixtures.bench_database() as (url, broker_url):
        os.environ["STAKEHOUSE_DATABASE_URL"] = url
        if broker_url:
            os.environ["STAKEHOUSE_BROKER_URL"] = broker_url
        get_settings.cache_clear()
        if args.only in (None, "callback"):
            # Printed at once: the query part starts an app server, which a loaded machine
            # may fail to bring up in time, and this part's figures stand on their own.
            say_callback(*run(callback_phases(args, url), args.loop))
        if args.only in (None, "query"):
            query_part(args, url, broker_url)


def _exit_on_sigterm(signum: int, frame: object) -> None:
    raise SystemExit(128 + signum)


def say_callback(results: list[Result], on_share: tuple[int, int]) -> None:
    by_name = {result.name: result for result in results}
    say()
    say(f"{'phase':<14}{'calls':>8}{'bets/s':>9}{'p50 ms':>9}{'p99 ms':>9}")
    for result in results:
        say(
            f"{result.name:<14}{result.count:>8}{result.rate:>9.0f}"
            f"{result.percentile_ms(50):>9.2f}{result.percentile_ms(99):>9.2f}"
        )
    say(f"on / off        {by_name[ON].rate / by_name[OFF].rate:.2f}   (goal >= {RATIO_GOAL})")
    say(f"applied by the end of the 'on' phases: {on_share[1]} of {on_share[0]} bets")
    say(f"load average {' '.join(f'{v:.1f}' for v in os.getloadavg())}")


def query_part(args: argparse.Namespace, url: str, broker_url: str | None) -> None:
    rows, last = run(fill_read_model(url, args), args.loop)
    token = run(staff_token(url), args.loop)
    domain_first, domain_month = run(domain_query(url, last, args.queries), args.loop)
    with fixtures.app_server(url, broker_url) as base_url:
        dashboard, first_page, whole_month, lines = run(
            query_phase(base_url, token, last, args.queries), args.loop
        )
    say()
    say(
        f"read model: {rows} rows ({args.days} days x {args.games} games, "
        f"{args.bets} bets); GGR by day x game, one brand, one month = {lines} lines"
    )
    say(
        f"dashboard page ({DASHBOARD_PAGE} lines): p50 {percentile(dashboard, 50):.1f} ms, "
        f"p99 {percentile(dashboard, 99):.1f} ms (goal p50 <= {P50_GOAL_MS:.0f} ms)"
    )
    say(
        f"first page (500 lines, the API's most): p50 {percentile(first_page, 50):.1f} ms, "
        f"p99 {percentile(first_page, 99):.1f} ms"
    )
    say(
        f"  the domain query alone: first page p50 {percentile(domain_first, 50):.1f} ms, "
        f"whole month p50 {percentile(domain_month, 50):.1f} ms (SQL and rows, no GraphQL)"
    )
    say(
        f"whole month ({-(-lines // 500)} pages): p50 {percentile(whole_month, 50):.1f} ms, "
        f"p99 {percentile(whole_month, 99):.1f} ms"
    )
    say(f"load average {' '.join(f'{v:.1f}' for v in os.getloadavg())}")


if __name__ == "__main__":
    main()
