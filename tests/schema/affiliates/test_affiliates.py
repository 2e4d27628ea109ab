"""Affiliates over GraphQL: finance staff set up a CPA affiliate and its code, players
register with it, last month's statement is written and booked once, staff read it, and
the affiliate reads its own aggregates by its key (no player data); staff without
affiliate.manage change nothing."""

from __future__ import annotations

import json
import uuid
from typing import Any

from domain.affiliates import statements
from domain.brands.service import BrandRegistry
from domain.kernel import clock
from domain.kernel.db import Database
from tests.domain.affiliates.support import age_everything
from tests.domain.reporting.support import Casino, apply_outbox, execute, ledger_move
from tests.schema.accounts.test_staff import signed_in_staff
from tests.support import AURORA, Api

CREATE = """mutation($i: CreateAffiliateInput!) { createAffiliate(input: $i) {
  affiliate { id name plan revsharePercent cpa { amount { amount currency } } }
  accessKey postbackSecret errors { code field } } }"""
ADD_CODE = """mutation($i: AddAffiliateTrackingCodeInput!) { addAffiliateTrackingCode(input: $i) {
  trackingCode { code campaign } errors { code field } } }"""
RUN = """mutation($m: Date!) { runAffiliateStatements(input: {month: $m}) {
  statements { month currency players ngr { amount } cpaPlayers cpa { amount }
               total { amount currency } } errors { code field } } }"""
AFFILIATES = "{ affiliates { name plan trackingCodes { code campaign } } }"
STATEMENTS = """query($a: ID!, $from: Date!, $to: Date!) {
  affiliateStatements(affiliateId: $a, from: $from, to: $to) { month total { amount } } }"""
PORTAL = """query($k: String!, $from: Date!, $to: Date!) {
  affiliatePortal(accessKey: $k, from: $from, to: $to) {
    name registrations { month registrations }
    months { month currency activePlayers firstDepositors deposits { amount } ngr { amount } }
    statements { month cpa { amount } total { amount } } } }"""
CPA_INPUT = {
    "name": "Cpa Partners",
    "plan": "CPA",
    "cpa": [{"currency": "EUR", "amount": "50.00", "minimumDeposits": "20.00"}],
}


async def _player_id(email: str, db: Database) -> uuid.UUID:
    ((found,),) = await execute(db, "SELECT id FROM players WHERE email = :e", e=email)
    assert isinstance(found, uuid.UUID)
    return found


async def test_a_cpa_affiliates_month_is_stated_once_and_its_portal_shows_aggregates(
    server: str, db: Database, owner_db: Database, registry: BrandRegistry
) -> None:
    finance = await signed_in_staff(
        Api(server, AURORA), db, "fin@op.example", ["finance"], ["aurora"]
    )
    created = (await finance.query(CREATE, {"i": CPA_INPUT})).data["createAffiliate"]
    assert created["errors"] == []
    assert created["affiliate"]["plan"] == "CPA"
    assert created["affiliate"]["cpa"] == [{"amount": {"amount": "50.00", "currency": "EUR"}}]
    affiliate_id = created["affiliate"]["id"]
    added = await finance.query(
        ADD_CODE, {"i": {"affiliateId": affiliate_id, "code": "spring-24", "campaign": "Spring"}}
    )
    assert added.data["addAffiliateTrackingCode"] == {
        "trackingCode": {"code": "spring-24", "campaign": "Spring"},
        "errors": [],
    }
    taken = await finance.query(ADD_CODE, {"i": {"affiliateId": affiliate_id, "code": "spring-24"}})
    assert taken.data["addAffiliateTrackingCode"]["errors"] == [
        {"code": "TRACKING_CODE_TAKEN", "field": "code"}
    ]

    players = Api(server, AURORA)
    for email, code in (("a1@example.com", "spring-24"), ("a2@example.com", "spring-24"),
                        ("b1@example.com", None)):  # fmt: skip
        registered = await players.register(email=email, trackingCode=code)
        assert registered["errors"] == []
    qualifying, small = (
        await _player_id("a1@example.com", db),
        await _player_id("a2@example.com", db),
    )
    await ledger_move(db, "aurora", qualifying, "EUR", 25_00)
    await ledger_move(db, "aurora", small, "EUR", 5_00)
    dice = await Casino(db, registry, "aurora", "EUR").open(qualifying)
    await dice.bet("p-b1", "p-r1", 8_00)
    await dice.win("p-w1", "p-r1", "p-b1", 3_00)
    await age_everything(owner_db, 1)
    await apply_outbox(db)

    last_month = statements.previous_month(clock.today().replace(day=1))
    ran = (await finance.query(RUN, {"m": last_month.isoformat()})).data["runAffiliateStatements"]
    assert ran == {
        "statements": [
            {
                "month": last_month.isoformat(),
                "currency": "EUR",
                "players": 2,
                "ngr": {"amount": "5.00"},
                "cpaPlayers": 1,
                "cpa": {"amount": "50.00"},
                "total": {"amount": "50.00", "currency": "EUR"},
            }
        ],
        "errors": [],
    }
    again = (await finance.query(RUN, {"m": last_month.isoformat()})).data
    assert again["runAffiliateStatements"] == {"statements": [], "errors": []}
    current = (await finance.query(RUN, {"m": clock.today().isoformat()})).data
    assert current["runAffiliateStatements"]["errors"] == [
        {"code": "MONTH_NOT_CLOSED", "field": "month"}
    ]
    assert await execute(
        db, "SELECT count(*) FROM ledger_transactions WHERE kind = 'affiliate.commission'"
    ) == [(1,)]

    listed = (await finance.query(AFFILIATES)).data["affiliates"]
    assert listed == [
        {"name": "Cpa Partners", "plan": "CPA",
         "trackingCodes": [{"code": "spring-24", "campaign": "Spring"}]},
    ]  # fmt: skip
    months = {"from": last_month.isoformat(), "to": clock.today().isoformat()}
    stated = (await finance.query(STATEMENTS, {"a": affiliate_id, **months})).data
    assert stated["affiliateStatements"] == [
        {"month": last_month.isoformat(), "total": {"amount": "50.00"}}
    ]

    portal = await Api(server, AURORA).query(PORTAL, {"k": created["accessKey"], **months})
    assert portal.data["affiliatePortal"] == {
        "name": "Cpa Partners",
        "registrations": [{"month": last_month.isoformat(), "registrations": 2}],
        "months": [
            {"month": last_month.isoformat(), "currency": "EUR", "activePlayers": 2,
             "firstDepositors": 2, "deposits": {"amount": "30.00"}, "ngr": {"amount": "5.00"}},
        ],
        "statements": [
            {"month": last_month.isoformat(), "cpa": {"amount": "50.00"},
             "total": {"amount": "50.00"}},
        ],
    }  # fmt: skip
    text = json.dumps(portal.data)
    assert "a1@example.com" not in text and str(qualifying) not in text
    unknown = await Api(server, AURORA).query(PORTAL, {"k": "not-a-key", **months})
    assert unknown.data == {"affiliatePortal": None}
    await finance.aclose()
    await players.aclose()


async def test_staff_without_affiliate_manage_change_nothing_and_players_read_nothing(
    server: str, db: Database
) -> None:
    support = await signed_in_staff(
        Api(server, AURORA), db, "desk@op.example", ["support"], ["aurora"]
    )
    refused = (await support.query(CREATE, {"i": CPA_INPUT})).data["createAffiliate"]
    assert refused == {
        "affiliate": None, "accessKey": None, "postbackSecret": None,
        "errors": [{"code": "PERMISSION_DENIED", "field": None}],
    }  # fmt: skip
    last_month = statements.previous_month(clock.today().replace(day=1))
    ran = (await support.query(RUN, {"m": last_month.isoformat()})).data
    assert ran["runAffiliateStatements"]["errors"] == [{"code": "PERMISSION_DENIED", "field": None}]
    player = Api(server, AURORA)
    await player.register(email="p@example.com")
    await player.login("p@example.com")
    listed = await player.query(AFFILIATES)
    assert listed.body["data"] is None
    assert [e["extensions"]["code"] for e in listed.body["errors"]] == ["PERMISSION_DENIED"]
    assert await execute(db, "SELECT count(*) FROM affiliates") == [(0,)]
    await support.aclose()
    await player.aclose()


async def test_an_invalid_plan_is_a_typed_error(server: str, db: Database) -> None:
    finance = await signed_in_staff(
        Api(server, AURORA), db, "fin2@op.example", ["finance"], ["aurora"]
    )
    cases: list[tuple[dict[str, Any], dict[str, Any]]] = [
        ({"plan": "REVSHARE"}, {"code": "INVALID_PLAN", "field": "revsharePercent"}),
        ({"plan": "REVSHARE", "revsharePercent": "120"},
         {"code": "INVALID_PLAN", "field": "revsharePercent"}),
        ({"plan": "CPA"}, {"code": "INVALID_PLAN", "field": "cpa"}),
        ({"plan": "CPA", "cpa": [{"currency": "EUR", "amount": "5.001"}]},
         {"code": "INVALID_AMOUNT", "field": "cpa.0.amount"}),
        ({"plan": "REVSHARE", "revsharePercent": "25", "postbackUrl": "http://x.example"},
         {"code": "INVALID_POSTBACK_URL", "field": "postbackUrl"}),
    ]  # fmt: skip
    for given, error in cases:
        answer = await finance.query(CREATE, {"i": {"name": "X", **given}})
        assert answer.data["createAffiliate"]["errors"] == [error], given
    assert await execute(db, "SELECT count(*) FROM affiliates") == [(0,)]
    await finance.aclose()
