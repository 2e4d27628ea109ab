"""Throughput and latency of the casino `bet` wallet callback, from its SQL up to the signed
HTTP callback, in one run.

    .venv/bin/python -m bench.casino_bet [--workers 16] [--rounds 3] [--duration 2]
                                         [--rate 300] [--open-loop-duration 5]
                                         [--profile-server /tmp/server.prof]

Phases, on one database in one run, each staking one minor unit per call under a fresh
transaction id (and round) from a funded player's live game session:

  raw asyncpg       the two statements the bet path sends (the context read and
                    `SELECT stakehouse_casino_bet(...)`, compiled by SQLAlchemy exactly as
                    `domain.casino.repository` sends them, with the arguments the service
                    computes) in BEGIN/COMMIT on a plain asyncpg pool: the ceiling
  domain bet        `domain.casino.service.bet` in a unit of work, committed, as the
                    callback endpoint runs it
  http callback     `POST /providers/{provider}/wallet/bet`, signed, over HTTP/1.1 keep-alive
                    to the app under uvicorn in a child process; closed loop, N workers
  minimal asgi      the same signed callback, same client, to a minimal ASGI app
                    (bench/casino_asgi.py) under the same uvicorn, running raw's SQL: the
                    transport's ceiling, the goal's denominator
  http open loop    the same callback at a fixed arrival rate (`--rate`; by default half
                    the rate raw asyncpg sustained in the same round)
                    for `--open-loop-duration` s: latency from each call's scheduled start,
                    so a server that falls behind shows it in the percentiles

The closed-loop phases take turns for `--rounds` rounds (pooled per phase); the open-loop
phase runs once per round after them. See bench/README.md for how to read the figures.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import pstats
import resource
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import httpx

from bench import fixtures
from bench.ledger_debit import PRIME_S, Result, pooled, run, run_phase, say
from domain.brands.service import Brand, BrandRegistry
from domain.casino import repository
from domain.casino.protocol import WalletOperation, WalletRequest
from domain.casino.service import bet
from domain.casino.service.common import consumption_order
from domain.casino.service.launch import token_hash
from domain.casino.service.wallet import _bet_parameters
from domain.casino.signatures import SIGNATURE_HEADER, signature_header
from domain.kernel.db import Database, plain_url
from domain.kernel.settings import DEV_CASINO_PROVIDER_SECRET, get_settings
from domain.wallets.models import HouseAccountKind

Operation = Callable[[int, str], Awaitable[None]]

RAW = "raw asyncpg"
DOMAIN = "domain bet"
HTTP = "http callback"
ASGI = "minimal asgi"
OPEN_LOOP = "http open loop"
# The goals: the callback at >= 0.7x the minimal ASGI app running the same SQL under
# the same server and client, and p99 <= 15 ms under an open loop at half raw's rate.
RATIO_GOAL = 0.7
P99_GOAL_MS = 15.0
APP_MARKER = b"web.cli:asgi_app"
ASGI_MARKER = b"bench.casino_asgi"
HOST = f"{fixtures.BRAND}.localhost"


# The text asyncpg receives and the parameters' names in `$n` order, exactly as the bet
# path sends them (precompiled in domain/casino/repository.py).
CONTEXT_SQL, CONTEXT_PARAMETERS = repository.BET_CONTEXT.sql, repository.BET_CONTEXT.names
BET_SQL, BET_PARAMETERS = repository.BET.sql, repository.BET.names


@dataclass(frozen=True)
class CpuSample:
    bench_s: float
    server_s: float
    machine_busy_s: float


def _ticks_s(fields: list[str]) -> float:
    return sum(int(field) for field in fields) / os.sysconf("SC_CLK_TCK")


def _server_pid(marker: bytes = APP_MARKER) -> int | None:
    """A server of this run: this process's child running uvicorn on the app `marker` names."""
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError):
            stat = (entry / "stat").read_text()
            parent = int(stat.rsplit(")", 1)[1].split()[1])
            if parent == os.getpid() and marker in (entry / "cmdline").read_bytes():
                return int(entry.name)
    return None


def cpu_sample(server_pid: int | None) -> CpuSample:
    """CPU seconds so far: this process, the app server, and the whole machine busy (all
    processes: PostgreSQL, and whatever else runs on the machine)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    server = 0.0
    if server_pid is not None:
        with contextlib.suppress(OSError):
            fields = Path(f"/proc/{server_pid}/stat").read_text().rsplit(")", 1)[1].split()
            server = _ticks_s(fields[11:13])
    # /proc/stat "cpu": user nice system idle iowait irq softirq steal ...
    machine = Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]
    busy = _ticks_s(machine[0:3] + machine[5:8])
    return CpuSample(usage.ru_utime + usage.ru_stime, server, busy)


@dataclass
class CpuUse:
    """CPU seconds a phase used (warm-up included), and the bets it placed meanwhile."""

    bench_s: float = 0.0
    server_s: float = 0.0
    machine_busy_s: float = 0.0
    bets: int = 0

    @contextlib.contextmanager
    def measure(self, server_pid: int | None, bets: Bets) -> Iterator[None]:
        before, issued = cpu_sample(server_pid), bets.issued
        yield
        after = cpu_sample(server_pid)
        self.bench_s += after.bench_s - before.bench_s
        self.server_s += after.server_s - before.server_s
        self.machine_busy_s += after.machine_busy_s - before.machine_busy_s
        self.bets += bets.issued - issued

    def per_bet_ms(self) -> tuple[float, float, float]:
        """(bench, app server, everything else: PostgreSQL and the rest of the machine)."""
        bets = max(self.bets, 1)
        rest = self.machine_busy_s - self.bench_s - self.server_s
        return (self.bench_s * 1000 / bets, self.server_s * 1000 / bets, rest * 1000 / bets)


class BetRefused(RuntimeError):
    """A benchmark of refusals would measure nothing: every call must stake."""


@dataclass
class Bets:
    """Fresh transaction ids across phases and rounds (a reused id would be a replay)."""

    fx: fixtures.CasinoFixtures
    run_id: str = uuid.uuid4().hex[:8]

    def __post_init__(self) -> None:
        self.issued = 0

    def request(self, worker: int) -> WalletRequest:
        player = self.fx.players[worker % len(self.fx.players)]
        self.issued += 1
        transaction = f"bench-{self.run_id}-{self.issued}"
        return WalletRequest(
            operation=WalletOperation.BET, request_uuid=transaction, token=player.token,
            user=str(player.id), transaction_uuid=transaction, round=transaction,
            game_code=self.fx.game_code, amount_minor=1, currency=fixtures.CURRENCY,
        )  # fmt: skip

    def body(self, worker: int) -> bytes:
        request = self.request(worker)
        return json.dumps(
            {
                "request_uuid": request.request_uuid,
                "token": request.token,
                "user": request.user,
                "transaction_uuid": request.transaction_uuid,
                "round": request.round,
                "round_closed": False,
                "game_code": request.game_code,
                "amount": request.amount_minor,
                "currency": request.currency,
                "is_free": False,
            }
        ).encode()


async def raw_bet(pool: asyncpg.Pool, brand: Brand, provider: str, request: WalletRequest) -> int:
    """The bet path's statements and arguments, with no SQLAlchemy and no checks beyond
    what keeps the run honest (the game is playable, the id is new, the stake went in);
    returns the balance after. The raw phase, and the minimal ASGI app (bench/casino_asgi.py)."""
    context_arguments = {
        "order": [kind.value for kind in consumption_order(brand)],
        "counter": HouseAccountKind.WAGERS.value,
        "transaction": request.transaction_uuid, "token_hash": token_hash(request.token),
        "brand": brand.slug, "jurisdiction": brand.jurisdiction, "provider": provider,
    }  # fmt: skip
    async with pool.acquire() as connection, connection.transaction():
        row = await connection.fetchrow(
            CONTEXT_SQL, *(context_arguments[name] for name in CONTEXT_PARAMETERS)
        )
        if row is None or not row["game_playable"] or row["existing"] is not None:
            raise BetRefused(f"bet context: {row}")
        context = repository.BetContext(
            session=repository.SessionRow(
                row["player_id"], row["currency"], row["expires_at"], row["game_code"]
            ),
            player_status=row["status"], game_playable=True,
            wallet_ids=list(row["wallet_ids"]), counter_id=row["counter_id"], existing=None,
        )  # fmt: skip
        parameters = _bet_parameters(
            brand, provider, request, context,
            wallets=context.wallet_ids, counter=row["counter_id"],
        )  # fmt: skip
        parameters["metadata"] = json.dumps(parameters["metadata"])
        result = json.loads(
            await connection.fetchval(BET_SQL, *(parameters[name] for name in BET_PARAMETERS))
        )
        if result["outcome"] != "accepted":
            raise BetRefused(f"stakehouse_casino_bet: {result}")
        return int(result["balance"])


def raw_operation(pool: asyncpg.Pool, brand: Brand, bets: Bets) -> Operation:
    async def stake(worker: int, _key: str) -> None:
        await raw_bet(pool, brand, bets.fx.provider, bets.request(worker))

    return stake


def domain_operation(db: Database, brand: Brand, bets: Bets) -> Operation:
    async def stake(worker: int, _key: str) -> None:
        async with db.uow() as uow:
            reply = await bet(
                uow, brand=brand, provider=bets.fx.provider, request=bets.request(worker)
            )
            await uow.commit()
        if reply.status.value != "RS_OK":
            raise BetRefused(f"domain bet: {reply}")

    return stake


@contextlib.asynccontextmanager
async def http_operation(
    base_url: str, bets: Bets, *, connections: int
) -> AsyncIterator[Operation]:
    """Signed bet callbacks over HTTP/1.1 keep-alive, on a client of this phase's own (the
    server closes connections idle for 5 s, as they would be between phases)."""
    path = f"/providers/{bets.fx.provider}/wallet/bet"
    limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
    headers = {"host": HOST, "content-type": "application/json"}
    client = httpx.AsyncClient(base_url=base_url, headers=headers, limits=limits, timeout=30)

    async def stake(worker: int, _key: str) -> None:
        body = bets.body(worker)
        signature = signature_header(DEV_CASINO_PROVIDER_SECRET, int(time.time()), body)
        response = await client.post(path, content=body, headers={SIGNATURE_HEADER: signature})
        reply = response.json()
        if response.status_code != 200 or reply["status"] != "RS_OK":
            raise BetRefused(f"http callback: {response.status_code} {reply}")

    async with client:
        yield stake


@contextlib.asynccontextmanager
async def ready(operation: Operation) -> AsyncIterator[Operation]:
    yield operation


async def open_loop_phase(
    operation: Operation, *, rate: float, warmup_s: float, duration_s: float
) -> tuple[Result, float]:
    """Start one call every 1/rate s, whether or not earlier ones finished (an open loop,
    as providers' game servers send). Latency runs from each call's scheduled start, so a
    sender or server that falls behind is charged for it. Returns the measured calls and the
    rate at which measured calls were actually started."""
    interval_s = 1 / rate
    calls = int(rate * (warmup_s + duration_s))
    started = time.perf_counter() + 0.05
    window_start = started + warmup_s
    latencies: list[float] = []
    failures: list[Exception] = []
    first_sent = last_sent = 0.0

    async def call(index: int, due: float) -> None:
        try:
            await operation(index, "")
        except (httpx.HTTPError, BetRefused) as error:
            # An overloaded server times out or refuses: count it, keep the schedule.
            failures.append(error)
            return
        if due >= window_start:
            latencies.append((time.perf_counter() - due) * 1000)

    tasks = []
    for index in range(calls):
        due = started + index * interval_s
        delay = due - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        sent = time.perf_counter()
        if due >= window_start:
            first_sent = first_sent or sent
            last_sent = sent
        tasks.append(asyncio.create_task(call(index, due)))
    await asyncio.gather(*tasks)
    # Achieved: the measured calls over the time from the window's start to the last one's end.
    elapsed = time.perf_counter() - window_start
    measured = len(latencies)
    sent_rate = measured / (last_sent - first_sent) if last_sent > first_sent else 0.0
    if failures:
        say(f"  open loop: {len(failures)} calls failed, the first: {failures[0]!r}")
    return Result(OPEN_LOOP, measured, elapsed, latencies), sent_rate


async def phases(
    args: argparse.Namespace, url: str, base_url: str, asgi_url: str
) -> tuple[list[Result], list[float], dict[str, CpuUse]]:
    registry = BrandRegistry.load(get_settings().themes_dir)
    brand = registry.get(fixtures.BRAND)
    # Pools as big as the concurrency (the app's is STAKEHOUSE_DATABASE_POOL_SIZE=20).
    db = Database.connect(url, pool_size=args.workers)
    pool = await asyncpg.create_pool(plain_url(url), min_size=args.workers, max_size=args.workers)
    try:
        fx = await fixtures.prepare_casino(db, registry, args.workers)
        bets = Bets(fx)
        timing = {"workers": args.workers, "warmup_s": args.warmup, "duration_s": args.duration}
        closed: list[tuple[str, Callable[[], AbstractAsyncContextManager[Operation]]]] = [
            (RAW, lambda: ready(raw_operation(pool, brand, bets))),
            (DOMAIN, lambda: ready(domain_operation(db, brand, bets))),
            (HTTP, lambda: http_operation(base_url, bets, connections=args.workers)),
            (ASGI, lambda: http_operation(asgi_url, bets, connections=args.workers)),
        ]
        # A fresh database is slower for its first seconds: prime it, unmeasured, through
        # the whole stack (this also warms the app's pool and statement caches).
        async with closed[2][1]() as prime:
            await run_phase("prime", prime, **{**timing, "duration_s": PRIME_S})
        rounds: dict[str, list[Result]] = {name: [] for name, _ in closed}
        rounds[OPEN_LOOP] = []
        sent_rates: list[float] = []
        server, asgi_server = _server_pid(), _server_pid(ASGI_MARKER)
        cpu = {name: CpuUse() for name in rounds}
        for turn in range(args.rounds):
            for name, phase in closed:
                with cpu[name].measure(asgi_server if name == ASGI else server, bets):
                    async with phase() as operation:
                        rounds[name].append(await run_phase(name, operation, **timing))
            # The goal's rate: half what raw asyncpg sustained (this round), unless given.
            rate = args.rate or rounds[RAW][-1].rate / 2
            args.rates.append(rate)
            # Enough connections that the open loop never waits for one below the target.
            with cpu[OPEN_LOOP].measure(server, bets):
                async with http_operation(base_url, bets, connections=64) as operation:
                    result, sent_rate = await open_loop_phase(
                        operation, rate=rate, warmup_s=args.warmup,
                        duration_s=args.open_loop_duration,
                    )  # fmt: skip
            rounds[OPEN_LOOP].append(result)
            sent_rates.append(sent_rate)
            say(f"  done: round {turn + 1} of {args.rounds}")
        return [pooled(name, results) for name, results in rounds.items()], sent_rates, cpu
    finally:
        await pool.close()
        await db.dispose()


def report(
    results: list[Result],
    sent_rates: list[float],
    cpu: dict[str, CpuUse],
    args: argparse.Namespace,
) -> None:
    by_name = {result.name: result for result in results}
    ceiling = by_name[RAW].rate
    say(
        f"{'phase':<18}{'calls':>7}{'bets/s':>8}{'p50 ms':>9}{'p99 ms':>9}{'x raw':>7}"
        f"   cpu ms/bet: {'bench':>6}{'server':>7}{'rest':>6}"
    )
    for result in results:
        ratio = f"{result.rate / ceiling:>7.2f}" if result.name != OPEN_LOOP else f"{'-':>7}"
        bench_ms, server_ms, rest_ms = cpu[result.name].per_bet_ms()
        say(
            f"{result.name:<18}{result.count:>7}{result.rate:>8.0f}"
            f"{result.percentile_ms(50):>9.2f}{result.percentile_ms(99):>9.2f}{ratio}"
            f"{'':>15}{bench_ms:>6.2f}{server_ms:>7.2f}{rest_ms:>6.2f}"
        )
    http, opened = by_name[HTTP], by_name[OPEN_LOOP]
    say()
    say(f"domain / raw        {by_name[DOMAIN].rate / ceiling:.2f}")
    say(f"asgi / raw          {by_name[ASGI].rate / ceiling:.2f}   (the transport's ceiling)")
    say(f"http / raw          {http.rate / ceiling:.2f}")
    say(f"http / minimal asgi {http.rate / by_name[ASGI].rate:.2f}   (goal >= {RATIO_GOAL})")
    say(f"http / domain       {http.rate / by_name[DOMAIN].rate:.2f}")
    rates = "-".join(sorted({f"{rate:.0f}" for rate in args.rates}))
    say(
        f"open loop at {rates}/s: sent {min(sent_rates):.0f}-{max(sent_rates):.0f}/s, "
        f"achieved {opened.rate:.0f}/s, p50 {opened.percentile_ms(50):.2f} ms, "
        f"p99 {opened.percentile_ms(99):.2f} ms (goal <= {P99_GOAL_MS:.0f} ms), "
        f"max {max(opened.latencies_ms):.2f} ms"
    )


def print_server_profile(path: str, lines: int) -> None:
    for key in ("tottime", "cumulative"):
        say(f"--- profile of the app server (all phases), by {key} ---")
        stats = pstats.Stats(path)
        stats.sort_stats(key).print_stats(lines)


def parse_arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workers", type=int, default=16, help="concurrent callers (closed loop)")
    parser.add_argument("--loop", choices=("uvloop", "asyncio"), default="uvloop")
    parser.add_argument("--rounds", type=int, default=3, help="turns each phase takes (pooled)")
    parser.add_argument(
        "--duration", type=float, default=2.0, help="measured s per closed-loop phase"
    )
    parser.add_argument("--warmup", type=float, default=1.0, help="unmeasured seconds first")
    parser.add_argument(
        "--rate", type=float, help="open-loop callbacks per second (default: half raw's rate)"
    )
    parser.add_argument(
        "--open-loop-duration",
        type=float,
        default=4.0,
        help="measured s of the open loop per round",
    )
    parser.add_argument(
        "--profile-server",
        metavar="FILE",
        help="run the app server under cProfile, save and print it",
    )
    parser.add_argument("--profile-lines", type=int, default=30)
    return parser.parse_args()


def main() -> None:
    args = parse_arguments()
    os.environ.setdefault("STAKEHOUSE_LOG_LEVEL", "WARNING")
    say(
        f"casino bet benchmark: {args.workers} workers, {args.rounds} rounds of {args.duration}s "
        f"per closed-loop phase and {args.open_loop_duration}s of open loop at "
        f"{f'{args.rate:.0f}/s' if args.rate else 'half raw rate'}, "
        f"{args.warmup}s warm-up, {os.cpu_count()} CPUs"
    )
    with fixtures.bench_database() as (url, broker_url):
        # Settings are read once per process: point them at this run's database first.
        os.environ["STAKEHOUSE_DATABASE_URL"] = url
        if broker_url:
            os.environ["STAKEHOUSE_BROKER_URL"] = broker_url
        get_settings.cache_clear()
        args.rates = []
        with (
            fixtures.app_server(url, broker_url, profile_path=args.profile_server) as base_url,
            fixtures.app_server(url, broker_url, app="bench.casino_asgi:create_app") as asgi_url,
        ):
            results, sent_rates, cpu = run(phases(args, url, base_url, asgi_url), args.loop)
    say()
    report(results, sent_rates, cpu, args)
    if args.profile_server:
        print_server_profile(args.profile_server, args.profile_lines)


if __name__ == "__main__":
    main()
