"""Feed ingestion over HTTP, against the real server: a signed producer's messages apply in
producer sequence; forged, stale and malformed requests change nothing; a gap suspends the
producer's markets until its recovery completes, and a producer that lost messages and
recovered ends where one that delivered everything in order does."""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import func, select
from typer.testing import CliRunner

from domain.brands.service import BrandRegistry
from domain.integrations.feed import signed_headers
from domain.kernel import clock
from domain.kernel.db import Database
from domain.kernel.settings import DEV_FEED_PRODUCER_SECRET
from domain.sportsbook.feed import heartbeats
from domain.sportsbook.feed.port import (
    Alive,
    BetCancel,
    BetSettlement,
    BetStop,
    Fixture,
    MarketOdds,
    MarketRef,
    MarketResult,
    OddsChange,
    OutcomeOdds,
    OutcomeResult,
    RollbackBetSettlement,
)
from domain.sportsbook.feed.results import converge
from domain.sportsbook.feed.simulator import FeedSimulator
from domain.sportsbook.models import (
    Bet,
    BetLeg,
    BetType,
    Event,
    FeedProducer,
    Market,
    Outcome,
)
from domain.sportsbook.models import (
    FeedMessage as FeedMessageRow,
)
from domain.sportsbook.placement import BetSlip, Selection
from tests.domain.sportsbook.support import funded_player, place, wallets
from web.cli import app
from web.feed_producer import Faults, HttpFeedSink, TestFeedProducer

SECRET = DEV_FEED_PRODUCER_SECRET.encode()
ODDS_1X2 = {"home": "2.10", "draw": "3.40", "away": "3.60"}
ODDS_TOTAL = {"over": "1.90", "under": "1.90"}


def _producer(server: str, name: str | None = None) -> TestFeedProducer:
    return TestFeedProducer(server, name or f"p-{uuid.uuid4().hex[:10]}", SECRET, batch_size=3)


class Script:
    """One event's messages from one producer, numbered per event as a feed does."""

    def __init__(self, producer: str, ref: str) -> None:
        self.producer, self.ref, self.sequence = producer, ref, 0

    def _common(self) -> dict[str, Any]:
        self.sequence += 1
        return {
            "producer": self.producer, "message_id": f"{self.ref}:{self.sequence}",
            "event_ref": self.ref, "sequence": self.sequence, "sent_at": clock.now(),
        }  # fmt: skip

    def odds(
        self, home: str = ODDS_1X2["home"], over: str = ODDS_TOTAL["over"], *,
        fixture: bool = False, status: str = "active",
    ) -> OddsChange:  # fmt: skip
        one_x_two = dict(ODDS_1X2, home=home)
        totals = dict(ODDS_TOTAL, over=over)
        markets = tuple(
            MarketOdds(
                type=market_type,
                name=market_type,
                status=status,
                specifiers=specifiers,
                outcomes=tuple(OutcomeOdds(k, k, Decimal(v)) for k, v in odds.items()),
            )
            for market_type, specifiers, odds in (
                ("match_result", "", one_x_two),
                ("total_goals", "total=2.5", totals),
                ("total_goals", "total=3.5", totals),
            )
        )
        found = (
            Fixture(
                sport_key="football",
                sport_name="Football",
                competition_key="epl",
                competition_name="Premier League",
                name=f"Home v Away {self.ref}",
                starts_at=clock.now() + timedelta(hours=2),
                home="Home",
                away="Away",
            )
            if fixture
            else None
        )
        return OddsChange(**self._common(), markets=markets, fixture=found, event_status=None)

    def stop(self) -> BetStop:
        return BetStop(**self._common())

    def settle(self, winner: str) -> BetSettlement:
        outcomes = tuple(OutcomeResult(k, int(k == winner)) for k in ODDS_1X2)
        return BetSettlement(**self._common(), markets=(MarketResult("match_result", outcomes),))

    def rollback(self) -> RollbackBetSettlement:
        return RollbackBetSettlement(**self._common(), markets=(MarketRef("match_result"),))

    def cancel_total(self) -> BetCancel:
        return BetCancel(**self._common(), markets=(MarketRef("total_goals", "total=2.5"),))


def _alive(producer: str) -> Alive:
    return Alive(producer=producer, message_id=f"alive:{uuid.uuid4()}", sent_at=clock.now())


async def _event_count(db: Database, ref: str) -> int:
    async with db.uow() as uow:
        return int(await uow.session.scalar(select(func.count()).where(Event.feed_ref == ref)) or 0)


async def _markets(db: Database, ref: str) -> dict[tuple[str, str], tuple[str, str | None]]:
    async with db.uow() as uow:
        rows = await uow.session.execute(
            select(Market.type, Market.specifiers, Market.status, Market.suspended_by)
            .join(Event, Event.id == Market.event_id)
            .where(Event.feed_ref == ref)
        )
        return {(t, s): (status, by) for t, s, status, by in rows}


async def _nothing_recorded(db: Database, producer: str, ref: str) -> None:
    assert await _event_count(db, ref) == 0
    async with db.uow() as uow:
        assert await uow.session.get(FeedProducer, producer) is None
        claimed = await uow.session.scalar(
            select(func.count()).where(FeedMessageRow.producer == producer)
        )
    assert claimed == 0


# ---- acceptance line 1: signed, validated, versioned ------------------------------------


async def test_a_signed_batch_is_applied_in_order_and_each_message_gets_a_status(
    server: str, db: Database
) -> None:
    client = _producer(server)
    script = Script(client.producer, f"ev-{uuid.uuid4().hex[:8]}")
    first, moved = script.odds(fixture=True), script.odds(home="2.30")
    wires = [client.number(first), client.number(moved), client.number(_alive(client.producer))]

    response = await client.post_messages(wires)

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["producer"] == client.producer
    assert body["last_applied_sequence"] == 2
    assert body["recovering"] is False
    assert [m["status"] for m in body["messages"]] == ["applied", "applied", "applied"]
    assert [m["message_id"] for m in body["messages"]] == [w["message_id"] for w in wires]
    async with db.uow() as uow:
        home_odds = await uow.session.scalar(
            select(Outcome.feed_odds)
            .join(Market, Market.id == Outcome.market_id)
            .join(Event, Event.id == Market.event_id)
            .where(Event.feed_ref == script.ref, Outcome.key == "home")
        )
    assert home_odds == Decimal("2.30")
    assert set((await _markets(db, script.ref)).values()) == {("active", None)}


async def test_a_message_sent_again_is_a_duplicate_and_changes_nothing(
    server: str, db: Database
) -> None:
    client = _producer(server)
    script = Script(client.producer, f"ev-{uuid.uuid4().hex[:8]}")
    wire = client.number(script.odds(fixture=True))
    assert (await client.post_messages([wire])).status_code == 200

    again = await client.post_messages([wire])

    assert again.status_code == 200
    assert [m["status"] for m in again.json()["messages"]] == ["duplicate"]
    assert again.json()["last_applied_sequence"] == 1


async def test_a_forged_signature_is_refused_and_changes_nothing(server: str, db: Database) -> None:
    client = _producer(server)
    script = Script(client.producer, f"ev-{uuid.uuid4().hex[:8]}")
    body = json.dumps({"messages": [client.number(script.odds(fixture=True))]}).encode()

    response = await client.post(body, secret=b"not-the-producers-secret-at-all")

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "INVALID_SIGNATURE"
    await _nothing_recorded(db, client.producer, script.ref)


async def test_a_body_changed_after_signing_is_refused(server: str, db: Database) -> None:
    client = _producer(server)
    script = Script(client.producer, f"ev-{uuid.uuid4().hex[:8]}")
    body = json.dumps({"messages": [client.number(script.odds(fixture=True))]}).encode()
    headers = {
        **signed_headers(client.producer, SECRET, body, now=clock.now()),
        "content-type": "application/json",
    }
    tampered = body.replace(b"2.10", b"9.10")

    async with httpx.AsyncClient(base_url=server) as http:
        response = await http.post("/feed/v1/messages", content=tampered, headers=headers)

    assert response.status_code == 401
    await _nothing_recorded(db, client.producer, script.ref)


async def test_a_stale_request_is_refused_and_changes_nothing(server: str, db: Database) -> None:
    client = _producer(server)
    script = Script(client.producer, f"ev-{uuid.uuid4().hex[:8]}")
    body = json.dumps({"messages": [client.number(script.odds(fixture=True))]}).encode()

    # A minute outside the 300 s window: a slow arrival cannot bring it back inside.
    response = await client.post(body, signed_at=clock.now() - timedelta(seconds=360))

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "INVALID_SIGNATURE"
    await _nothing_recorded(db, client.producer, script.ref)


async def test_an_unsigned_request_is_refused(server: str, db: Database) -> None:
    async with httpx.AsyncClient(base_url=server) as http:
        response = await http.post("/feed/v1/messages", content=b'{"messages": []}')

    assert response.status_code == 401
    assert response.headers["www-authenticate"] == 'Signature realm="feed"'


async def test_one_malformed_message_refuses_the_whole_batch_naming_it_and_its_field(
    server: str, db: Database
) -> None:
    client = _producer(server)
    script = Script(client.producer, f"ev-{uuid.uuid4().hex[:8]}")
    good = client.number(script.odds(fixture=True))
    bad = client.number(script.odds(home="2.50"))
    bad["markets"][0]["outcomes"][0]["odds"] = 2.5  # a JSON number: never exact odds

    response = await client.post_messages([good, bad])

    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "MALFORMED_MESSAGE"
    assert error["index"] == 1
    assert error["message_id"] == bad["message_id"]
    assert error["field"] == "messages/1/markets/0/outcomes/0/odds"
    await _nothing_recorded(db, client.producer, script.ref)


async def test_a_message_of_an_unknown_kind_or_missing_its_sequence_is_refused(
    server: str, db: Database
) -> None:
    client = _producer(server)
    script = Script(client.producer, f"ev-{uuid.uuid4().hex[:8]}")
    unnumbered = client.number(script.odds(fixture=True))
    del unnumbered["producer_sequence"]
    unknown = dict(client.number(script.stop()), kind="score_change")

    missing = await client.post_messages([unnumbered])
    strange = await client.post_messages([unknown])

    assert missing.status_code == 400
    assert missing.json()["error"]["field"] == "messages/0"
    assert "producer_sequence" in missing.json()["error"]["message"]
    assert strange.status_code == 400
    assert strange.json()["error"]["field"] == "messages/0/kind"
    await _nothing_recorded(db, client.producer, script.ref)


async def test_a_body_over_the_cap_is_refused_before_it_is_read(server: str, db: Database) -> None:
    client = _producer(server)
    script = Script(client.producer, f"ev-{uuid.uuid4().hex[:8]}")
    wire = client.number(script.odds(fixture=True))
    wire["markets"][0]["name"] = "x" * (70 * 1024)  # past the 64 KiB cap

    response = await client.post_messages([wire])

    assert response.status_code == 413
    assert response.json()["error"]["code"] == "BODY_TOO_LARGE"
    await _nothing_recorded(db, client.producer, script.ref)


async def test_a_message_of_another_producer_is_refused(server: str, db: Database) -> None:
    client = _producer(server)
    script = Script("someone-else", f"ev-{uuid.uuid4().hex[:8]}")

    response = await client.post_messages([client.number(script.odds(fixture=True))])

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "PRODUCER_MISMATCH"
    await _nothing_recorded(db, client.producer, script.ref)


async def test_the_schema_is_served_and_describes_every_kind(server: str) -> None:
    async with httpx.AsyncClient(base_url=server) as http:
        response = await http.get("/feed/v1/schema.json")

    assert response.status_code == 200
    kinds = response.json()["$defs"]["message"]["properties"]["kind"]["enum"]
    assert set(kinds) == {
        "odds_change", "bet_stop", "bet_settlement", "bet_cancel", "rollback_bet_settlement",
        "rollback_bet_cancel", "fixture_change", "alive", "snapshot_complete",
    }  # fmt: skip


# ---- acceptance line 2: sequence, gap, recovery -----------------------------------------


async def test_a_gap_suspends_the_producers_markets_until_its_recovery_completes(
    server: str, db: Database
) -> None:
    client = _producer(server)
    script = Script(client.producer, f"ev-{uuid.uuid4().hex[:8]}")
    opening = client.number(script.odds(fixture=True))
    lost = client.number(script.odds(home="2.20"))
    after_loss = client.number(script.odds(home="2.40"))
    assert (await client.post_messages([opening])).status_code == 200

    gap = await client.post_messages([after_loss])

    assert gap.status_code == 409
    assert gap.json()["error"]["code"] == "SEQUENCE_GAP"
    assert gap.json()["resend_from"] == 2
    assert [m["status"] for m in gap.json()["messages"]] == ["not_applied"]
    held = {("suspended", "recovery")}
    assert set((await _markets(db, script.ref)).values()) == held
    # A heartbeat does not lift it, nor do the feed's own prices re-sent in sequence.
    assert (await client.post_messages([client.number(_alive(client.producer))])).is_success
    assert (await client.post_messages([lost, after_loss])).status_code == 200
    assert set((await _markets(db, script.ref)).values()) == held

    point = await client.post(b"{}", path="/feed/v1/recovery")
    assert point.json() == {
        "producer": client.producer, "last_applied_sequence": 3, "recovering": True,
        "resend_from": 4,
    }  # fmt: skip
    await client.recover()

    assert set((await _markets(db, script.ref)).values()) == {("active", None)}
    async with db.uow() as uow:
        producer = await uow.session.get(FeedProducer, client.producer)
    assert producer is not None
    assert (producer.applied_sequence, producer.recovering_since) == (4, None)


async def test_heartbeats_over_http_suspend_and_resume_and_never_lift_a_recovery(
    server: str, db: Database
) -> None:
    client = _producer(server)
    script = Script(client.producer, f"ev-{uuid.uuid4().hex[:8]}")
    await client.send([script.odds(fixture=True), _alive(client.producer)])
    async with db.transaction() as uow:
        silent = await heartbeats.suspend_silent_producers(
            uow, now=clock.now() + timedelta(minutes=1), timeout_s=20
        )
    assert silent >= 3
    assert set((await _markets(db, script.ref)).values()) == {("suspended", "heartbeat")}

    # A gap while silent: the recovery takes the markets over from the heartbeat.
    client.number(script.odds(home="2.20"))  # lost
    gap = await client.post_messages([client.number(script.odds(home="2.40"))])
    back = await client.post_messages([client.number(_alive(client.producer))])

    assert gap.status_code == 409
    assert back.status_code == 200
    assert set((await _markets(db, script.ref)).values()) == {("suspended", "recovery")}
    await client.recover()
    assert set((await _markets(db, script.ref)).values()) == {("active", None)}


async def _play(
    db: Database, registry: BrandRegistry, server: str, faults: Faults
) -> tuple[dict[str, Any], int]:
    """One match as a producer delivers it (with `faults`, recovering), bets on it, and
    what it leaves: markets, prices, results, bets and balances, without ids; and how
    many gaps the platform reported."""
    client = _producer(server)
    script = Script(client.producer, f"ev-{uuid.uuid4().hex[:8]}")
    await client.send([script.odds(fixture=True), _alive(client.producer)])
    players = [await funded_player(db, registry, 100_00) for _ in range(3)]
    async with db.uow() as uow:
        outcomes = (
            await uow.session.execute(
                select(Outcome.id, Outcome.key, Outcome.odds, Market.specifiers)
                .join(Market, Market.id == Outcome.market_id)
                .join(Event, Event.id == Market.event_id)
                .where(Event.feed_ref == script.ref)
                .order_by(Market.type, Market.specifiers, Outcome.key)
            )
        ).all()
    for number, (outcome_id, _key, odds, _specifiers) in enumerate(outcomes):
        slip = BetSlip(
            selections=(Selection(outcome_id, odds),), stake_minor=(number + 1) * 1_00,
            bet_type=BetType.SINGLE, idempotency_key=f"bet-{uuid.uuid4()}",
        )  # fmt: skip
        await place(db, registry, players[number % len(players)], slip)
    match = [
        script.odds(home="2.00", over="1.80"),
        script.odds(home="1.70", over="1.60"),
        script.stop(),
        script.odds(home="1.50", over="1.40", status="suspended"),
        script.settle("away"),
        script.cancel_total(),
        script.odds(home="1.45", over="1.35"),
        script.rollback(),
        script.settle("home"),
        script.odds(home="1.40", over="1.30"),
    ]
    await client.send(match, faults)
    async with db.uow() as uow:
        market_ids = list(
            await uow.session.scalars(
                select(Market.id)
                .join(Event, Event.id == Market.event_id)
                .where(Event.feed_ref == script.ref)
            )
        )
    for market_id in market_ids:
        # Without a time budget a run goes to the end.
        assert await converge(db, market_id=market_id)
    gaps = sum(response.status_code == 409 for response in client.responses)
    return await _state(db, script.ref, players), gaps


async def _state(db: Database, ref: str, players: list[uuid.UUID]) -> dict[str, Any]:
    async with db.uow() as uow:
        markets = (
            await uow.session.execute(
                select(
                    Market.type,
                    Market.specifiers,
                    Market.status,
                    Market.suspended_by,
                    Outcome.key,
                    Outcome.odds,
                    Outcome.status,
                    Outcome.result,
                )
                .join(Outcome, Outcome.market_id == Market.id)
                .join(Event, Event.id == Market.event_id)
                .where(Event.feed_ref == ref)
                .order_by(Market.type, Market.specifiers, Outcome.key)
            )
        ).all()
        bets = (
            await uow.session.execute(
                select(Bet.player_id, Bet.status, Bet.total_stake_minor, Bet.payout_minor)
                .join(BetLeg, BetLeg.bet_id == Bet.id)
                .join(Event, Event.id == BetLeg.event_id)
                .where(Event.feed_ref == ref)
                .order_by(Bet.id)
            )
        ).all()
    rank = {player: number for number, player in enumerate(players)}
    return {
        "markets": [tuple(row) for row in markets],
        "bets": [(rank[p], status, stake, payout) for p, status, stake, payout in bets],
        "balances": [await wallets(db, player) for player in players],
    }


async def test_a_producer_that_lost_and_recovered_messages_ends_as_one_that_sent_them_all(
    server: str, db: Database, registry: BrandRegistry
) -> None:
    in_order, no_gaps = await _play(db, registry, server, Faults())
    # Sequences 1-2 open the match; the match is 3-12. Lose two, send one twice, hold one.
    faulty, gaps = await _play(
        db, registry, server,
        Faults(drop=frozenset({4, 8}), duplicate=frozenset({5}), delay=frozenset({10})),
    )  # fmt: skip

    # The first gap (4 lost) recovers from 4, which re-sends 8 and 10 as well.
    assert (no_gaps, gaps) == (0, 1)
    assert faulty == in_order
    statuses = {(t, s): status for t, s, status, *_ in in_order["markets"]}
    assert statuses == {
        ("match_result", ""): "settled",
        ("total_goals", "total=2.5"): "cancelled",
        ("total_goals", "total=3.5"): "active",
    }
    assert {status for _, status, _, _ in in_order["bets"]} == {"won", "lost", "void", "open"}


# ---- acceptance line 3: the test producer from the CLI ----------------------------------


async def test_stakehouse_feed_replay_posts_a_file_as_a_signed_producer(
    server: str, db: Database, tmp_path: Path
) -> None:
    ref = f"ev-{uuid.uuid4().hex[:8]}"
    script = Script("replay", ref)
    lines = [TestFeedProducer(server, "replay", SECRET).number(script.odds(fixture=True))]
    for wire in lines:
        del wire["producer_sequence"]  # the CLI numbers them
    feed_file = tmp_path / "feed.jsonl"
    feed_file.write_text("\n".join(json.dumps(line) for line in lines) + "\n")
    producer = f"cli-{uuid.uuid4().hex[:8]}"

    result = await asyncio.to_thread(
        CliRunner().invoke,
        app,
        ["feed", "replay", str(feed_file), "--url", server, "--producer", producer],
    )

    assert result.exit_code == 0, result.output
    assert "1 messages sent" in result.output
    assert await _event_count(db, ref) == 1
    async with db.uow() as uow:
        row = await uow.session.get(FeedProducer, producer)
    assert row is not None
    assert row.applied_sequence == 1


async def test_the_simulator_drives_the_platform_over_http_as_an_outside_provider(
    server: str, db: Database
) -> None:
    simulator = FeedSimulator(seed=3, start=clock.now(), horizon=timedelta(hours=6))
    sink = HttpFeedSink(server, lambda producer: SECRET)
    messages = [message for _ in range(40) for message in simulator.tick()]

    for message in messages:
        await sink.deliver(message)

    producers = {message.producer for message in messages}
    async with db.uow() as uow:
        rows = {
            row.producer: row.applied_sequence
            for row in await uow.session.scalars(
                select(FeedProducer).where(FeedProducer.producer.in_(producers))
            )
        }
        events = await uow.session.scalar(select(func.count()).select_from(Event))
    numbered = [m for m in messages if not isinstance(m, Alive)]
    assert len(numbered) >= 10
    assert rows == {p: sum(m.producer == p for m in numbered) for p in producers}
    assert events == len({m.event_ref for m in numbered})
