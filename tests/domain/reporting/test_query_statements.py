"""The report and player-value queries read a page in a fixed number of statements,
however many lines or days it holds (no N+1)."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import func
from sqlalchemy.dialects import postgresql

from domain.brands.service import BrandRegistry
from domain.kernel.db import Database
from domain.reporting import players, service
from domain.reporting.formula import Formula
from domain.reporting.models import FIGURES, DailyFigures
from domain.reporting.queries import Dimension, ReportRequest, _grouped, report
from tests.domain.reporting.support import Casino, apply_outbox, execute, ledger_move, player
from tests.support import statements_of

FILL = """
INSERT INTO reporting_daily (day, brand, product, game, provider, sport, competition,
                             market_type, currency, bets, stakes_minor, wins_minor)
SELECT CAST(:last AS date) - d, 'aurora', 'casino', 'game-' || g, 'p', '', '', '', 'EUR',
       3, 300, 250
  FROM generate_series(0, 9) AS d, generate_series(1, 40) AS g
"""


async def test_a_page_of_400_lines_is_two_statements(db: Database) -> None:
    last = date(2026, 11, 30)
    await execute(db, FILL, last=last)
    request = ReportRequest(
        "aurora", last - timedelta(days=9), last, (Dimension.DAY, Dimension.GAME), first=400
    )

    with statements_of(db) as statements:
        async with db.uow() as uow:
            page = await report(uow, request, Formula())

    assert len(page.rows) == 400
    assert {row.ggr_minor for row in page.rows} == {50}
    # The figures, and the distinct active players of the same groups.
    assert len(statements) == 2, statements


BIG_FILL = """
INSERT INTO reporting_daily (day, brand, product, game, provider, sport, competition,
                             market_type, currency, bets, stakes_minor, wins_minor)
SELECT CAST(:last AS date) - d, b, 'casino', 'game-' || g, 'p', '', '', '', 'EUR', 3, 300, 250
  FROM generate_series(0, 89) AS d, generate_series(1, 200) AS g,
       unnest(ARRAY['aurora', 'kumo']) AS b
"""


def _plan_nodes(plan: dict[str, object]) -> list[dict[str, object]]:
    children = plan.get("Plans", [])
    assert isinstance(children, list)
    return [plan, *(node for child in children for node in _plan_nodes(child))]


async def test_a_page_by_day_and_game_reads_one_page_of_rows_in_index_order(
    db: Database,
) -> None:
    # 90 days x 200 games in two brands: the bench's read model. One month's first page
    # of 100 groups streams from the brand's index (no sort of the month's 6,000 rows)
    # and stops after the page.
    last = date(2026, 11, 30)
    await execute(db, BIG_FILL, last=last)
    await execute(db, "ANALYZE reporting_daily")
    request = ReportRequest(
        "aurora", last - timedelta(days=29), last, (Dimension.DAY, Dimension.GAME), first=100
    ).checked()
    query = _grouped(DailyFigures, request, [func.sum(getattr(DailyFigures, n)) for n in FIGURES])
    dialect = postgresql.dialect()  # type: ignore[no-untyped-call]
    sql = str(query.compile(dialect=dialect, compile_kwargs={"literal_binds": True}))

    ((plan,),) = await execute(db, "EXPLAIN (ANALYZE, FORMAT JSON) " + sql)

    nodes = _plan_nodes(plan[0]["Plan"])  # type: ignore[index]
    assert not [n for n in nodes if "Sort" in str(n["Node Type"])], nodes
    (scan,) = [n for n in nodes if "Scan" in str(n["Node Type"])]
    assert scan["Index Name"] == "ix_reporting_daily_brand_day_game"
    # The page and one more group (has_next_page), and the row that closes that group.
    assert int(scan["Actual Rows"]) <= request.first + 2  # type: ignore[call-overload]


async def test_a_players_value_is_one_statement_whatever_their_history(
    db: Database, registry: BrandRegistry
) -> None:
    player_id = await player(db, registry, "aurora", "EUR")
    await execute(
        db,
        "INSERT INTO reporting_player_daily (brand, player_id, day, currency, deposits_minor, "
        "last_activity_at) SELECT 'aurora', :p, DATE '2026-01-01' + d, 'EUR', 100, now() "
        "FROM generate_series(0, 299) AS d",
        p=player_id,
    )

    with statements_of(db) as statements:
        async with db.uow() as uow:
            (value,) = await players.player_value(
                uow, "aurora", player_id, Formula(), (date(2026, 1, 1), date(2026, 1, 31))
            )

    assert (value.lifetime.deposits_minor, value.period.deposits_minor if value.period else None) == (
        30_000, 3_100,
    )  # fmt: skip
    assert len(statements) == 1, statements


async def test_applying_a_batch_of_casino_bets_and_wins_is_seven_statements(
    db: Database, registry: BrandRegistry
) -> None:
    euro = await player(db, registry, "aurora", "EUR")
    await ledger_move(db, "aurora", euro, "EUR", 100_00)
    dice = await Casino(db, registry, "aurora", "EUR").open(euro)
    await apply_outbox(db)
    for n in range(20):
        await dice.bet(f"batch-b{n}", f"batch-r{n}", 1_00)
        await dice.win(f"batch-w{n}", f"batch-r{n}", f"batch-b{n}", 50)
    ids = [
        int(row[0])
        for row in await execute(
            db, "SELECT id FROM ledger_transactions WHERE kind IN ('casino.bet', 'casino.win')"
        )
    ]

    with statements_of(db) as statements:
        async with db.transaction() as uow:
            applied = await service.apply_transactions(uow, ids)

    assert applied == 40
    # As for one bet, plus the bets the wins name (one statement for all of them): the
    # 40 transactions' increments are summed into one cell row and one player-day row.
    assert len(statements) == 7, statements
    (cell,) = await execute(
        db, "SELECT bets, stakes_minor, wins_minor, active_players FROM reporting_daily "
        "WHERE brand = 'aurora' AND product = 'casino'",
    )  # fmt: skip
    assert cell == (20, 20_00, 10_00, 1)


async def test_applying_a_casino_bet_is_six_statements_after_its_commit(
    db: Database, registry: BrandRegistry
) -> None:
    euro = await player(db, registry, "aurora", "EUR")
    await ledger_move(db, "aurora", euro, "EUR", 10_00)
    dice = await Casino(db, registry, "aurora", "EUR").open(euro)
    await apply_outbox(db)
    await dice.bet("count-b1", "count-r1", 1_00)
    (transaction_id,) = (
        await execute(db, "SELECT max(id) FROM ledger_transactions WHERE kind = 'casino.bet'")
    )[0]

    with statements_of(db) as statements:
        async with db.transaction() as uow:
            applied = await service.apply_transactions(uow, [int(transaction_id)])

    assert applied == 1
    # The ledger facts, the claim (with the day's shared lock), the refresh signal, the
    # player's activity, the cell and the player's day: the game is in the bet's metadata.
    assert len(statements) == 6, statements
