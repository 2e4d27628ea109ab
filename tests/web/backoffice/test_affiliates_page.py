"""The affiliates page: finance finds a seeded affiliate by its tracking code, opens its
plan, codes and last month's statement with the figures worked out below (and the same as
CSV), creates an affiliate (its keys shown once) and adds a code; a trader (report.read)
reads but is offered no action and is refused one; support is refused the page."""

from __future__ import annotations

import csv
import io
from datetime import date

from strawberry.relay import to_base64

from domain.affiliates import statements
from domain.brands.service import BrandRegistry
from domain.kernel import clock
from domain.kernel.db import Database
from domain.reporting.formula import Formula
from tests.domain.affiliates.support import affiliate, age_everything, cpa_plan, referred_player
from tests.domain.reporting.support import Casino, apply_outbox, ledger_move
from tests.web.backoffice.support import signed_in_console
from web.backoffice.affiliates import PAGE_SIZE, page_after


async def seeded_affiliate(
    db: Database, owner_db: Database, registry: BrandRegistry, *, stated: bool = True
) -> str:
    """A CPA affiliate (50.00 EUR once a player deposits 20.00 and stakes 10.00) whose one
    player deposited 30.00 and lost a 15.00 stake last month; last month's statement run.
    Its figures: 1 player, NGR 15.00, 1 CPA player, CPA 50.00, total 50.00."""
    created = await affiliate(db, "Cpa Partners", cpa_plan(), "cpa-desk")
    player = await referred_player(db, registry, "cpa-desk")
    await ledger_move(db, "aurora", player, "EUR", 30_00)
    dice = await Casino(db, registry, "aurora", "EUR").open(player)
    await dice.bet("aff-b1", "aff-r1", 15_00)
    await age_everything(owner_db, 1)
    await apply_outbox(db)
    if not stated:
        return to_base64("Affiliate", str(created.affiliate.id))
    async with db.transaction() as uow:
        await statements.run_month(
            uow, "aurora", last_month(), today=clock.today(), formula=Formula()
        )
    return to_base64("Affiliate", str(created.affiliate.id))


def last_month() -> date:
    return statements.previous_month(clock.today().replace(day=1))


async def test_finance_finds_an_affiliate_and_reads_its_statement_on_the_page_and_as_csv(
    server: str, db: Database, owner_db: Database, registry: BrandRegistry
) -> None:
    affiliate_id = await seeded_affiliate(db, owner_db, registry)
    finance = await signed_in_console(server, db, "aff-fin@op.example", ["finance"])
    month = last_month().isoformat()[:7]

    found = await finance.get("/affiliates?q=CPA-DESK")
    missed = await finance.get("/affiliates?q=nobody-here")
    opened = await finance.get(f"/affiliates/{affiliate_id}")
    exported = await finance.get(f"/affiliates/{affiliate_id}/statements.csv?from={month}")
    unknown = await finance.get("/affiliates/" + to_base64("Affiliate", "0" * 32))

    assert found.status_code == 200 and f'data-affiliate="{affiliate_id}"' in found.text
    assert "<code>cpa-desk</code>" in found.text
    assert f'data-affiliate="{affiliate_id}"' not in missed.text
    row = opened.text.split(f'data-month="{month}" data-currency="EUR"', 1)[1].split("</tr>")[0]
    cells = [cell.split(">", 1)[1].split("<", 1)[0] for cell in row.split("<td")[1:]]
    assert cells == [
        "EUR", "1", "15.00 EUR", "0.00 EUR", "0.00 EUR", "1", "50.00 EUR", "50.00 EUR",
        "0.00 EUR",
    ]  # fmt: skip
    assert 'id="affiliate-players">1<' in opened.text
    assert exported.headers["content-type"].startswith("text/csv")
    assert list(csv.reader(io.StringIO(exported.text))) == [
        ["month", "currency", "players", "cpa_players", "ngr", "carriedIn", "revshare", "cpa",
         "total", "carriedOut"],
        [month, "EUR", "1", "1", "15.00", "0.00", "0.00", "50.00", "50.00", "0.00"],
    ]  # fmt: skip
    assert unknown.status_code == 404
    await finance.aclose()


async def test_finance_creates_an_affiliate_with_keys_shown_once_and_adds_a_code(
    server: str, db: Database
) -> None:
    finance = await signed_in_console(server, db, "aff-new@op.example", ["finance"])
    await finance.get("/affiliates")

    created = await finance.post(
        "/affiliates/create",
        {"name": "Share Media", "plan": "REVSHARE", "revshare_percent": "30.00",
         "negative_carry_over": "on"},
    )  # fmt: skip
    link = created.text.split('<a href="/affiliates/', 1)[1].split('"', 1)[0]
    added = await finance.post(
        f"/affiliates/{link}/codes", {"code": "share-spring", "campaign": "Spring"}
    )
    taken = await finance.post(f"/affiliates/{link}/codes", {"code": "share-spring"})
    bad_plan = await finance.post("/affiliates/create", {"name": "X", "plan": "FREE"})
    shown = await finance.get(f"/affiliates/{link}")

    assert created.status_code == 200
    assert 'id="affiliate-access-key">' in created.text and "Shown once" in created.text
    assert added.status_code == 303
    assert taken.status_code == 400 and 'role="alert"' in taken.text
    assert bad_plan.status_code == 400
    assert "<code>share-spring</code></td><td>Spring</td>" in shown.text
    assert "access-key" not in shown.text  # never shown again
    await finance.aclose()


async def test_a_trader_reads_affiliates_without_actions_and_support_is_refused(
    server: str, db: Database
) -> None:
    trader = await signed_in_console(server, db, "aff-trader@op.example", ["trader"])
    support = await signed_in_console(server, db, "aff-support@op.example", ["support"])

    read = await trader.get("/affiliates")
    forced = await trader.post("/affiliates/create", {"name": "Forced", "plan": "CPA"})
    refused = await support.get("/affiliates")
    after = await trader.get("/affiliates?q=Forced")

    assert read.status_code == 200 and 'id="new-affiliate"' not in read.text
    assert forced.status_code == 403
    assert refused.status_code == 403
    assert "data-affiliate=" not in after.text
    await trader.aclose()
    await support.aclose()


def test_pages_follow_name_order_from_the_cursor_to_the_last() -> None:
    affiliates = [
        {"id": f"id-{n:03}", "name": f"Partner {n:03}", "trackingCodes": []}
        for n in range(PAGE_SIZE * 2 + 3)
    ]

    first, cursor = page_after(list(reversed(affiliates)), None)
    second, cursor_two = page_after(affiliates, cursor)
    last, end = page_after(affiliates, cursor_two)

    assert [a["id"] for a in first + second + last] == [a["id"] for a in affiliates]
    assert (len(last), end) == (3, None)
    assert page_after(affiliates, "id-unknown") == ([], None)


async def test_finance_writes_last_months_statements_once_from_the_page(
    server: str, db: Database, owner_db: Database, registry: BrandRegistry
) -> None:
    affiliate_id = await seeded_affiliate(db, owner_db, registry, stated=False)
    finance = await signed_in_console(server, db, "aff-run@op.example", ["finance"])
    trader = await signed_in_console(server, db, "aff-run-t@op.example", ["trader"])
    month = last_month().isoformat()[:7]
    listing = await finance.get("/affiliates")

    forced = await trader.post("/affiliates/statements/run", {"month": month})
    before = await finance.get(f"/affiliates/{affiliate_id}")
    first = await finance.post("/affiliates/statements/run", {"month": month})
    first_page = await finance.get(first.headers["location"])
    again = await finance.post("/affiliates/statements/run", {"month": month})
    again_page = await finance.get(again.headers["location"])
    open_month = await finance.post(
        "/affiliates/statements/run", {"month": clock.today().isoformat()[:7]}
    )
    after = await finance.get(f"/affiliates/{affiliate_id}")

    assert f'name="month" type="month" required value="{month}"' in listing.text
    assert forced.status_code == 403
    assert "No statement in these months." in before.text
    assert "were written and their commissions booked" in first_page.text
    assert "already written" in again_page.text
    assert open_month.status_code == 400 and 'role="alert"' in open_month.text
    assert f'data-month="{month}" data-currency="EUR"' in after.text
    assert 'data-figure="total">50.00 EUR<' in after.text
    await finance.aclose()
    await trader.aclose()
