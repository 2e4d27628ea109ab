"""Odds fan-out: N graphql-transport-ws sockets subscribed to `oddsChanged` on the real app
(uvicorn in a child process, its outbox relay included) while prices change at a fixed
rate, against a plain `websockets` broadcast of the same bytes to the same number of sockets
measured in the same run.

    .venv/bin/python -m bench.fanout                    # 1,000 sockets, 100 changes/s, 5 s
    .venv/bin/python -m bench.fanout --sockets 5000 --duration 10     # the issue's goal
    .venv/bin/python -m bench.fanout --phases shared --profile-server /tmp/fanout.prof

  ceiling    a minimal `websockets` server (child process, uvloop) that broadcasts each
             frame, sent to it over one control socket, to the sockets watching its event
  shared     the app: every socket of a group sends the same document and variables, so
             the group runs one execution per change (web/graphql_shared.py)
  per-socket (diagnostic, what the app did before) the same, but each socket's document
             has an operation name of its own: a group per socket, one execution each

Each socket watches one of `--events / --watch` lists of `--watch` events (round-robin), so
each change reaches sockets / lists sockets. A change is an `OddsChanged` committed through
the outbox (as the feed commits it) on the events in turn, its odds encoding the change's
sequence number; client processes (`--clients`) record each change's frames. Latency runs
from the commit (the ceiling: from the send to the server) to the first and the last
socket's frame. See bench/README.md for how to read the figures.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import json
import multiprocessing
import os
import re
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from bench import fanout_probe, fixtures
from bench.ledger_debit import run, say

ODDS_BASE = 1.5
SEQUENCE_SCALE = 10_000  # odds = 1.5 + sequence / 10,000: 4 places, unique per change
CONNECT_BATCH = 200
DOCUMENT = """subscription {name}($events: [ID!]!) {{ oddsChanged(events: $events) {{
  event outcomes {{ outcome odds display status marketStatus }} }} }}"""


def odds_of(sequence: int) -> str:
    return f"{ODDS_BASE + sequence / SEQUENCE_SCALE:.4f}"


def sequence_of(frame: str) -> int | None:
    start = frame.find('"odds":"')
    if start < 0:
        return None
    start += 8
    return round((float(frame[start : frame.index('"', start)]) - ODDS_BASE) * SEQUENCE_SCALE)


_ODDS_IN_JSON = re.compile(r'"odds":\s*"([0-9.]+)"')


def sequence_in_event(payload: str) -> int | None:
    """The sequence of a relayed event's NOTIFY payload (JSON written with any spacing)."""
    found = _ODDS_IN_JSON.search(payload)
    return round((float(found.group(1)) - ODDS_BASE) * SEQUENCE_SCALE) if found else None


def gid(type_name: str, node_id: int) -> str:
    from strawberry.relay import to_base64  # noqa: PLC0415

    return to_base64(type_name, str(node_id))


@dataclass(frozen=True)
class Book:
    # Per event: (event id, market id, first outcome id).
    events: list[tuple[int, int, int]]
    watch: int

    def lists(self) -> int:
        return max(1, len(self.events) // self.watch)

    def list_of_event(self, index: int) -> int:
        return (index // self.watch) % self.lists()

    def variables(self, list_index: int) -> dict[str, Any]:
        chosen = self.events[list_index * self.watch : (list_index + 1) * self.watch]
        return {"events": [gid("SportsbookEvent", event_id) for event_id, _, _ in chosen]}

    def frame(self, index: int, sequence: int) -> str:
        """The bytes the app sends for this change (the ceiling sends the same)."""
        from decimal import Decimal  # noqa: PLC0415

        from domain.sportsbook import odds as odds_math  # noqa: PLC0415

        event_id, _market, outcome_id = self.events[index]
        odds = Decimal(odds_of(sequence))
        display = odds_math.display(odds)["decimal"]
        outcome = {
            "outcome": gid("Outcome", outcome_id), "odds": str(odds), "display": display,
            "status": "ACTIVE", "marketStatus": "ACTIVE",
        }  # fmt: skip
        data = {"oddsChanged": {"event": gid("SportsbookEvent", event_id), "outcomes": [outcome]}}
        return json.dumps(
            {"id": "1", "type": "next", "payload": {"data": data}}, separators=(",", ":")
        )


# ---- client processes ---------------------------------------------------------------------------


@dataclass
class Received:
    """Per change: frames, first and last arrival (wall clock, comparable across processes)."""

    count: dict[int, int] = field(default_factory=dict)
    first: dict[int, float] = field(default_factory=dict)
    last: dict[int, float] = field(default_factory=dict)
    sockets_heard: int = 0
    sample: str = ""


@dataclass(frozen=True)
class ClientSpec:
    url: str
    mode: str  # "app" (graphql-transport-ws) or "ceiling" (plain)
    lists: list[int]  # per socket, the list of events it watches
    variables: list[dict[str, Any]]  # per list
    unique_names: bool  # an operation name per socket (no two sockets share a group)
    offset: int  # the first socket's number


def client_process(connection: Connection, spec: ClientSpec) -> None:
    """Hold the sockets of `spec` until told to stop."""
    import uvloop  # noqa: PLC0415

    uvloop.run(_client(connection, spec))


async def open_socket(spec: ClientSpec, number: int, list_index: int) -> Any:
    from websockets.asyncio.client import connect  # noqa: PLC0415

    if spec.mode != "app":
        socket = await connect(spec.url, max_queue=None, compression=None, open_timeout=60)
        await socket.send(str(list_index))
        return socket
    port = int(spec.url.rsplit(":", 1)[1].split("/", 1)[0])
    socket = await connect(
        f"ws://aurora.localhost:{port}/graphql", host="127.0.0.1", port=port,
        subprotocols=["graphql-transport-ws"],  # type: ignore[list-item]
        max_queue=None, compression=None, open_timeout=60,
    )  # fmt: skip
    await socket.send(json.dumps({"type": "connection_init", "payload": {}}))
    assert json.loads(await socket.recv())["type"] == "connection_ack"
    name = f"Odds{spec.offset + number}" if spec.unique_names else "Odds"
    message = {
        "query": DOCUMENT.format(name=name),
        "variables": spec.variables[list_index], "operationName": name,
    }  # fmt: skip
    await socket.send(json.dumps({"id": "1", "type": "subscribe", "payload": message}))
    return socket


async def _client(connection: Connection, spec: ClientSpec) -> None:
    received = Received()
    heard: set[int] = set()
    sockets: list[Any] = []

    async def listen(number: int, socket: Any) -> None:
        count, first, last = received.count, received.first, received.last
        with contextlib.suppress(Exception):
            async for frame in socket:
                now = time.time()
                sequence = sequence_of(frame)
                if sequence is None:
                    continue
                if number not in heard:
                    heard.add(number)
                    received.sample = frame
                count[sequence] = count.get(sequence, 0) + 1
                if sequence not in first:
                    first[sequence] = now
                last[sequence] = now

    numbered = list(enumerate(spec.lists))
    for start in range(0, len(numbered), CONNECT_BATCH):
        batch = numbered[start : start + CONNECT_BATCH]
        sockets += await asyncio.gather(*(open_socket(spec, n, index) for n, index in batch))
    listeners = [asyncio.create_task(listen(n, s)) for n, s in enumerate(sockets)]
    connection.send("ready")
    loop = asyncio.get_running_loop()
    while True:
        command = await loop.run_in_executor(None, connection.recv)
        if command == "heard":
            connection.send(len(heard))
        elif command == "total":
            connection.send(sum(received.count.values()))
        elif command == "reset":
            received.count.clear()
            received.first.clear()
            received.last.clear()
            connection.send("ok")
        else:
            received.sockets_heard = len(heard)
            connection.send(received)
            break
    for listener in listeners:
        listener.cancel()
    await asyncio.gather(*(s.close() for s in sockets), return_exceptions=True)


class Clients:
    """`processes` client processes sharing `lists` (each entry a socket)."""

    def __init__(
        self,
        urls: list[str],
        mode: str,
        book: Book,
        *,
        sockets: int,
        processes: int,
        unique: bool,
    ) -> None:
        # Client process `part` connects to urls[part % len(urls)]: with two API processes,
        # each holds half the sockets, every list on both.
        lists = [number % book.lists() for number in range(sockets)]
        variables = [book.variables(index) for index in range(book.lists())]
        context = multiprocessing.get_context("spawn")
        self.pipes: list[Connection] = []
        self.processes = []
        share = -(-sockets // processes)
        for part in range(processes):
            mine = lists[part * share : (part + 1) * share]
            if not mine:
                continue
            parent, child = context.Pipe()
            process = context.Process(
                target=client_process,
                args=(
                    child,
                    ClientSpec(urls[part % len(urls)], mode, mine, variables, unique, part * share),
                ),
                daemon=True,
            )
            process.start()
            self.pipes.append(parent)
            self.processes.append(process)
        self.per_list = [lists.count(index) for index in range(book.lists())]

    def wait_ready(self) -> None:
        for pipe in self.pipes:
            if pipe.recv() != "ready":
                raise RuntimeError("a client process failed")

    def ask(self, command: str) -> list[Any]:
        for pipe in self.pipes:
            pipe.send(command)
        return [pipe.recv() for pipe in self.pipes]

    def stop(self) -> list[Received]:
        found = self.ask("stop")
        for process in self.processes:
            process.join(timeout=30)
        return found


# ---- the ceiling server -------------------------------------------------------------------------


def ceiling_server(port: int) -> None:
    """A plain websockets broadcast: a client's first message is the list it watches; the
    control socket's messages are `<list>\\n<frame>`, sent as is to that list's sockets."""
    import uvloop  # noqa: PLC0415

    async def serve() -> None:
        from websockets.asyncio.server import broadcast, serve  # noqa: PLC0415

        watchers: dict[int, set[Any]] = {}

        async def handler(socket: Any) -> None:
            first = await socket.recv()
            if first == "control":
                async for message in socket:
                    list_index, frame = str(message).split("\n", 1)
                    broadcast(watchers.get(int(list_index), set()), frame)
                return
            mine = watchers.setdefault(int(first), set())
            mine.add(socket)
            try:
                await socket.wait_closed()
            finally:
                mine.discard(socket)

        async with serve(handler, "127.0.0.1", port, compression=None, max_queue=None):
            await asyncio.get_running_loop().create_future()

    uvloop.run(serve())


# ---- publishing ---------------------------------------------------------------------------------


@dataclass
class Phase:
    name: str
    changes: int
    expected: int
    delivered: int
    seconds: float
    first_ms: list[float]
    last_ms: list[float]
    missing_changes: int
    # The app: commit to the relay's NOTIFY on the events channel (what the hub hears).
    relay_ms: list[float] = field(default_factory=list)
    # Per change: when it committed and when the last socket's frame arrived (wall clock).
    committed: dict[int, float] = field(default_factory=dict)
    lasts: dict[int, float] = field(default_factory=dict)
    # With --stages: per stage (bench/fanout_probe.py), ms from the previous stage.
    stages: dict[str, list[float]] = field(default_factory=dict)
    # With --stages: per app process, its garbage collections and event-loop stalls.
    pauses: dict[str, dict[str, list[list[float]]]] = field(default_factory=dict)
    # Per change: when its transaction began (the commit's time is read after the bench's
    # loop resumes, late by whatever else that loop had to do).
    begun: dict[int, float] = field(default_factory=dict)
    # CPU seconds each role's processes spent from the first publish to the end of the
    # drain (the API's, the relay's; the ceiling's server): load-independent cost.
    cpu_s: dict[str, float] = field(default_factory=dict)

    @property
    def rate(self) -> float:
        return self.delivered / self.seconds if self.seconds else 0.0


def percentile(values: list[float], share: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * share))]


async def publish(
    book: Book,
    send: Any,
    sequences: range,
    rate: float,
    *,
    committed: dict[int, float],
    begun: dict[int, float],
) -> None:
    """Send `sequences` at `rate`/s (open loop: a slow send does not delay the next)."""
    started = time.perf_counter()
    tasks = []

    async def one(sequence: int) -> None:
        await send(sequence % len(book.events), sequence, begun)
        committed[sequence] = time.time()

    for position, sequence in enumerate(sequences):
        due = started + position / rate
        delay = due - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one(sequence)))
    await asyncio.gather(*tasks)


def cpu_seconds(pids: list[int]) -> float:
    """User and system CPU time the processes `pids` have used so far (Linux /proc)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        with contextlib.suppress(OSError):
            # After the command, which may hold spaces: fields 14 and 15 are utime, stime.
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
    return total / ticks


async def _listen_to_relay(notified: dict[int, float]) -> Any:
    """A connection LISTENing where the relay NOTIFYs published events (as the hub does):
    when each change left the relay."""
    import asyncpg  # noqa: PLC0415

    from domain.kernel.db import plain_url  # noqa: PLC0415
    from domain.kernel.outbox import EVENTS_CHANNEL  # noqa: PLC0415
    from domain.kernel.settings import get_settings  # noqa: PLC0415

    def heard(_connection: Any, _pid: int, _channel: str, payload: str) -> None:
        sequence = sequence_in_event(payload)
        if sequence is not None:
            notified.setdefault(sequence, time.time())

    connection = await asyncpg.connect(plain_url(str(get_settings().database_url)))
    await connection.add_listener(EVENTS_CHANNEL, heard)
    return connection


def app_sender(db: Any, book: Book) -> Any:
    from domain.kernel.outbox import emit  # noqa: PLC0415
    from domain.sportsbook.feed.events import OddsChanged  # noqa: PLC0415

    async def send(index: int, sequence: int, begun: dict[int, float] | None = None) -> None:
        event_id, market_id, outcome_id = book.events[index]
        row = {
            "outcome_id": outcome_id, "market_id": market_id, "odds": odds_of(sequence),
            "status": "active", "market_status": "active",
        }  # fmt: skip
        async with db.transaction() as uow:
            # With its connection in hand: a change waiting for one of the bench's pool is
            # the bench's delay, not the app's.
            await uow.session.connection()
            if begun is not None:
                begun[sequence] = time.time()
            await emit(uow, OddsChanged(event_id=event_id, outcomes=[row]), brand=None)

    return send


def ceiling_sender(control: Any, book: Book) -> Any:
    async def send(index: int, sequence: int, begun: dict[int, float] | None = None) -> None:
        if begun is not None:
            begun[sequence] = time.time()
        await control.send(f"{book.list_of_event(index)}\n{book.frame(index, sequence)}")

    return send


async def run_phase(
    name: str,
    clients: Clients,
    book: Book,
    send: Any,
    *,
    args: argparse.Namespace,
    offset: int,
    cpu_pids: dict[str, list[int]],
) -> tuple[Phase, str]:
    """Warm up until every socket has heard a change, then publish for `--duration` s and
    drain (until every frame arrived, or nothing arrived for `--drain` s)."""
    warm = offset
    deadline = time.monotonic() + 120
    sockets = sum(clients.per_list)
    while sum(clients.ask("heard")) < sockets:
        if time.monotonic() > deadline:
            raise RuntimeError(f"{name}: not every socket subscribed")
        for index in range(0, len(book.events), book.watch):
            await send(index, warm)
            warm += 1
        await asyncio.sleep(0.3)
    await asyncio.sleep(1.0)
    clients.ask("reset")
    first = warm + 1
    changes = int(args.rate * args.duration)
    sequences = range(first, first + changes)
    committed: dict[int, float] = {}
    notified: dict[int, float] = {}
    listener = await _listen_to_relay(notified) if name != "ceiling" else None
    begun: dict[int, float] = {}
    cpu_before = {role: cpu_seconds(pids) for role, pids in cpu_pids.items()}
    started = time.time()
    await publish(book, send, sequences, args.rate, committed=committed, begun=begun)
    expected = sum(clients.per_list[book.list_of_event(s % len(book.events))] for s in sequences)
    total, progress_at = 0, time.monotonic()
    while total < expected and time.monotonic() - progress_at < args.drain:
        await asyncio.sleep(0.25)
        now_total = sum(clients.ask("total"))
        if now_total > total:
            total, progress_at = now_total, time.monotonic()
    cpu_used = {role: cpu_seconds(pids) - cpu_before[role] for role, pids in cpu_pids.items()}
    found = clients.stop()
    firsts: dict[int, float] = {}
    lasts: dict[int, float] = {}
    delivered = 0
    for received in found:
        for sequence, count in received.count.items():
            if sequence not in committed:
                continue
            delivered += count
            firsts[sequence] = min(firsts.get(sequence, 1e18), received.first[sequence])
            lasts[sequence] = max(lasts.get(sequence, 0.0), received.last[sequence])
    end = max(lasts.values(), default=started)
    first_ms = [(firsts[s] - committed[s]) * 1000 for s in firsts]
    last_ms = [(lasts[s] - committed[s]) * 1000 for s in lasts]
    missing = sum(1 for s in sequences if s not in lasts)
    phase = Phase(name, changes, expected, delivered, end - started, first_ms, last_ms, missing)
    phase.committed, phase.lasts, phase.begun, phase.cpu_s = committed, lasts, begun, cpu_used
    if listener is not None:
        await listener.close()
        phase.relay_ms = [(notified[s] - committed[s]) * 1000 for s in notified if s in committed]
    sample = next((r.sample for r in found if r.sample), "")
    return phase, sample


# ---- phases -------------------------------------------------------------------------------------


async def seed(args: argparse.Namespace) -> tuple[Book, Any]:
    from domain.brands.service import BrandRegistry, sync_brands  # noqa: PLC0415
    from domain.kernel.db import Database  # noqa: PLC0415
    from domain.kernel.settings import get_settings  # noqa: PLC0415

    settings = get_settings()
    db = Database.connect(str(settings.database_url), pool_size=10)
    registry = BrandRegistry.load(settings.themes_dir)
    async with db.transaction() as uow:
        await sync_brands(uow, registry)
    events = []
    for number in range(args.events):
        (market,) = await fixtures.add_book_market(db, ["2.00", "1.80"], name=f"Match {number}")
        events.append((market.event_id, market.market_id, market.outcomes[0]))
    return Book(events, min(args.watch, args.events)), db


async def app_phase(
    name: str,
    args: argparse.Namespace,
    app: tuple[list[str], dict[str, list[int]]],
    book: Book,
    *,
    db: Any,
    offset: int,
) -> tuple[Phase, str]:
    urls, cpu_pids = app
    websocket_urls = [url.replace("http://", "ws://") + "/graphql" for url in urls]
    clients = Clients(
        websocket_urls, "app", book, sockets=args.sockets, processes=args.clients,
        unique=name == "per-socket",
    )  # fmt: skip
    await asyncio.get_running_loop().run_in_executor(None, clients.wait_ready)
    return await run_phase(
        name, clients, book, app_sender(db, book), args=args, offset=offset, cpu_pids=cpu_pids
    )


# The relay on its own, as `stakehouse relay` runs it (production: its own Deployment), with
# the stage probe when given a directory.
_RELAY = """
import sys
directory = sys.argv.pop(1)
if directory:
    from bench.fanout_probe import install
    install(directory, "relay", web=False)
from web.cli import main
sys.argv = ["stakehouse", "relay", "--metrics-port", "0"]
main()
"""


@contextlib.contextmanager
def app_processes(
    args: argparse.Namespace,
    database_url: str,
    broker_url: str | None,
    *,
    apis: int,
    probe_directory: str | None,
) -> Iterator[tuple[list[str], dict[str, list[int]]]]:
    """`apis` API processes (the real app under uvicorn on uvloop, as `stakehouse serve`
    runs it) sharing the database's pub/sub, and the outbox relay: in its own process
    (`--relay own`, as production runs it) or inside the APIs (`--relay api`, one of them
    holding the lease). Yields the APIs' base URLs and the processes' ids by role."""
    env = {
        **os.environ,
        "STAKEHOUSE_DATABASE_URL": database_url,
        "STAKEHOUSE_BROKER_URL": broker_url or "",
        "STAKEHOUSE_LOG_LEVEL": "WARNING",
        "STAKEHOUSE_DATABASE_POOL_SIZE": "20",
        "STAKEHOUSE_RELAY_IN_API": "true" if args.relay == "api" else "false",
    }
    started: list[subprocess.Popen[bytes]] = []
    urls: list[str] = []
    try:
        for number in range(apis):
            port = fixtures._free_port()
            if args.profile_server and number == 0:
                launcher = ["-c", fixtures._PROFILED_UVICORN, args.profile_server]
            elif probe_directory:
                launcher = ["-c", fanout_probe.UVICORN, probe_directory]
            else:
                launcher = ["-m", "uvicorn"]
            command = [
                sys.executable, *launcher, "web.cli:asgi_app", "--factory", "--loop", "uvloop",
                "--host", "127.0.0.1", "--port", str(port), "--no-access-log",
                "--log-level", "warning", "--lifespan", "on",
            ]  # fmt: skip
            started.append(subprocess.Popen(command, env=env, cwd=fixtures.REPO_ROOT))  # noqa: S603
            urls.append(f"http://127.0.0.1:{port}")
        roles = {"api": [process.pid for process in started], "relay": []}
        if args.relay == "own":
            command = [sys.executable, "-c", _RELAY, probe_directory or ""]
            started.append(subprocess.Popen(command, env=env, cwd=fixtures.REPO_ROOT))  # noqa: S603
            roles["relay"].append(started[-1].pid)
        _wait_until_live(started, urls)
        yield urls, roles
    finally:
        for process in started:
            process.terminate()
        for process in started:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


# Three processes importing the app at once on a loaded 2-core machine take minutes.
START_TIMEOUT_S = 600.0


def _wait_until_live(started: list[subprocess.Popen[bytes]], urls: list[str]) -> None:
    """Until every API answers /livez; raises if any process (the relay's too) exits."""
    import httpx  # noqa: PLC0415

    waiting = set(urls)
    deadline = time.monotonic() + START_TIMEOUT_S
    while waiting:
        if time.monotonic() > deadline:
            raise RuntimeError(f"the app did not come up in {START_TIMEOUT_S:.0f} s")
        for process in started:
            if process.poll() is not None:
                raise RuntimeError(f"an app process exited with {process.returncode}")
        for url in list(waiting):
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{url}/livez", timeout=1).status_code == 200:
                    waiting.discard(url)
        time.sleep(0.2)


STAGE_NAMES = ("begin", "commit", *fanout_probe.STAGES, "frame")


def stage_breakdown(phase: Phase, noted: dict[str, dict[int, float]]) -> dict[str, list[float]]:
    """Per stage, ms from the stage before it for each change that passed both."""
    times = {"begin": phase.begun, "commit": phase.committed, **noted, "frame": phase.lasts}
    breakdown: dict[str, list[float]] = {}
    for before, after in itertools.pairwise(STAGE_NAMES):
        earlier, later = times.get(before, {}), times.get(after, {})
        breakdown[f"{before} -> {after}"] = [
            (later[s] - earlier[s]) * 1000 for s in phase.committed if s in earlier and s in later
        ]
    return breakdown


async def ceiling_phase(args: argparse.Namespace, book: Book, offset: int) -> tuple[Phase, str]:
    from websockets.asyncio.client import connect  # noqa: PLC0415

    port = fixtures._free_port()
    server = subprocess.Popen(  # noqa: S603, ASYNC220
        [sys.executable, "-m", "bench.fanout", "--ceiling-server", str(port)],
        cwd=fixtures.REPO_ROOT,
    )
    try:
        url = f"ws://127.0.0.1:{port}"
        for _ in range(1200):  # up to 2 min: imports are slow on a loaded machine
            try:
                control = await connect(url, compression=None)
                break
            except OSError:
                await asyncio.sleep(0.1)
        else:
            raise RuntimeError("the ceiling server did not start")
        await control.send("control")
        clients = Clients(
            [url], "ceiling", book, sockets=args.sockets, processes=args.clients, unique=False
        )
        await asyncio.get_running_loop().run_in_executor(None, clients.wait_ready)
        result = await run_phase(
            "ceiling", clients, book, ceiling_sender(control, book), args=args, offset=offset,
            cpu_pids={"server": [server.pid]},
        )  # fmt: skip
        await control.close()
        return result
    finally:
        server.terminate()
        server.wait(timeout=15)


def report_costs(phases: list[Phase]) -> None:
    """CPU per change and frame, latency from the transaction's start, and the stages."""
    for phase in phases:
        for role, seconds in phase.cpu_s.items():
            if seconds or role != "relay":
                say(f"{phase.name}: {role} CPU {seconds * 1000:.0f} ms, "
                    f"{seconds * 1e6 / max(phase.changes, 1):.0f} us per change, "
                    f"{seconds * 1e6 / max(phase.delivered, 1):.0f} us per frame")  # fmt: skip
    for phase in phases:
        if phase.begun:
            from_begin = [
                (phase.lasts[s] - phase.begun[s]) * 1000 for s in phase.lasts if s in phase.begun
            ]
            say(f"{phase.name}: from the committing transaction's start (an upper bound): "
                f"last p50 {percentile(from_begin, 0.5):.1f} ms, "
                f"p99 {percentile(from_begin, 0.99):.1f} ms")  # fmt: skip
    for phase in phases:
        if phase.stages:
            say(f"{phase.name}: where the time goes, per change (ms from the stage before; "
                "the probe's own cost included)")  # fmt: skip
            say(f"  {'stage':<26}{'changes':>8}{'p50':>9}{'p99':>9}{'max':>9}")
            for stage, values in phase.stages.items():
                worst = max(values, default=float("nan"))
                say(f"  {stage:<26}{len(values):>8}{percentile(values, 0.5):>9.1f}"
                    f"{percentile(values, 0.99):>9.1f}{worst:>9.1f}")  # fmt: skip
        if phase.pauses:
            report_pauses(phase)


def report_pauses(phase: Phase) -> None:
    """Per app process, its collections and loop stalls within the measured window (from
    the first commit to the last frame)."""
    if not phase.committed or not phase.lasts:
        return
    start, end = min(phase.committed.values()), max(phase.lasts.values())
    say(f"{phase.name}: what held a whole process (from the first commit to the last frame)")
    for process, noted in sorted(phase.pauses.items()):
        collections = [c for c in noted["collections"] if start <= c[0] <= end]
        by_generation = []
        for generation in (0, 1, 2):
            ms = [c[2] for c in collections if c[1] == generation]
            cpu = [c[3] for c in collections if c[1] == generation]
            if ms:
                by_generation.append(
                    f"gen {generation}: {len(ms)}, {sum(ms):.0f} ms ({sum(cpu):.0f} ms CPU), "
                    f"max {max(ms):.1f} ms"
                )
        stalls = [s for s in noted["stalls"] if start <= s[0] <= end]
        worst = sorted(stalls, key=lambda s: s[1], reverse=True)[:3]
        full = [c for c in noted["collections"] if c[1] == 2]
        say(f"  {process}: collections {'; '.join(by_generation) or 'none'} (gen 2 in the "
            f"process's life: {len(full)}, max {max((c[2] for c in full), default=0):.0f} ms, "
            f"CPU max {max((c[3] for c in full), default=0):.0f} ms)")  # fmt: skip
        say(f"  {process}: loop stalls over {fanout_probe.STALL_MS:.0f} ms: {len(stalls)}, "
            f"{sum(s[1] for s in stalls):.0f} ms late in all, CPU in them "
            f"{sum(s[2] for s in stalls):.0f} ms; longest "
            + ", ".join(f"{s[1]:.0f} ms ({s[2]:.0f} ms CPU)" for s in worst))  # fmt: skip


def report(phases: list[Phase], samples: dict[str, str], book: Book) -> None:
    ceiling = next((p for p in phases if p.name == "ceiling"), None)
    say(f"{'phase':<12}{'changes':>8}{'frames':>9}{'of':>9}{'frames/s':>10}{'x ceil':>8}"
        f"{'first p50':>10}{'last p50':>10}{'last p99':>10}{'last max':>10}"
        f"{'lost':>6}")  # fmt: skip
    for phase in phases:
        ratio = phase.rate / ceiling.rate if ceiling and ceiling.rate else float("nan")
        say(f"{phase.name:<12}{phase.changes:>8}{phase.delivered:>9}{phase.expected:>9}"
            f"{phase.rate:>10.0f}{ratio:>8.2f}{percentile(phase.first_ms, 0.5):>10.1f}"
            f"{percentile(phase.last_ms, 0.5):>10.1f}{percentile(phase.last_ms, 0.99):>10.1f}"
            f"{max(phase.last_ms, default=float('nan')):>10.1f}"
            f"{phase.missing_changes:>6}")  # fmt: skip
    say("(latencies in ms from commit, or from the send for the ceiling, to the first and the "
        "last socket's frame of each change; lost: changes no socket received)")  # fmt: skip
    for name, sample in samples.items():
        say(f"{name}: a frame is {len(sample)} bytes")
    for phase in phases:
        if phase.relay_ms:
            say(f"{phase.name}: commit to the relay's NOTIFY p50 "
                f"{percentile(phase.relay_ms, 0.5):.1f} ms, p99 "
                f"{percentile(phase.relay_ms, 0.99):.1f} ms (of the latencies above)")  # fmt: skip
    report_costs(phases)
    shared = next((p for p in phases if p.name == "shared"), None)
    if shared and ceiling:
        say(f"goal: last-socket p99 {percentile(shared.last_ms, 0.99):.0f} ms (<= 200), "
            f"throughput {shared.rate / ceiling.rate:.2f}x the broadcast (>= 0.8)")  # fmt: skip
    two = next((p for p in phases if p.name == "two-api"), None)
    if two and ceiling:
        say(f"two API processes behind pub/sub: last-socket p99 "
            f"{percentile(two.last_ms, 0.99):.0f} ms, throughput "
            f"{two.rate / ceiling.rate:.2f}x the broadcast")  # fmt: skip


def parse_arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sockets", type=int, default=1000)
    parser.add_argument("--events", type=int, default=200, help="events whose prices change")
    parser.add_argument("--watch", type=int, default=1, help="events per subscription (<= 50)")
    parser.add_argument("--rate", type=float, default=100.0, help="price changes per second")
    parser.add_argument("--duration", type=float, default=5.0, help="seconds of changes")
    parser.add_argument("--drain", type=float, default=10.0, help="s without progress to give up")
    parser.add_argument("--clients", type=int, default=2, help="client processes")
    parser.add_argument(
        "--phases", nargs="+", default=["ceiling", "shared", "per-socket"],
        choices=["ceiling", "shared", "two-api", "per-socket"],
    )  # fmt: skip
    parser.add_argument(
        "--relay", choices=["own", "api"], default="own",
        help="the outbox relay in its own process (as production runs it) or inside the API",
    )  # fmt: skip
    parser.add_argument(
        "--stages", action="store_true",
        help="time each stage inside the app's processes (bench/fanout_probe.py)",
    )  # fmt: skip
    parser.add_argument("--profile-server", help="run the app under cProfile, stats to this file")
    parser.add_argument("--ceiling-server", type=int, help=argparse.SUPPRESS)
    return parser.parse_args()


async def phases(args: argparse.Namespace, url: str, broker_url: str | None) -> None:
    book, db = await seed(args)
    say(f"  seeded {len(book.events)} events; {book.lists()} lists of {book.watch} watched, "
        f"{args.sockets // book.lists()} sockets per change")  # fmt: skip
    results: list[Phase] = []
    samples: dict[str, str] = {}
    offset = 1
    for name in args.phases:
        if name == "ceiling":
            phase, sample = await ceiling_phase(args, book, offset)
        else:
            with contextlib.ExitStack() as stack:
                probe = stack.enter_context(tempfile.TemporaryDirectory()) if args.stages else None
                with app_processes(
                    args, url, broker_url, apis=2 if name == "two-api" else 1,
                    probe_directory=probe,
                ) as app:  # fmt: skip
                    phase, sample = await app_phase(name, args, app, book, db=db, offset=offset)
                if probe is not None:
                    phase.stages = stage_breakdown(phase, fanout_probe.read(probe))
                    phase.pauses = fanout_probe.pauses(probe)
        results.append(phase)
        samples[name] = sample
        p99 = percentile(phase.last_ms, 0.99)
        say(f"  done: {name}: {phase.delivered} of {phase.expected} frames, "
            f"{phase.rate:.0f} frames/s, last-socket p99 {p99:.0f} ms")  # fmt: skip
    await db.dispose()
    say()
    report(results, samples, book)


def main() -> None:
    args = parse_arguments()
    if args.ceiling_server:
        ceiling_server(args.ceiling_server)
        return
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    os.environ.setdefault("STAKEHOUSE_LOG_LEVEL", "WARNING")
    say(f"odds fan-out benchmark: {args.sockets} sockets, {args.rate:.0f} changes/s for "
        f"{args.duration}s, {args.clients} client processes, {os.cpu_count()} CPUs")  # fmt: skip
    from domain.kernel.settings import get_settings  # noqa: PLC0415

    with fixtures.bench_database() as (url, broker_url):
        os.environ["STAKEHOUSE_DATABASE_URL"] = url
        if broker_url:
            os.environ["STAKEHOUSE_BROKER_URL"] = broker_url
        get_settings.cache_clear()
        run(phases(args, url, broker_url), "uvloop")


if __name__ == "__main__":
    main()
