"""Stage timestamps for bench/fanout.py, recorded inside the app's processes.

The benchmark starts uvicorn (and the relay, when it runs on its own) through `launch`,
which wraps a few functions of the real code with timers before the app is imported:
nothing is replaced, each wrapper calls the original and notes `time.time()` (the wall
clock, comparable with the benchmark's commit times across processes) against the change's
sequence number, read from the odds in the event's payload as the clients read it. On exit
each process writes what it noted to `<directory>/<stage-file>-<pid>.json`.

Stages, in the order a change passes them:
  picked     the relay's claim returned the change's outbox row
  relayed    the relay's transaction (broker send, NOTIFY, mark published) committed
  received   the event hub's LISTEN connection handed the NOTIFY to the event loop
  dispatched the hub's pump decoded it and offered it to the subscribers
  executed   a group's execution serialised the payload (the first group, per change)
  sent       the last socket's frame of the change was written by the app

Besides the stages, each process notes what can hold a whole process at once: every
garbage collection (its generation and how long it took) and every stall of its event
loop over 20 ms (a 5 ms sleep that woke late), with the CPU the process spent in that
interval: a stall with CPU behind it is the loop busy on one thing (a collection, a long
callback); one without is the process waiting for a core.

The wrappers cost a few microseconds per call; `sent` reads every frame the app writes,
so the probe is for finding where the time goes, not for the headline figures.
"""

from __future__ import annotations

import asyncio
import atexit
import gc
import json
import os
import re
import signal
import sys
import time
from collections.abc import AsyncIterator, Callable
from functools import wraps
from pathlib import Path
from typing import Any

ODDS_BASE = 1.5
SEQUENCE_SCALE = 10_000
_ODDS = re.compile(r'"odds":\s*"([0-9.]+)"')

STAGES = ("picked", "relayed", "received", "dispatched", "executed", "sent")
_noted: dict[str, dict[int, float]] = {stage: {} for stage in STAGES}


# (wall clock at its start, generation, ms, ms of CPU) per collection; (wall clock at its start, ms
# late, ms of CPU in it) per loop stall.
_collections: list[tuple[float, int, float, float]] = []
_stalls: list[tuple[float, float, float]] = []
_collecting: list[float] = []
_watching: list[asyncio.Task[None]] = []
STALL_MS = 20.0


def _on_gc(phase: str, info: dict[str, Any]) -> None:
    if phase == "start":
        _collecting[:] = [time.time(), time.perf_counter(), time.process_time()]
    elif _collecting:
        started, counter, cpu = _collecting
        _collections.append(
            (
                started,
                info["generation"],
                (time.perf_counter() - counter) * 1000,
                (time.process_time() - cpu) * 1000,
            )
        )


async def _watch_loop() -> None:
    while True:
        wall, cpu = time.perf_counter(), time.process_time()
        await asyncio.sleep(0.005)
        late = (time.perf_counter() - wall - 0.005) * 1000
        if late > STALL_MS:
            spent = (time.process_time() - cpu) * 1000
            _stalls.append((time.time() - (late + 5) / 1000, late, spent))


def _watch() -> None:
    """Start the loop's watcher (from inside the running loop, once)."""
    if not _watching:
        _watching.append(asyncio.get_running_loop().create_task(_watch_loop()))


def _sequence(text: str) -> int | None:
    found = _ODDS.search(text)
    return round((float(found.group(1)) - ODDS_BASE) * SEQUENCE_SCALE) if found else None


def _sequence_of_payload(payload: dict[str, Any]) -> int | None:
    outcomes = payload.get("outcomes") or ()
    if not outcomes:
        return None
    return round((float(outcomes[0]["odds"]) - ODDS_BASE) * SEQUENCE_SCALE)


def _first(stage: str, sequence: int | None, at: float) -> None:
    if sequence is not None:
        _noted[stage].setdefault(sequence, at)


def _last(stage: str, sequence: int | None, at: float) -> None:
    if sequence is not None:
        _noted[stage][sequence] = at


def _install_relay() -> None:
    from workers import relay  # noqa: PLC0415

    claim, batch = relay._claim_unpublished, relay.relay_batch
    claimed_now: list[int | None] = []

    async def timed_claim(uow: Any, limit: int) -> Any:
        _watch()
        claimed = await claim(uow, limit)
        at = time.time()
        claimed_now[:] = [_sequence_of_payload(item.event.payload) for item in claimed]
        for sequence in claimed_now:
            _first("picked", sequence, at)
        return claimed

    async def timed_batch(db: Any, *, limit: int) -> int:
        claimed_now.clear()
        published = await batch(db, limit=limit)
        at = time.time()
        for sequence in claimed_now:
            _first("relayed", sequence, at)
        return published

    relay._claim_unpublished = timed_claim
    relay.relay_batch = timed_batch


def _install_hub() -> None:
    from domain.kernel import pubsub  # noqa: PLC0415

    receive, dispatch = pubsub._Listening.receive, pubsub.EventHub._dispatch

    @wraps(receive)
    def timed_receive(self: Any, payload: str) -> None:
        _watch()
        _first("received", _sequence(payload), time.time())
        receive(self, payload)

    @wraps(dispatch)
    def timed_dispatch(self: Any, event: Any) -> None:
        _first("dispatched", _sequence_of_payload(event.payload), time.time())
        dispatch(self, event)

    pubsub._Listening.receive = timed_receive  # type: ignore[method-assign]
    pubsub.EventHub._dispatch = timed_dispatch  # type: ignore[method-assign]


def _install_web() -> None:
    from starlette.websockets import WebSocket  # noqa: PLC0415

    from web import graphql_shared  # noqa: PLC0415

    results = graphql_shared._results

    async def timed_results(*args: Any, **kwargs: Any) -> AsyncIterator[Any]:
        async for kind, payload in results(*args, **kwargs):
            _first("executed", _sequence(payload), time.time())
            yield kind, payload

    graphql_shared._results = timed_results
    send: Callable[..., Any] = WebSocket.send

    @wraps(send)
    async def timed_send(self: WebSocket, message: Any) -> None:
        await send(self, message)
        text = message.get("text")
        if text is not None:
            _last("sent", _sequence(text), time.time())

    WebSocket.send = timed_send  # type: ignore[method-assign,assignment]


def _dump(directory: str, name: str) -> None:
    path = Path(directory) / f"{name}-{os.getpid()}.json"
    noted: dict[str, Any] = {stage: list(noted.items()) for stage, noted in _noted.items()}
    noted["collections"] = _collections
    noted["stalls"] = _stalls
    path.write_text(json.dumps(noted))


def install(directory: str, name: str, *, web: bool) -> None:
    _install_relay()
    _install_hub()
    if web:
        _install_web()
    gc.callbacks.append(_on_gc)
    atexit.register(_dump, directory, name)
    # uvicorn re-raises the SIGTERM it caught after shutdown: exit by SystemExit instead,
    # so atexit runs.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))


def read(directory: str) -> dict[str, dict[int, float]]:
    """Every process's notes, merged: the earliest time per stage and change, but the
    latest for `sent` (the last socket's frame)."""
    merged: dict[str, dict[int, float]] = {stage: {} for stage in STAGES}
    for path in Path(directory).glob("*.json"):
        for stage, pairs in json.loads(path.read_text()).items():
            if stage not in merged:
                continue
            into = merged[stage]
            for sequence, at in pairs:
                if stage == "sent":
                    into[sequence] = max(into.get(sequence, 0.0), at)
                else:
                    into[sequence] = min(into.get(sequence, at), at)
    return merged


def pauses(directory: str) -> dict[str, dict[str, list[list[float]]]]:
    """Per process (file name: role-pid), its collections and loop stalls."""
    found: dict[str, dict[str, list[list[float]]]] = {}
    for path in Path(directory).glob("*.json"):
        noted = json.loads(path.read_text())
        found[path.stem] = {
            "collections": noted.get("collections", []),
            "stalls": noted.get("stalls", []),
        }
    return found


UVICORN = """
import sys
from bench.fanout_probe import install
directory = sys.argv.pop(1)
install(directory, "api", web=True)
from uvicorn.main import main
main(prog_name="uvicorn")
"""
