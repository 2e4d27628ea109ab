"""The console's reports page: report readers choose a range and dimensions, see the lines
and download them as CSV; the figures move with the money (the database is shared between
tests, so the test compares before and after its own bet); a range the API refuses is
explained, not sent."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

from domain.brands.service import BrandRegistry
from domain.kernel.db import Database
from tests.domain.reporting.support import Casino, apply_outbox, ledger_move, player
from tests.web.backoffice.support import signed_in_console
from web.backoffice.dashboard import brand_today


def _casino_ggr(text: str) -> Decimal:
    rows = list(csv.DictReader(io.StringIO(text)))
    return sum(
        (Decimal(row["ggr"]) for row in rows if row["product"] == "casino"
         and row["currency"] == "EUR"),
        Decimal(0),
    )  # fmt: skip


async def test_report_readers_see_and_download_the_brands_lines(
    server: str, db: Database, registry: BrandRegistry
) -> None:
    today = brand_today("Europe/Malta").isoformat()
    by_product = f"/reports.csv?from={today}&to={today}&dimension=PRODUCT"
    euro = await player(db, registry, "aurora", "EUR")
    await ledger_move(db, "aurora", euro, "EUR", 20_00)
    await apply_outbox(db)
    console = await signed_in_console(server, db, "report-page@op.example", ["trader"])
    before = _casino_ggr((await console.get(by_product)).text)

    dice = await Casino(db, registry, "aurora", "EUR").open(euro)
    await dice.bet("report-page-b", "report-page-r", 5_00)
    await apply_outbox(db)
    download = await console.get(by_product)
    page = await console.get(f"/reports?from={today}&to={today}&dimension=DAY&dimension=PRODUCT")
    default = await console.get("/reports")
    backwards = await console.get(f"/reports?from={today}&to=2020-01-01")

    assert download.headers["content-type"].startswith("text/csv")
    assert download.text.splitlines()[0].startswith("product,currency,bets,")
    assert _casino_ggr(download.text) - before == Decimal("5.00")
    table = page.text[page.text.index('id="report-lines"') :]
    assert '<th scope="col">Day</th><th scope="col">Product</th>' in table
    assert f"<td>{today}</td>" in table and "<td>casino</td>" in table
    assert default.status_code == 200 and 'value="DAY" checked' in default.text
    assert backwards.status_code == 400 and "a range is at most 400 days" in backwards.text
    await console.aclose()
