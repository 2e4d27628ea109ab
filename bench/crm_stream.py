"""The CRM stream's delivery rate against its ceiling, measured in the same run.

    .venv/bin/python -m bench.crm_stream                  # 20 players x 10 events
    .venv/bin/python -m bench.crm_stream --players 40 --events 20

A database of its own (bench.fixtures.bench_database), players registered on aurora, each
with `--events` consent changes; every committed event is recorded as the crm workers do
(one transaction per event). Then two phases send the same number of events to the test
receiver (web/crm_receiver.py, a real HTTP server in a thread of this process), one
coroutine per player:

- ceiling: `HttpCrm.send` of pre-signed bodies, nothing else (the HTTP path alone);
- lanes: `deliver_lane` per player, as the `crm.deliver` actor runs it (lease, head read,
  send, the attempt recorded and the lease renewed, release).

It prints events/s of each, the ratio lanes/ceiling and the load average.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import time
import uuid

from sqlalchemy import select

from bench.fixtures import _funded_player, bench_database
from domain.accounts.models import Player
from domain.brands.service import BrandRegistry, sync_brands
from domain.integrations.crm import CrmEndpoint, HttpCrm
from domain.kernel.db import Database
from domain.kernel.outbox import OutboxEvent
from domain.kernel.settings import DEV_CRM_SECRET, get_settings
from domain.segments import consent, crm
from domain.segments.models import ConsentChannel, CrmDelivery
from web import crm_receiver

BRAND = "aurora"


def say(line: str) -> None:
    print(line, flush=True)  # noqa: T201


async def _players(
    db: Database, registry: BrandRegistry, count: int, events: int
) -> list[uuid.UUID]:
    async with db.transaction() as uow:
        await sync_brands(uow, registry)
    players = [
        (await _funded_player(db, registry, index, email_prefix="crm")).id for index in range(count)
    ]
    for turn in range(events - 1):
        for player_id in players:
            async with db.transaction() as uow:
                player = await uow.session.get(Player, player_id)
                assert player is not None
                await consent.set_consent(
                    uow, player, ConsentChannel.EMAIL, granted=turn % 2 == 0, source="site"
                )
    return players


async def _record(db: Database, endpoint_of: crm.EndpointOf) -> tuple[int, float]:
    async with db.uow() as uow:
        events = (
            await uow.session.execute(
                select(OutboxEvent.id, OutboxEvent.topic, OutboxEvent.brand, OutboxEvent.payload)
                .where(OutboxEvent.topic.in_(crm.TOPICS))
                .order_by(OutboxEvent.id)
            )
        ).all()
    started = time.perf_counter()
    recorded = 0
    for event in events:
        async with db.transaction() as uow:
            recorded += await crm.record(
                uow, endpoint_of, topic=event.topic, event_id=event.id, brand=event.brand,
                payload=event.payload,
            )  # fmt: skip
    return recorded, time.perf_counter() - started


async def _ceiling(endpoint: CrmEndpoint, players: int, events: int) -> float:
    sender = HttpCrm()
    bodies = [
        [
            crm.encode({"id": str(uuid.uuid4()), "sequence": n, "type": "bench"})
            for n in range(events)
        ]
        for _ in range(players)
    ]

    async def lane(own: list[bytes]) -> None:
        for body in own:
            await sender.send(endpoint, body, timestamp=int(time.time()))

    started = time.perf_counter()
    await asyncio.gather(*(lane(own) for own in bodies))
    return time.perf_counter() - started


async def _lanes(
    db: Database, endpoint_of: crm.EndpointOf, players: list[uuid.UUID]
) -> tuple[int, float]:
    started = time.perf_counter()
    turns = await asyncio.gather(
        *(
            crm.deliver_lane(
                db, HttpCrm(), endpoint_of, player, retry_first_ms=1_000, retry_max_ms=1_000
            )
            for player in players
        )
    )
    return sum(turn.delivered for turn in turns), time.perf_counter() - started


async def _main(url: str, players_count: int, events: int) -> None:
    running = crm_receiver.start()
    endpoint = CrmEndpoint(f"{running.url}/{BRAND}/events", DEV_CRM_SECRET.encode(), ())

    def endpoint_of(brand: str) -> CrmEndpoint | None:
        return endpoint if brand == BRAND else None

    db = Database.connect(url, pool_size=max(10, players_count + 2))
    try:
        registry = BrandRegistry.load(get_settings().themes_dir)
        players = await _players(db, registry, players_count, events)
        recorded, record_s = await _record(db, endpoint_of)
        say(f"recorded {recorded} events in {record_s:.2f} s: {recorded / record_s:.0f} events/s")
        total = players_count * events
        assert recorded == total, (recorded, total)
        ceiling_s = await _ceiling(endpoint, players_count, events)
        delivered, lanes_s = await _lanes(db, endpoint_of, players)
        if delivered != total:
            async with db.uow() as uow:
                errors = (
                    await uow.session.scalars(
                        select(CrmDelivery.last_error).where(CrmDelivery.last_error.is_not(None))
                    )
                ).all()
            say(f"delivered {delivered} of {total}; failed attempts: {errors}")
        ceiling_rate, lanes_rate = total / ceiling_s, total / lanes_s
        say(f"ceiling (HTTP sends only): {total} in {ceiling_s:.2f} s: {ceiling_rate:.0f} events/s")
        say(f"lanes (deliver_lane):      {total} in {lanes_s:.2f} s: {lanes_rate:.0f} events/s")
        say(f"ratio lanes/ceiling: {lanes_rate / ceiling_rate:.2f}")
        say("load average: " + " ".join(f"{value:.2f}" for value in os.getloadavg()))
    finally:
        await db.dispose()
        running.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--players", type=int, default=20)
    parser.add_argument(
        "--events", type=int, default=10, help="per player (registration + consent changes)"
    )
    args = parser.parse_args()
    os.environ.setdefault("STAKEHOUSE_LOG_LEVEL", "WARNING")
    say(f"CRM stream benchmark: {args.players} players x {args.events} events")
    with bench_database() as (url, _broker):
        asyncio.run(_main(url, args.players, args.events))


if __name__ == "__main__":
    main()
