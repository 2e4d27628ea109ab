"""Traces and log context from a request through the outbox into the actors: a real
server, real PostgreSQL, the real Redis broker and a real dramatiq Worker, with the
OpenTelemetry SDK's own in-memory exporter collecting the spans."""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
from sqlalchemy import select

from domain.kernel import telemetry
from domain.kernel.db import Database
from domain.kernel.logs import JsonFormatter, bind_log_context, reset_log_context
from domain.kernel.outbox import OutboxEvent
from domain.sportsbook.events import BetUpdated
from domain.sportsbook.models import Bet, ResultKind
from domain.sportsbook.returns import LegResult
from domain.sportsbook.settlement import request_settlement
from tests.domain.sportsbook.support import add_market
from tests.schema.sportsbook.support import cash_of, gid, signed_in_bettor
from tests.support import AURORA, STRONG_PASSWORD, Api, traced_spans
from tests.workers import (
    eventually,
    flushed_broker,  # noqa: F401 (autouse fixture)
    running_worker,
)
from workers.actors import messaging, sportsbook
from workers.relay import relay_batch

PLACE_BET = """mutation PlaceBet($input: PlaceBetInput!) {
  placeBet(input: $input) { bet { id status } errors { code field message } } }"""


@pytest.fixture
def spans() -> Iterator[Any]:
    exporter = traced_spans()
    yield exporter
    telemetry.disable_tracing()
    exporter.clear()


class _Lines(logging.Handler):
    """Every record formatted as the JSON log line the process would print."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.setFormatter(JsonFormatter())
        self.lines: list[dict[str, Any]] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(json.loads(self.format(record)))


@pytest.fixture
async def worker_lines() -> AsyncIterator[_Lines]:
    handler = _Lines()
    logger = logging.getLogger("workers.telemetry")
    level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    try:
        yield handler
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)


def _one(found: list[Any]) -> Any:
    assert len(found) == 1, [span.name for span in found]
    return found[0]


def _children(spans: list[Any], parent: Any) -> list[Any]:
    return [s for s in spans if s.parent is not None and s.parent.span_id == parent.context.span_id]


async def test_a_placed_bet_traces_to_its_sql_and_to_the_settlement_that_paid_it(
    server: str, db: Database, spans: Any
) -> None:
    market = await add_market(db, {"home": "2.00", "away": "3.00"})
    api, player = await signed_in_bettor(server, AURORA, db, cash_minor=100_00)
    selection = {"outcome": gid("Outcome", market.outcomes["home"]), "odds": "2.00"}
    slip = {
        "selections": [selection],
        "type": "SINGLE",
        "stake": {"amount": "10.00", "currency": "GBP"},
        "idempotencyKey": str(uuid.uuid4()),
    }
    placed = await api.query(PLACE_BET, {"input": slip})
    assert placed.data["placeBet"]["errors"] == []
    await api.aclose()
    # A trader's request results the market: its trace goes on through the outbox.
    with telemetry.tracer().start_as_current_span("result the market") as resulting:
        async with db.transaction() as uow:
            await request_settlement(
                uow,
                market_id=market.market_id,
                results={
                    market.outcomes["home"]: LegResult(ResultKind.WIN),
                    market.outcomes["away"]: LegResult(ResultKind.LOSE),
                },
            )
    await relay_batch(db, limit=100)

    async def settled() -> bool:
        names = {span.name for span in spans.get_finished_spans()}
        return await cash_of(db, player) == 110_00 and ("sportsbook.settle_market process" in names)

    async with running_worker(sportsbook.QUEUE):
        await eventually(settled, timeout_s=10)

    finished = list(spans.get_finished_spans())
    operation = _one([s for s in finished if s.name == "mutation PlaceBet"])
    assert operation.attributes["graphql.operation.name"] == "PlaceBet"
    assert operation.attributes["graphql.operation.type"] == "mutation"
    # The operation runs inside the HTTP request's span.
    request = _one([s for s in finished if s.context.span_id == operation.parent.span_id])
    assert request.name == "POST /graphql"
    # Its SQL, the placement function among it, are its children.
    statements = [s.attributes["db.query.text"] for s in _children(finished, operation)]
    assert any("stakehouse_sportsbook_place" in text for text in statements), statements
    # The settlement actor: a child of the request that resulted the market (carried by
    # the outbox and the message), linked to the request that placed the bet.
    settlement = _one([s for s in finished if s.name == "sportsbook.settle_market process"])
    publish = _one([s for s in finished if s.name == "sportsbook.market_resulted publish"])
    assert settlement.parent.span_id == publish.context.span_id
    assert publish.parent.span_id == resulting.get_span_context().span_id
    assert settlement.context.trace_id == resulting.get_span_context().trace_id
    assert [(link.context.trace_id, link.context.span_id) for link in settlement.links] == [
        (operation.context.trace_id, operation.context.span_id)
    ]
    assert settlement.attributes["messaging.destination.name"] == sportsbook.QUEUE
    assert any(
        "stakehouse_sportsbook" in s.attributes.get("db.query.text", "")
        or "sportsbook_bets" in s.attributes.get("db.query.text", "")
        for s in _children(finished, settlement)
    )
    async with db.uow() as uow:
        (stored,) = await uow.session.scalars(select(Bet.trace_parent))
    assert stored is not None
    assert stored.startswith(
        f"00-{operation.context.trace_id:032x}-{operation.context.span_id:016x}-"
    )


async def test_with_tracing_off_no_span_is_recorded_and_no_trace_is_stored(
    server: str, db: Database
) -> None:
    exporter = traced_spans()
    telemetry.disable_tracing()
    market = await add_market(db, {"home": "2.00", "away": "3.00"})
    api, _player = await signed_in_bettor(server, AURORA, db)
    slip = {
        "selections": [{"outcome": gid("Outcome", market.outcomes["home"]), "odds": "2.00"}],
        "type": "SINGLE",
        "stake": {"amount": "10.00", "currency": "GBP"},
        "idempotencyKey": str(uuid.uuid4()),
    }
    placed = await api.query(PLACE_BET, {"input": slip})
    await api.aclose()

    assert placed.data["placeBet"]["errors"] == []
    assert [span.name for span in exporter.get_finished_spans()] == []
    async with db.uow() as uow:
        assert list(await uow.session.scalars(select(Bet.trace_parent))) == [None]


async def test_an_actor_logs_with_the_request_id_and_brand_of_the_request_that_emitted_it(
    server: str, db: Database, worker_lines: _Lines
) -> None:
    api = Api(server, AURORA)
    email = f"traced-{uuid.uuid4().hex[:8]}@example.com"
    await api.query(
        """mutation Register($input: RegisterInput!) { register(input: $input) {
             player { id } errors { code } } }""",
        {
            "input": {
                "email": email,
                "password": STRONG_PASSWORD,
                "dateOfBirth": "1990-05-17",
                "country": "MT",
                "currency": "EUR",
            }
        },
        headers={"X-Request-Id": "req-register-1"},
    )
    await api.aclose()
    await relay_batch(db, limit=100)

    async def logged() -> bool:
        return any(line.get("actor") == "messaging.send_welcome" for line in worker_lines.lines)

    async with running_worker(messaging.QUEUE):
        await eventually(logged, timeout_s=10)

    line = next(line for line in worker_lines.lines if line["actor"] == "messaging.send_welcome")
    assert (line["request_id"], line["brand"], line["level"]) == (
        "req-register-1",
        "aurora",
        "DEBUG",
    )
    assert line["message"].endswith("of messaging.send_welcome done")


async def test_a_message_sent_inside_a_context_carries_request_brand_and_player(
    worker_lines: _Lines,
) -> None:
    token = bind_log_context(request_id="req-7", brand="northstar", player="p-1")
    try:
        sportsbook.settle_lane.send(str(uuid.uuid4()), 0)
    finally:
        reset_log_context(token)

    async def logged() -> bool:
        return any(line.get("actor") == "sportsbook.settle_lane" for line in worker_lines.lines)

    async with running_worker(sportsbook.QUEUE):
        await eventually(logged, timeout_s=10)

    line = next(line for line in worker_lines.lines if line["actor"] == "sportsbook.settle_lane")
    assert (line["request_id"], line["brand"], line["player"]) == ("req-7", "northstar", "p-1")


CASH_OUT = """mutation CashOut($input: CashOutInput!) { cashOut(input: $input) {
  payout { amount } errors { code field } } }"""


async def test_an_event_emitted_by_a_signed_in_request_keeps_its_request_brand_and_player(
    server: str, db: Database
) -> None:
    market = await add_market(db, {"home": "3.00", "away": "1.40"})
    api, player = await signed_in_bettor(server, AURORA, db)
    slip = {
        "selections": [{"outcome": gid("Outcome", market.outcomes["home"]), "odds": "3.00"}],
        "type": "SINGLE",
        "stake": {"amount": "10.00", "currency": "GBP"},
        "idempotencyKey": str(uuid.uuid4()),
    }
    bet = (await api.query(PLACE_BET, {"input": slip})).data["placeBet"]["bet"]["id"]
    cash_out = {"bet": bet, "expectedValue": {"amount": "9.50", "currency": "GBP"},
                "idempotencyKey": "co-1"}  # fmt: skip
    paid = await api.query(
        CASH_OUT, {"input": cash_out}, headers={"X-Request-Id": "req-cash-out-1"}
    )
    await api.aclose()

    assert paid.data["cashOut"]["errors"] == []
    async with db.uow() as uow:
        contexts = list(
            await uow.session.scalars(
                select(OutboxEvent.context).where(OutboxEvent.topic == BetUpdated.topic)
            )
        )
    # Tracing is off: the log context alone, no trace context.
    assert contexts == [{"request_id": "req-cash-out-1", "brand": "aurora", "player": str(player)}]
