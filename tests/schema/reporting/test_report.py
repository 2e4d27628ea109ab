"""The report query over HTTP: staff with report.read see their brand's figures from the
read model, paged by cursor; players and staff without the permission are refused; a
range over 400 days is a typed error."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import text
from strawberry.relay import to_base64

from domain.brands.service import BrandRegistry
from domain.kernel.db import Database
from tests.domain.reporting.support import Casino, apply_outbox, ledger_move, player
from tests.schema.accounts.test_staff import signed_in_staff
from tests.support import AURORA, Api

REPORT = """
query($from: Date!, $to: Date!, $dims: [ReportDimension!]!, $filters: ReportFilter,
      $first: Int!, $after: String) {
  report(from: $from, to: $to, dimensions: $dims, filters: $filters, first: $first,
         after: $after) {
    lines { day month product game provider currency bets activePlayers depositCount
            firstTimeDepositors registrations
            stakes { amount currency } wins { amount } ggr { amount } ngr { amount }
            deposits { amount } netDeposits { amount } }
    hasNextPage endCursor
  }
}
"""


def aurora_today() -> date:
    """Aurora's business day (Malta): reports are kept by the brand's day, which is a day ahead
    of UTC's between 22:00 and 24:00 UTC."""
    return datetime.now(ZoneInfo("Europe/Malta")).date()


def around_today(**extra: Any) -> dict[str, Any]:
    today = aurora_today()
    return {
        "from": (today - timedelta(days=1)).isoformat(),
        "to": (today + timedelta(days=1)).isoformat(),
        "first": 100,
        **extra,
    }


async def seed(db: Database, registry: BrandRegistry) -> None:
    euro = await player(db, registry, "aurora", "EUR")
    await ledger_move(db, "aurora", euro, "EUR", 100_00)
    dice = await Casino(db, registry, "aurora", "EUR").open(euro)
    await dice.bet("b1", "r1", 10_00)
    await dice.win("w1", "r1", "b1", 4_00)
    await dice.bet("b2", "r2", 3_00)
    # Another brand's activity never shows on aurora.
    yen = await player(db, registry, "kumo", "JPY")
    await ledger_move(db, "kumo", yen, "JPY", 9_999)
    await apply_outbox(db)


async def test_finance_staff_read_the_brands_month_by_product_and_game(
    server: str, db: Database, registry: BrandRegistry
) -> None:
    await seed(db, registry)
    finance = await signed_in_staff(Api(server, AURORA), db, "fin@op.example", ["finance"])

    response = await finance.query(
        REPORT, around_today(dims=["MONTH", "PRODUCT", "GAME", "PROVIDER"])
    )

    lines = response.data["report"]["lines"]
    by_product = {line["product"]: line for line in lines}
    assert set(by_product) == {"account", "casino"}
    casino, account = by_product["casino"], by_product["account"]
    assert (casino["game"], casino["provider"], casino["currency"]) == (
        "originals-dice", "stakehouse-originals", "EUR",
    )  # fmt: skip
    assert (casino["bets"], casino["activePlayers"], casino["day"]) == (2, 1, None)
    assert casino["stakes"] == {"amount": "13.00", "currency": "EUR"}
    assert (casino["wins"]["amount"], casino["ggr"]["amount"], casino["ngr"]["amount"]) == (
        "4.00", "9.00", "9.00",
    )  # fmt: skip
    assert casino["month"] == aurora_today().replace(day=1).isoformat()
    assert (account["depositCount"], account["firstTimeDepositors"], account["registrations"]) == (
        1, 1, 1,
    )  # fmt: skip
    assert account["deposits"]["amount"] == account["netDeposits"]["amount"] == "100.00"


async def test_lines_page_by_cursor_without_overlap(
    server: str, db: Database, registry: BrandRegistry
) -> None:
    await seed(db, registry)
    finance = await signed_in_staff(Api(server, AURORA), db, "fin@op.example", ["finance"])
    dims = ["PRODUCT"]

    first = (await finance.query(REPORT, around_today(dims=dims, first=1))).data["report"]
    second = (
        await finance.query(REPORT, around_today(dims=dims, first=1, after=first["endCursor"]))
    ).data["report"]

    assert [line["product"] for line in first["lines"] + second["lines"]] == [
        "account", "casino",
    ]  # fmt: skip
    assert (first["hasNextPage"], second["hasNextPage"]) == (True, False)


THROUGH_FRAGMENTS = """
query($from: Date!, $to: Date!) {
  report(from: $from, to: $to, dimensions: [PRODUCT]) {
    lines { product ...Money ... on ReportLine { net: netDeposits { amount } cursor } }
    endCursor
  }
}
fragment Money on ReportLine { ggr { amount currency } bonusCost { amount } }
"""


async def test_amounts_and_cursors_selected_through_fragments_and_aliases_are_filled(
    server: str, db: Database, registry: BrandRegistry
) -> None:
    await seed(db, registry)
    finance = await signed_in_staff(Api(server, AURORA), db, "fin@op.example", ["finance"])

    response = await finance.query(THROUGH_FRAGMENTS, around_today())

    report = response.data["report"]
    account, casino = report["lines"]
    assert casino["ggr"] == {"amount": "9.00", "currency": "EUR"}
    assert (casino["bonusCost"]["amount"], casino["net"]["amount"]) == ("0.00", "0.00")
    assert (account["ggr"]["amount"], account["net"]["amount"]) == ("0.00", "100.00")
    assert casino["cursor"] == report["endCursor"] != account["cursor"]


async def test_a_range_over_400_days_is_refused_with_a_code(server: str, db: Database) -> None:
    finance = await signed_in_staff(Api(server, AURORA), db, "fin@op.example", ["finance"])

    response = await finance.query(
        REPORT, {"from": "2025-01-01", "to": "2026-02-05", "dims": ["DAY"], "first": 10}
    )

    assert response.body["data"] is None
    assert response.body["errors"][0]["extensions"]["code"] == "INVALID_RANGE"


async def test_players_and_staff_without_report_read_are_refused(
    server: str, db: Database, registry: BrandRegistry
) -> None:
    await seed(db, registry)
    support = await signed_in_staff(Api(server, AURORA), db, "help@op.example", ["support"])
    anonymous = Api(server, AURORA)

    for api in (support, anonymous):
        response = await api.query(REPORT, around_today(dims=["DAY"]))
        assert response.body["data"] is None
        assert response.body["errors"][0]["extensions"]["code"] in {
            "PERMISSION_DENIED", "NOT_AUTHENTICATED",
        }  # fmt: skip


PLAYER_VALUE = """
query($p: ID!, $from: Date, $to: Date) {
  playerValue(playerId: $p, from: $from, to: $to) {
    currency lastActivityAt
    lifetime { deposits { amount } withdrawals { amount } netDeposits { amount }
               stakes { amount } wins { amount } ggr { amount } ngr { amount }
               bonusCost { amount } }
    period { deposits { amount } ggr { amount } }
  }
}
"""


async def test_crm_reads_a_players_value_over_the_lifetime_and_a_period(
    server: str, db: Database, registry: BrandRegistry
) -> None:
    await seed(db, registry)
    crm = await signed_in_staff(Api(server, AURORA), db, "crm@op.example", ["crm"])
    async with db.uow() as uow:
        (player_id,) = (
            await uow.session.execute(
                text("SELECT id FROM players WHERE brand = 'aurora' AND currency = 'EUR'")
            )
        ).one()
    today = aurora_today()
    global_id = to_base64("Player", str(player_id))

    now = await crm.query(
        PLAYER_VALUE, {"p": global_id, "from": today.isoformat(), "to": today.isoformat()}
    )
    long_ago = await crm.query(
        PLAYER_VALUE, {"p": global_id, "from": "2020-01-01", "to": "2020-01-31"}
    )

    (value,) = now.data["playerValue"]
    assert value["currency"] == "EUR"
    assert value["lastActivityAt"] is not None
    assert {k: v["amount"] for k, v in value["lifetime"].items()} == {
        "deposits": "100.00", "withdrawals": "0.00", "netDeposits": "100.00",
        "stakes": "13.00", "wins": "4.00", "ggr": "9.00", "ngr": "9.00", "bonusCost": "0.00",
    }  # fmt: skip
    assert value["period"] == {"deposits": {"amount": "100.00"}, "ggr": {"amount": "9.00"}}
    (old,) = long_ago.data["playerValue"]
    assert old["period"] == {"deposits": {"amount": "0.00"}, "ggr": {"amount": "0.00"}}
    assert old["lifetime"] == value["lifetime"]


async def test_player_value_needs_player_read_and_report_read(
    server: str, db: Database, registry: BrandRegistry
) -> None:
    await seed(db, registry)
    trader = await signed_in_staff(Api(server, AURORA), db, "trader@op.example", ["trader"])
    async with db.uow() as uow:
        (player_id,) = (
            await uow.session.execute(text("SELECT id FROM players WHERE brand = 'aurora'"))
        ).one()

    response = await trader.query(PLAYER_VALUE, {"p": to_base64("Player", str(player_id))})

    assert response.body["data"] == {"playerValue": None}
    assert response.body["errors"][0]["extensions"]["code"] == "PERMISSION_DENIED"
