"""Dead letters as an operator handles them: a poison message is dead-lettered and counted,
`stakehouse dlq` lists and shows it, a replay puts it back with a fresh retry budget and a
drop forgets it, each with an audit row naming who and why. Real Redis, real worker."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from sqlalchemy import select

from domain.kernel.audit import AuditEntry
from domain.kernel.db import Database
from tests.workers import (
    eventually,
    flushed_broker,  # noqa: F401 (autouse fixture)
    queued_messages,
    running_worker,
)
from workers import queues
from workers.actors import broker, feed
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

    listed = dlq("list", "feed", **urls)
    assert listed.returncode == 0, listed.stderr
    assert letter.key in listed.stdout and "sportsbook.feed_message" in listed.stdout
    counts = dlq("list", **urls)
    assert any(
        line.split()[:1] == ["feed"] and line.split()[-1] == "1"
        for line in counts.stdout.splitlines()
    )
    shown = dlq("show", "feed", letter.key, **urls)
    assert shown.returncode == 0 and "no-such-kind" in shown.stdout

    refused = dlq("replay", "feed", letter.key, **urls)
    assert refused.returncode == 2 and "--reason" in refused.stderr
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
