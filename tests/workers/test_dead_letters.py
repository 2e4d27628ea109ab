"""Dead letters as an operator handles them: a poison message is dead-lettered and counted,
`stakehouse dlq` lists and shows it, a replay puts it back with a fresh retry budget and a
drop forgets it, each with an audit row naming who and why. Real Redis, real worker."""

from __future__ import annotations

import asyncio
import functools
import os
import re
import subprocess
import sys
import uuid

import pytest
from prometheus_client import REGISTRY
from sqlalchemy import func, select

from domain.brands.service import BrandRegistry
from domain.kernel.audit import AuditEntry
from domain.kernel.db import Database
from domain.messaging.models import InboxMessage
from tests.support import AURORA, Api, create_player
from tests.workers import (
    eventually,
    flushed_broker,  # noqa: F401 (autouse fixture)
    queued_messages,
    running_worker,
)
from workers import queues
from workers.actors import broker, feed, messaging
from workers.scheduler import measure_queues

POISON = {"kind": "no-such-kind", "producer": "drill", "message_id": "poison-1"}


def dlq(*args: str, database_url: str, broker_url: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "STAKEHOUSE_DATABASE_URL": database_url,
        "STAKEHOUSE_BROKER_URL": broker_url,
    }
    return subprocess.run(
        [sys.executable, "-m", "web.cli", "dlq", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


async def dead_lettered_poison() -> queues.DeadLetter:
    feed.feed_message.send(POISON)

    async def dead() -> bool:
        return bool(queues.dead_letters(broker, feed.QUEUE))

    async with running_worker(feed.QUEUE):
        await eventually(dead)
    (letter,) = queues.dead_letters(broker, feed.QUEUE)
    return letter


async def audit_rows(db: Database, key: str) -> list[AuditEntry]:
    async with db.uow() as uow:
        rows = await uow.session.scalars(select(AuditEntry).where(AuditEntry.subject_id == key))
        return list(rows)


async def test_a_poison_message_is_dead_lettered_and_the_queue_keeps_flowing(db: Database) -> None:
    letter = await dead_lettered_poison()

    assert letter.message.actor_name == "sportsbook.feed_message"
    assert letter.message.args == (POISON,)
    assert letter.reason.startswith("INVALID_FEED_MESSAGE")
    assert await measure_queues(db) >= 1
    feed_state = next(s for s in queues.queue_states(broker, {feed.QUEUE}) if s.queue == "feed")
    assert (feed_state.depth, feed_state.dead) == (0, 1)
    assert queues.DEAD_LETTERS.labels(queue="feed")._value.get() == 1
    # The next message is not stuck behind it.
    feed.feed_message.send({"kind": "alive", "producer": "drill", "message_id": "after"})
    async with running_worker(feed.QUEUE):
        await eventually(lambda: _holds(not queued_messages(feed.QUEUE)))


async def _holds(value: bool) -> bool:
    return value


async def test_a_waiting_message_shows_in_depth_and_age() -> None:
    feed.feed_message.send({"kind": "alive", "producer": "drill", "message_id": "waits"})

    (state,) = queues.queue_states(broker, {feed.QUEUE})

    assert state.depth == 1
    assert state.oldest_age_s is not None and 0 <= state.oldest_age_s < 60
    assert queues.QUEUE_DEPTH.labels(queue="feed")._value.get() == 1


async def test_the_cli_lists_shows_and_replays_with_an_audit_row(
    db: Database, database_url: str, broker_url: str
) -> None:
    letter = await dead_lettered_poison()
    urls = {"database_url": database_url, "broker_url": broker_url}

    # The commands that change nothing run at once: each process spends most of its time
    # importing the platform, and one after another they cost seconds apiece.
    listed, counts, shown, refused = await asyncio.gather(
        *(
            asyncio.to_thread(functools.partial(dlq, *args, **urls))
            for args in (
                ("list", "feed"),
                ("list",),
                ("show", "feed", letter.key),
                ("replay", "feed", letter.key),
            )
        )
    )
    assert listed.returncode == 0, listed.stderr
    assert letter.key in listed.stdout and "sportsbook.feed_message" in listed.stdout
    assert any(
        line.split()[:1] == ["feed"] and line.split()[-1] == "1"
        for line in counts.stdout.splitlines()
    )
    assert shown.returncode == 0 and "no-such-kind" in shown.stdout
    assert refused.returncode == 2 and "--reason" in refused.stderr
    assert len(queues.dead_letters(broker, feed.QUEUE)) == 1
    replayed = dlq(
        "replay", "feed", letter.key, "--reason", "feed fixed", "--operator", "ops-ann", **urls
    )
    assert replayed.returncode == 0, replayed.stderr

    assert queues.dead_letters(broker, feed.QUEUE) == []
    (again,) = queued_messages(feed.QUEUE)
    assert again.args == (POISON,) and "retries" not in again.options
    (row,) = await audit_rows(db, letter.key)
    assert (row.action, row.actor_kind, row.actor_id, row.reason) == (
        "dlq.replay", "operator", "ops-ann", "feed fixed",
    )  # fmt: skip
    assert row.before is not None and row.before["actor"] == "sportsbook.feed_message"


async def test_drop_forgets_the_letter_and_an_unknown_key_changes_nothing(
    db: Database, database_url: str, broker_url: str
) -> None:
    letter = await dead_lettered_poison()
    urls = {"database_url": database_url, "broker_url": broker_url}

    unknown = dlq("drop", "feed", "no-such-key", "--reason", "tidy", **urls)
    assert unknown.returncode == 1 and "no dead letter no-such-key" in unknown.stderr
    assert len(queues.dead_letters(broker, feed.QUEUE)) == 1

    dropped = dlq("drop", "feed", letter.key, "--reason", "obsolete test message", **urls)
    assert dropped.returncode == 0, dropped.stderr
    assert queues.dead_letters(broker, feed.QUEUE) == []
    assert queued_messages(feed.QUEUE) == []
    (row,) = await audit_rows(db, letter.key)
    assert row.action == "dlq.drop"


@pytest.mark.parametrize("command", ["replay", "drop"])
def test_a_blank_reason_is_refused(command: str, database_url: str, broker_url: str) -> None:
    result = dlq(
        command, "feed", "k", "--reason", "  ", database_url=database_url, broker_url=broker_url
    )

    assert result.returncode == 2
    assert "say why" in result.stderr


async def test_a_message_that_keeps_failing_is_dead_lettered_after_its_retries_while_others_flow(
    db: Database, registry: BrandRegistry
) -> None:
    """The drill's poison fails the same way on every delivery (a payload the welcome actor
    cannot read: a bug, not a domain refusal), so it is retried with backoff, then dead-
    lettered; the welcomes sent before and after it are all delivered meanwhile."""
    players = [await create_player(db, registry) for _ in range(12)]
    dead_before = _dead_lettered_count(messaging.WELCOME_CONSUMER, "KeyError")

    def welcome(player: uuid.UUID, event_id: int) -> None:
        messaging.send_welcome.send(event_id, "aurora", {"player_id": str(player)})

    for number, player in enumerate(players[:6]):
        welcome(player, -1_000_000 - number)
    # Its own retry budget and backoff keep the drill short; the actor's are 10 and minutes.
    # Its three retries wait 3 to 6 s in all (was 6 to 12 s; dramatiq jitters each), ample
    # for the twelve welcomes, which take well under a second together.
    messaging.send_welcome.send_with_options(
        args=(-1, "aurora", {}), max_retries=3, min_backoff=500, max_backoff=2_000
    )
    for number, player in enumerate(players[6:]):
        welcome(player, -2_000_000 - number)

    async def poison_dead_and_welcomes_delivered() -> bool:
        return bool(queues.dead_letters(broker, messaging.QUEUE)) and (
            await _welcomed(db, players) == len(players)
        )

    async with running_worker(messaging.QUEUE):
        await eventually(poison_dead_and_welcomes_delivered, timeout_s=30)

    (letter,) = queues.dead_letters(broker, messaging.QUEUE)
    assert letter.message.args == (-1, "aurora", {})
    assert letter.message.options["retries"] == 3
    assert letter.reason.startswith("KeyError")
    assert _dead_lettered_count(messaging.WELCOME_CONSUMER, "KeyError") == dead_before + 1
    await measure_queues(db)
    assert queues.DEAD_LETTERS.labels(queue=messaging.QUEUE)._value.get() == 1
    assert not queued_messages(messaging.QUEUE)
    # Flowing: every welcome, those sent after the poison too, was in before it died.
    assert await _last_welcome_ms(db, players) < letter.dead_at_ms


def _dead_lettered_count(actor: str, reason: str) -> float:
    return (
        REGISTRY.get_sample_value(
            "stakehouse_messages_dead_lettered_total", {"actor": actor, "reason": reason}
        )
        or 0.0
    )


async def _welcomed(db: Database, players: list[uuid.UUID]) -> int:
    async with db.uow() as uow:
        return int(
            await uow.session.scalar(
                select(func.count(func.distinct(InboxMessage.player_id))).where(
                    InboxMessage.player_id.in_(players), InboxMessage.kind == "welcome"
                )
            )
            or 0
        )


async def _last_welcome_ms(db: Database, players: list[uuid.UUID]) -> int:
    async with db.uow() as uow:
        last = await uow.session.scalar(
            select(func.max(InboxMessage.created_at)).where(InboxMessage.player_id.in_(players))
        )
    assert last is not None
    return int(last.timestamp() * 1000)


async def test_the_dashboard_and_operations_overview_count_the_brokers_dead_letters(
    db: Database, registry: BrandRegistry
) -> None:
    """The API does not import the broker: the app gets the broker's count through the
    domain's DeadLetterCount port at creation, and shows it in the dashboard's queue health."""
    from domain.kernel.settings import get_settings
    from tests.conftest import app_server
    from tests.schema.accounts.test_staff import signed_in_staff
    from tests.web.backoffice.support import signed_in_console

    async with app_server(registry) as server:
        admin = await signed_in_console(server, db, "dlq-dash@op.example", ["admin"])
        aurora_only = await signed_in_console(
            server, db, "dlq-dash-aurora@op.example", ["admin"], ["aurora"]
        )
        before = await admin.get("/")
        await dead_lettered_poison()
        after = await admin.get("/")
        scoped = await aurora_only.get("/")
        everyone = await signed_in_staff(Api(server, AURORA), db, "dlq-api@op.example", ["admin"])
        aurora_api = await signed_in_staff(
            Api(server, AURORA), db, "dlq-api-aurora@op.example", ["admin"], ["aurora"]
        )
        overview = "{ operationsOverview { deadLetters outboxPending } }"
        read_by_all, read_by_aurora = (
            await everyone.query(overview),
            await aurora_api.query(overview),
        )
        await admin.aclose()
        await aurora_only.aclose()
    no_broker = get_settings().model_copy(update={"broker_url": None})
    async with app_server(registry, no_broker) as server:
        admin = await signed_in_console(server, db, "dlq-dash-2@op.example", ["admin"])
        unknown = await admin.get("/")
        await admin.aclose()

    def figure(html: str) -> str:
        found = re.search(r'data-figure="dead-letters">(.*?)</', html, re.DOTALL)
        assert found is not None
        return found.group(1).strip()

    assert (before.status_code, figure(before.text)) == (200, "0")
    assert figure(after.text) == "1"
    assert "Dead letters" in after.text
    assert figure(unknown.text) == "unknown"
    # A count across every brand is not a brand's figure: staff of some brands neither see
    # it on the dashboard nor read it from the API.
    assert scoped.status_code == 200 and 'data-figure="dead-letters"' not in scoped.text
    assert read_by_all.data["operationsOverview"]["deadLetters"] == 1
    assert read_by_aurora.data["operationsOverview"]["deadLetters"] is None
