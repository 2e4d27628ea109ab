"""`GET /reports/report.csv`: staff with report.read download their brand's report as
CSV, page after page; other principals and bad parameters are refused before a byte."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

from domain.brands.service import BrandRegistry
from domain.kernel.db import Database
from tests.schema.accounts.test_staff import signed_in_staff
from tests.schema.reporting.test_report import aurora_today, seed
from tests.support import AURORA, Api


def span() -> dict[str, str]:
    today = aurora_today()
    return {"from": (today - timedelta(days=1)).isoformat(), "to": today.isoformat()}


async def test_finance_downloads_the_report_by_product_and_currency(
    server: str, db: Database, registry: BrandRegistry
) -> None:
    await seed(db, registry)
    finance = await signed_in_staff(Api(server, AURORA), db, "fin@op.example", ["finance"])

    response = await finance.client.get(
        "/reports/report.csv",
        params={**span(), "dimension": ["product"]},
        headers={"authorization": f"Bearer {finance.token}"},
    )

    assert response.status_code == 200
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    rows = list(csv.DictReader(io.StringIO(response.text)))
    by_product = {row["product"]: row for row in rows}
    assert set(by_product) == {"account", "casino"}
    assert (by_product["casino"]["stakes"], by_product["casino"]["ggr"]) == ("13.00", "9.00")
    assert by_product["casino"]["bets"] == "2"
    assert by_product["account"]["deposits"] == "100.00"
    assert {row["currency"] for row in rows} == {"EUR"}


async def test_the_export_refuses_players_missing_permissions_and_bad_ranges(
    server: str, db: Database
) -> None:
    support = await signed_in_staff(Api(server, AURORA), db, "help@op.example", ["support"])
    finance = await signed_in_staff(Api(server, AURORA), db, "fin@op.example", ["finance"])

    anonymous = await support.client.get("/reports/report.csv", params=span())
    denied = await support.client.get(
        "/reports/report.csv", params=span(),
        headers={"authorization": f"Bearer {support.token}"},
    )  # fmt: skip
    too_long = await finance.client.get(
        "/reports/report.csv", params={"from": "2024-01-01", "to": "2026-01-01"},
        headers={"authorization": f"Bearer {finance.token}"},
    )  # fmt: skip

    assert anonymous.status_code == 401
    assert (denied.status_code, denied.json()["error"]["code"]) == (403, "PERMISSION_DENIED")
    assert (too_long.status_code, too_long.json()["error"]["code"]) == (400, "INVALID_RANGE")
