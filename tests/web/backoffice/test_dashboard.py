"""The dashboard's figures: what report readers see moves with the money that moved (the
database is shared between tests, so each test compares the page before and after its own
activity), the chart's table says what each bar says, and roles without report.read see no
figures at all."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from decimal import Decimal

from domain.brands.service import BrandRegistry
from domain.kernel.db import Database
from tests.domain.reporting.support import Casino, apply_outbox, ledger_move, player
from tests.web.backoffice.support import signed_in_console
from web.backoffice.charts import bar_chart
from web.backoffice.dashboard import brand_today, report_panels

FIGURE = re.compile(r'data-figure="([a-z]+-[a-z]+)">([^<]*)')


def _figures(html: str, currency: str) -> dict[str, Decimal]:
    """The EUR table's cells by name: amounts without their currency, counts as they are."""
    start = html.find(f'id="figures-{currency}"')
    if start < 0:
        return {}
    section = html[start : html.find("</section>", start)]
    found = {}
    for name, cell in FIGURE.findall(section):
        found[name] = Decimal(cell.split()[0].replace(",", ""))
    return found


async def test_report_readers_see_todays_and_the_months_figures_move_with_the_money(
    server: str, db: Database, registry: BrandRegistry
) -> None:
    console = await signed_in_console(server, db, "dash-fin@op.example", ["finance"])
    await apply_outbox(db)
    before = _figures((await console.get("/")).text, "EUR")

    euro = await player(db, registry, "aurora", "EUR")
    await ledger_move(db, "aurora", euro, "EUR", 100_00)
    dice = await Casino(db, registry, "aurora", "EUR").open(euro)
    await dice.bet("dash-b1", "dash-r1", 10_00)
    await dice.win("dash-w1", "dash-r1", "dash-b1", 4_00)
    await apply_outbox(db)
    page = await console.get("/")

    after = _figures(page.text, "EUR")
    grew = {name: after[name] - before.get(name, Decimal(0)) for name in after}
    assert grew == {
        "ggr-today": Decimal("6.00"), "ggr-month": Decimal("6.00"),
        "ngr-today": Decimal("6.00"), "ngr-month": Decimal("6.00"),
        "deposits-today": Decimal("100.00"), "deposits-month": Decimal("100.00"),
        "withdrawals-today": Decimal(0), "withdrawals-month": Decimal(0),
        "active-today": Decimal(1), "active-month": Decimal(1),
    }  # fmt: skip
    chart = page.text[page.text.find('id="ggr-chart-EUR"') :]
    assert '<title id="chart-title-EUR">' in chart
    today = brand_today("Europe/Malta").isoformat()
    assert f'<tr><td>{today}</td><td class="num">{after["ggr-today"]}</td></tr>' in chart
    await console.aclose()


async def test_roles_without_report_read_see_no_figures(server: str, db: Database) -> None:
    console = await signed_in_console(server, db, "dash-support@op.example", ["support"])

    page = await console.get("/")

    assert page.status_code == 200
    assert 'id="figures-' not in page.text and "<svg" not in page.text
    await console.aclose()


def test_the_chart_spans_zero_and_every_day_with_negative_days_below_the_line() -> None:
    chart = bar_chart([("d1", Decimal("10")), ("d2", Decimal("-5")), ("d3", Decimal(0))])

    up, down, flat = chart.bars
    assert (chart.highest, chart.lowest) == (Decimal(10), Decimal(-5))
    assert up.y + up.height == chart.baseline == down.y
    assert up.height == 2 * down.height and flat.height == 0
    assert down.negative and not up.negative
    assert up.x < down.x < flat.x


def test_days_without_a_line_are_zero_and_the_month_line_is_the_months() -> None:
    today = date(2026, 12, 7)
    line = {
        "currency": "SEK", "activePlayers": 3, "depositCount": 1, "withdrawalCount": 0,
        "ggr": {"amount": "12.50", "currency": "SEK"}, "ngr": {"amount": "11.00", "currency": "SEK"},
        "deposits": {"amount": "50.00", "currency": "SEK"},
        "withdrawals": {"amount": "0.00", "currency": "SEK"},
    }  # fmt: skip

    (panel,) = report_panels(
        [{**line, "day": "2026-12-05"}],
        [{**line, "month": "2026-12-01", "activePlayers": 7}],
        today,
    )

    assert panel.today.active_players == 0 and panel.month.active_players == 7
    values = {bar.label: bar.value for bar in panel.chart.bars}
    assert len(values) == 30 and values["2026-12-05"] == Decimal("12.50")
    assert values["2026-12-07"] == 0 and min(values) == "2026-11-08"


def test_the_brands_day_is_cut_in_its_time_zone() -> None:
    late = datetime(2026, 12, 7, 23, 30, tzinfo=UTC)

    assert brand_today("Asia/Tokyo", late) == date(2026, 12, 8)
    assert brand_today("UTC", late) == date(2026, 12, 7)
