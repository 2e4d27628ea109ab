"""Errors the API answers on purpose are not incidents: a refused query is logged at INFO
with its code and no traceback, an unexpected failure at ERROR with its traceback. And a
global id that does not decode is a typed BAD_INPUT error wherever it comes in (a query's
argument, a mutation's input, a list of ids), never an error without a code."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest
from strawberry.relay.utils import to_base64

from domain.kernel.db import Database
from schema import build_schema
from tests.schema.sportsbook.support import next_raw, signed_in_bettor, subscribe
from tests.schema.sportsbook.test_subscriptions import ODDS_CHANGED
from tests.support import AURORA, Api

LOGGER = "stakehouse.graphql"
MALFORMED = ["!!!", "bm9jb2xvbg==", ""]  # not base64; "nocolon" (no type); empty


def _records(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name in (LOGGER, "strawberry.execution")]


async def test_a_refused_query_is_logged_at_info_without_a_traceback(
    aurora: Api, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)

    answer = await aurora.query("{ kycReviewQueue { playerEmail } }")

    codes = [error["extensions"]["code"] for error in answer.body["errors"]]
    assert codes == ["NOT_AUTHENTICATED"]
    records = _records(caplog)
    assert [(r.levelno, r.exc_info) for r in records] == [(logging.INFO, None)]
    assert "NOT_AUTHENTICATED" in records[0].getMessage()


async def test_an_unexpected_error_is_logged_at_error_with_its_traceback(
    caplog: pytest.LogCaptureFixture,
) -> None:
    class Broken:
        request_id = "req-broken"
        request_error = False

        async def principal(self) -> Any:
            raise RuntimeError("the database went away")

    caplog.set_level(logging.DEBUG)
    result = await build_schema().execute(
        "{ kycReviewQueue { playerEmail } }", context_value=Broken()
    )

    assert result.errors is not None
    assert [e.extensions for e in result.errors] == [
        {"code": "INTERNAL", "requestId": "req-broken"}
    ]
    errors = [r for r in _records(caplog) if r.levelno >= logging.ERROR]
    # Once: one incident is one log line with one traceback, whatever masks it.
    assert len(errors) == 1
    assert errors[0].exc_info and errors[0].exc_info[0] is RuntimeError


@pytest.mark.parametrize("malformed", MALFORMED)
async def test_a_malformed_id_in_a_query_argument_is_bad_input(
    aurora: Api, malformed: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)

    answer = await aurora.query("query($id: ID!) { node(id: $id) { id } }", {"id": malformed})

    assert answer.body["data"] == {"node": None}
    assert [error["extensions"]["code"] for error in answer.body["errors"]] == ["BAD_INPUT"]
    assert not [r for r in _records(caplog) if r.levelno >= logging.ERROR]


async def test_a_malformed_id_in_a_subscription_list_is_bad_input(server: str) -> None:
    events = {"events": [to_base64("SportsbookEvent", "1"), "!!!"]}
    socket = await subscribe(server, AURORA, None, ODDS_CHANGED, events)

    raw = await next_raw(socket, 10)

    assert raw is not None
    message = json.loads(raw)
    errors = message["payload"]["errors"] if message["type"] == "next" else message["payload"]
    assert [error["extensions"]["code"] for error in errors] == ["BAD_INPUT"]
    await socket.close()


async def test_a_malformed_id_in_a_mutation_input_is_bad_input(server: str, db: Database) -> None:
    api, _player = await signed_in_bettor(server, AURORA, db)
    single = {
        "selections": [{"outcome": "!!!", "odds": "2.00"}],
        "type": "SINGLE",
        "stake": {"amount": "1.00", "currency": "GBP"},
        "idempotencyKey": "malformed-id-1",
    }

    answer = await api.query(
        "mutation($i: PlaceBetInput!) { placeBet(input: $i) { errors { code } } }", {"i": single}
    )

    assert answer.body["data"] is None
    assert [error["extensions"]["code"] for error in answer.body["errors"]] == ["BAD_INPUT"]
    await api.aclose()
