"""The CRM stream end to end: committed events through the outbox relay and the real broker
to the `crm` worker, which records them and delivers each player's lane to the test
receiver (a real HTTP server), retrying with back-off (delayed broker messages) after the
receiver fails; each event arrives once, in order per player."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import httpx
import pytest
from prometheus_client import REGISTRY

from domain.accounts.models import Player
from domain.brands.service import BrandRegistry
from domain.kernel.db import Database
from domain.kernel.settings import get_settings
from domain.segments import consent
from domain.segments.models import ConsentChannel
from tests.domain.segments.support import BRAND, new_player
from tests.workers import (
    eventually,
    flushed_broker,  # noqa: F401 (autouse fixture)
    running_worker,
)
from web import crm_receiver
from workers.actors import crm
from workers.groups import QUEUE_GROUPS
from workers.relay import relay_batch
from workers.routing import ROUTES
from workers.scheduler import release_due_crm_lanes

DELIVERY_TIMEOUT_S = 60.0


@pytest.fixture
def receiver(monkeypatch: pytest.MonkeyPatch) -> Iterator[crm_receiver.RunningReceiver]:
    """The test receiver, and every brand streaming to it (as `stakehouse dev` sets up),
    backing off from 20 ms."""
    running = crm_receiver.start()
    monkeypatch.setenv("STAKEHOUSE_CRM_TEST_RECEIVER_URL", running.url)
    monkeypatch.setenv("STAKEHOUSE_CRM_RETRY_FIRST_MS", "20")
    monkeypatch.setenv("STAKEHOUSE_CRM_RETRY_MAX_MS", "200")
    get_settings.cache_clear()
    yield running
    running.stop()
    monkeypatch.undo()
    get_settings.cache_clear()


async def set_email_consent(db: Database, player_id: uuid.UUID, *, granted: bool) -> None:
    async with db.transaction() as uow:
        player = await uow.session.get(Player, player_id)
        assert player is not None
        await consent.set_consent(uow, player, ConsentChannel.EMAIL, granted=granted, source="site")


def test_the_crm_queue_has_its_own_worker_group_and_every_streamed_topic_a_recorder() -> None:
    assert QUEUE_GROUPS["crm"] == (crm.QUEUE,)
    for topic, recorder in crm.RECORDERS.items():
        assert recorder in ROUTES[topic]
    assert {actor.queue_name for actor in crm.RECORDERS.values()} == {crm.QUEUE}


async def test_events_reach_the_crm_through_the_worker_in_order_per_player_after_failures(
    db: Database, registry: BrandRegistry, receiver: crm_receiver.RunningReceiver
) -> None:
    first, second = [await new_player(db, registry) for _ in range(2)]
    for granted in (True, False):
        for player in (first, second):
            await set_email_consent(db, player, granted=granted)
    async with httpx.AsyncClient() as client:
        await client.post(f"{receiver.url}/{BRAND}/control", json={"fail": 3, "lose_acks": 1})
    inbox = receiver.receiver.inbox(BRAND)

    async def all_arrived() -> bool:
        await relay_batch(db, limit=100)
        mine = [e for e in inbox.events if e["player_id"] in (str(first), str(second))]
        return len(mine) == 6

    async with running_worker(crm.QUEUE):
        await eventually(all_arrived, timeout_s=DELIVERY_TIMEOUT_S)

    for player in (first, second):
        lane = [e for e in inbox.events if e["player_id"] == str(player)]
        assert [e["sequence"] for e in lane] == [1, 2, 3]
        assert [e["type"] for e in lane] == ["registration", "consent_changed", "consent_changed"]
        assert [e["data"].get("granted") for e in lane[1:]] == [True, False]
    # The lost answer makes one repeat (a send timing out on a loaded machine makes more).
    assert (inbox.failed, inbox.refused) == (4, 0)
    assert inbox.duplicates >= 1


async def test_the_scheduler_reports_the_crm_backlog_and_hands_out_due_lanes(
    db: Database, registry: BrandRegistry, receiver: crm_receiver.RunningReceiver
) -> None:
    player_id = await new_player(db, registry)
    await set_email_consent(db, player_id, granted=True)
    async with running_worker(crm.QUEUE):
        # Recorded, but the receiver refuses everything for now: the lane backs off.
        async with httpx.AsyncClient() as client:
            await client.post(f"{receiver.url}/{BRAND}/control", json={"fail": 1000})

        async def backed_off() -> bool:
            await relay_batch(db, limit=100)
            return receiver.receiver.inbox(BRAND).failed >= 2

        await eventually(backed_off, timeout_s=DELIVERY_TIMEOUT_S)
        await release_due_crm_lanes(db)

    assert REGISTRY.get_sample_value("stakehouse_crm_pending_events") == 2
    oldest_s = REGISTRY.get_sample_value("stakehouse_crm_oldest_pending_age_seconds")
    assert oldest_s is not None and oldest_s > 0
    assert receiver.receiver.inbox(BRAND).events == []
