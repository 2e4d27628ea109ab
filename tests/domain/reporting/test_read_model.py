"""The read model against the ledger: seeded activity across three brands, both products,
two currencies (four in all) and a sportsbook resettlement; every daily cell equals the
figure an independent SQL query computes from the ledger, months equal the sum of days,
replays count once, a rebuild changes nothing and reconciliation finds nothing."""

from __future__ import annotations

import asyncio
import uuid
from collections import defaultdict
from datetime import date, timedelta

from sqlalchemy import text

from domain.brands.service import BrandRegistry
from domain.kernel.db import Database
from domain.reporting import reconciliation, service
from domain.reporting.formula import Formula
from domain.reporting.queries import Dimension, ReportRequest, report
from domain.sportsbook.corrections import rollback_settlement
from domain.sportsbook.models import ResultKind
from domain.sportsbook.returns import LegResult
from domain.sportsbook.settlement import settle_market
from domain.wallets.models import HouseAccountKind, WalletKind
from tests.domain.reporting.support import (
    Casino,
    apply_outbox,
    ledger_move,
    player,
    sportsbook_bet,
)
from tests.domain.sportsbook.support import add_market

BRANDS = ("aurora", "northstar", "kumo")
FIGURES = (
    "bets", "stakes_minor", "wins_minor", "deposits", "deposits_minor", "withdrawals",
    "withdrawals_minor", "bonus_granted_minor", "bonus_converted_minor",
    "bonus_forfeited_minor", "active_players", "registrations", "first_depositors",
)  # fmt: skip
MAPPED = (
    "casino.bet", "casino.win", "casino.rollback", "sportsbook.stake", "sportsbook.payout",
    "sportsbook.payout_reversal", "sportsbook.refund", "sportsbook.refund_reversal",
    "sportsbook.cash_out", "deposit", "withdrawal.payout", "bonus.grant", "bonus.conversion",
    "bonus.forfeit",
)  # fmt: skip

# Written apart from domain/reporting: what each cell must hold, straight from the ledger
# entries on player wallets and the product rows that name the game or market.
EXPECTED_FROM_LEDGER = """
WITH legs AS (
  SELECT t.id, t.brand, t.kind, t.metadata, (t.created_at AT TIME ZONE b.time_zone)::date AS day,
         e.currency, a.kind AS wallet, a.player_id, e.amount
    FROM ledger_transactions t
    JOIN brands b ON b.slug = t.brand
    JOIN ledger_entries e ON e.transaction_id = t.id
    JOIN ledger_accounts a ON a.id = e.account_id AND a.player_id IS NOT NULL
   WHERE t.kind = ANY(:kinds)
), tagged AS (
  SELECT l.*,
         CASE WHEN l.kind LIKE 'casino.%' THEN 'casino'
              WHEN l.kind LIKE 'sportsbook.%' THEN 'sportsbook' ELSE 'account' END AS product,
         CASE WHEN l.kind = 'casino.bet' THEN l.metadata ->> 'game'
              WHEN l.kind LIKE 'casino.%' THEN (SELECT c.game_code FROM casino_transactions c
                                                 WHERE c.id = (l.metadata ->> 'bet')::bigint)
              ELSE '' END AS game,
         CASE WHEN l.kind LIKE 'casino.%' THEN l.metadata ->> 'provider' ELSE '' END AS provider,
         coalesce(sb.sport, '') AS sport, coalesce(sb.competition, '') AS competition,
         coalesce(sb.market_type, '') AS market_type
    FROM legs l
    LEFT JOIN LATERAL (
      SELECT s.key AS sport, c.key AS competition, m.type AS market_type
        FROM sportsbook_bets x
        JOIN sportsbook_bet_legs bl ON bl.bet_id = x.id
        JOIN sportsbook_markets m ON m.id = bl.market_id
        JOIN sportsbook_events ev ON ev.id = bl.event_id
        JOIN sportsbook_competitions c ON c.id = ev.competition_id
        JOIN sportsbook_sports s ON s.id = c.sport_id
       WHERE l.kind LIKE 'sportsbook.%'
         AND (x.id = (l.metadata ->> 'bet_id')::bigint OR x.stake_transaction_id = l.id
              OR x.id = (SELECT (r.metadata ->> 'bet_id')::bigint FROM ledger_transactions r
                          WHERE r.id = (l.metadata ->> 'reverses')::bigint))
    ) sb ON true
)
SELECT day, brand, product, game, provider, sport, competition, market_type, currency,
  count(DISTINCT id) FILTER (WHERE kind IN ('casino.bet', 'sportsbook.stake',
                                            'sportsbook.refund_reversal'))
  - count(DISTINCT id) FILTER (WHERE kind IN ('casino.rollback', 'sportsbook.refund')) AS bets,
  coalesce(sum(-amount) FILTER (WHERE kind IN ('casino.bet', 'casino.rollback',
     'sportsbook.stake', 'sportsbook.refund', 'sportsbook.refund_reversal')), 0) AS stakes_minor,
  coalesce(sum(amount) FILTER (WHERE kind IN ('casino.win', 'sportsbook.payout',
     'sportsbook.cash_out', 'sportsbook.payout_reversal')), 0) AS wins_minor,
  count(DISTINCT id) FILTER (WHERE kind = 'deposit') AS deposits,
  coalesce(sum(amount) FILTER (WHERE kind = 'deposit'), 0) AS deposits_minor,
  count(DISTINCT id) FILTER (WHERE kind = 'withdrawal.payout') AS withdrawals,
  coalesce(sum(-amount) FILTER (WHERE kind = 'withdrawal.payout'), 0) AS withdrawals_minor,
  coalesce(sum(amount) FILTER (WHERE kind = 'bonus.grant' AND wallet = 'bonus'), 0),
  coalesce(sum(-amount) FILTER (WHERE kind = 'bonus.conversion' AND wallet = 'bonus'), 0),
  coalesce(sum(-amount) FILTER (WHERE kind = 'bonus.forfeit' AND wallet = 'bonus'), 0),
  count(DISTINCT player_id) FILTER (WHERE kind IN ('casino.bet', 'sportsbook.stake')),
  0 AS registrations, 0 AS first_depositors
  FROM tagged
 GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9
"""
REGISTRATIONS = """
SELECT (p.created_at AT TIME ZONE b.time_zone)::date, p.brand, p.currency, count(*)
  FROM players p JOIN brands b ON b.slug = p.brand GROUP BY 1, 2, 3
"""
FIRST_DEPOSITS = """
SELECT DISTINCT ON (a.player_id) (t.created_at AT TIME ZONE b.time_zone)::date, t.brand,
       e.currency
  FROM ledger_transactions t
  JOIN brands b ON b.slug = t.brand
  JOIN ledger_entries e ON e.transaction_id = t.id
  JOIN ledger_accounts a ON a.id = e.account_id AND a.player_id IS NOT NULL
 WHERE t.kind = 'deposit'
 ORDER BY a.player_id, t.id
"""

PLAYER_DAYS_FROM_LEDGER = """
SELECT t.brand, a.player_id, (t.created_at AT TIME ZONE b.time_zone)::date, e.currency,
  coalesce(sum(-e.amount) FILTER (WHERE t.kind IN ('casino.bet', 'casino.rollback',
     'sportsbook.stake', 'sportsbook.refund', 'sportsbook.refund_reversal')), 0),
  coalesce(sum(e.amount) FILTER (WHERE t.kind IN ('casino.win', 'sportsbook.payout',
     'sportsbook.cash_out', 'sportsbook.payout_reversal')), 0),
  coalesce(sum(e.amount) FILTER (WHERE t.kind = 'deposit'), 0),
  coalesce(sum(-e.amount) FILTER (WHERE t.kind = 'withdrawal.payout'), 0),
  coalesce(sum(e.amount) FILTER (WHERE t.kind = 'bonus.grant' AND a.kind = 'bonus'), 0),
  coalesce(sum(-e.amount) FILTER (WHERE t.kind = 'bonus.forfeit' AND a.kind = 'bonus'), 0),
  max(t.created_at)
  FROM ledger_transactions t
  JOIN brands b ON b.slug = t.brand
  JOIN ledger_entries e ON e.transaction_id = t.id
  JOIN ledger_accounts a ON a.id = e.account_id AND a.player_id IS NOT NULL
 WHERE t.kind = ANY(:kinds)
 GROUP BY 1, 2, 3, 4
"""
PLAYER_DAYS_REPORTED = """
SELECT brand, player_id, day, currency, stakes_minor, wins_minor, deposits_minor,
       withdrawals_minor, bonus_granted_minor, bonus_forfeited_minor, last_activity_at
  FROM reporting_player_daily
"""

Cells = dict[tuple[object, ...], dict[str, int]]


async def expected_cells(db: Database) -> Cells:
    cells: Cells = defaultdict(lambda: dict.fromkeys(FIGURES, 0))
    async with db.uow() as uow:
        for row in await uow.session.execute(text(EXPECTED_FROM_LEDGER), {"kinds": list(MAPPED)}):
            cells[tuple(row[:9])] = dict(zip(FIGURES, map(int, row[9:]), strict=True))
        for day, brand, currency, count in await uow.session.execute(text(REGISTRATIONS)):
            cells[(day, brand, "account", "", "", "", "", "", currency)]["registrations"] += count
        for day, brand, currency in await uow.session.execute(text(FIRST_DEPOSITS)):
            key = (day, brand, "account", "", "", "", "", "", currency)
            cells[key]["first_depositors"] += 1
    return {key: value for key, value in cells.items() if any(value.values())}


async def reported_cells(db: Database) -> Cells:
    keys = "day, brand, product, game, provider, sport, competition, market_type, currency"
    statement = f"SELECT {keys}, {', '.join(FIGURES)} FROM reporting_daily"  # noqa: S608
    async with db.uow() as uow:
        rows = await uow.session.execute(text(statement))
        cells = {tuple(r[:9]): dict(zip(FIGURES, map(int, r[9:]), strict=True)) for r in rows}
    return {key: value for key, value in cells.items() if any(value.values())}


async def seed(db: Database, registry: BrandRegistry) -> None:
    """Activity on three brands in EUR, GBP, SEK and JPY, casino and sportsbook, with a
    casino rollback, bonus money and a sportsbook settlement rolled back and resettled."""
    euro = await player(db, registry, "aurora", "EUR")
    pound = await player(db, registry, "aurora", "GBP")
    krona = await player(db, registry, "northstar", "SEK")
    yen = await player(db, registry, "kumo", "JPY")
    await player(db, registry, "kumo", "JPY")  # registers, never deposits
    for who, brand, currency, amount in (
        (euro, "aurora", "EUR", 200_00), (euro, "aurora", "EUR", 50_00),
        (pound, "aurora", "GBP", 80_00), (krona, "northstar", "SEK", 500_00),
        (yen, "kumo", "JPY", 20_000),
    ):  # fmt: skip
        await ledger_move(db, brand, who, currency, amount)
    await ledger_move(db, "aurora", euro, "EUR", -30_00, kind="withdrawal.payout")

    dice = await Casino(db, registry, "aurora", "EUR").open(euro)
    await dice.bet("e-b1", "e-r1", 10_00)
    await dice.win("e-w1", "e-r1", "e-b1", 25_00)
    await dice.bet("e-b2", "e-r2", 5_00)
    await dice.rollback("e-rb2", "e-r2", "e-b2")
    pounds = await Casino(db, registry, "aurora", "GBP").open(pound)
    await pounds.bet("g-b1", "g-r1", 20_00)
    await pounds.bet("g-b2", "g-r1", 7_00)
    yen_dice = await Casino(db, registry, "kumo", "JPY").open(yen)
    await yen_dice.bet("y-b1", "y-r1", 500)
    await yen_dice.win("y-w1", "y-r1", "y-b1", 1_500)

    # Bonus money moves through the ledger under the bonuses context's kinds.
    await ledger_move(
        db, "aurora", euro, "EUR", 20_00, kind="bonus.grant", wallet=WalletKind.BONUS,
        house=HouseAccountKind.BONUS_POOL,
    )  # fmt: skip
    await ledger_move(
        db, "aurora", euro, "EUR", -5_00, kind="bonus.forfeit", wallet=WalletKind.BONUS,
        house=HouseAccountKind.BONUS_POOL,
    )  # fmt: skip

    market = await add_market(db, {"home": "2.50", "away": "3.00"})
    home, away = market.outcomes["home"], market.outcomes["away"]
    await sportsbook_bet(
        db, registry, "aurora", euro, outcome_id=home, odds="2.50", stake_minor=10_00
    )
    await sportsbook_bet(
        db, registry, "northstar", krona, outcome_id=away, odds="3.00", stake_minor=40_00
    )
    win, lose = LegResult(ResultKind.WIN), LegResult(ResultKind.LOSE)
    await settle_market(
        db, market_id=market.market_id, results={home: win, away: lose}, run_id=uuid.uuid4()
    )
    await rollback_settlement(db, market_id=market.market_id, run_id=uuid.uuid4())
    await settle_market(
        db, market_id=market.market_id, results={home: lose, away: win}, run_id=uuid.uuid4()
    )


async def test_every_daily_cell_equals_the_ledger_and_months_are_sums_of_days(
    db: Database, registry: BrandRegistry
) -> None:
    await seed(db, registry)

    applied = await apply_outbox(db)
    replayed = await apply_outbox(db)

    expected = await expected_cells(db)
    assert replayed == 0
    assert applied > 0
    assert await reported_cells(db) == expected
    products = {key[2] for key in expected}
    currencies = {key[8] for key in expected}
    assert products == {"casino", "sportsbook", "account"}
    assert currencies == {"EUR", "GBP", "SEK", "JPY"}
    assert {key[1] for key in expected} == set(BRANDS)
    # The resettlement: the first payout, its reversal and the second payout net out to
    # what the player finally won (40.00 at 3.00 on SEK).
    sek = [v for k, v in expected.items() if k[2] == "sportsbook" and k[8] == "SEK"]
    assert sum(v["wins_minor"] for v in sek) == 120_00
    assert sum(v["stakes_minor"] for v in sek) == 40_00

    async with db.uow() as uow:
        for brand in BRANDS:
            days = {key[0] for key in expected if key[1] == brand}
            assert await reconciliation.reconcile(uow, brand, min(days), max(days)) == []

    await _assert_month_is_sum_of_days(db, expected)
    async with db.uow() as uow:
        ledger_days = await uow.session.execute(
            text(PLAYER_DAYS_FROM_LEDGER), {"kinds": list(MAPPED)}
        )
        player_days = {tuple(row[:4]): tuple(row[4:]) for row in ledger_days}
        reported = await uow.session.execute(text(PLAYER_DAYS_REPORTED))
        assert {tuple(row[:4]): tuple(row[4:]) for row in reported} == player_days


async def test_overlapping_batches_count_every_source_once_and_equal_the_ledger(
    db: Database, registry: BrandRegistry
) -> None:
    await seed(db, registry)

    # Seven events a transaction, each batch starting four on: most events arrive twice.
    applied = await apply_outbox(db, batch=7, step=4)
    replayed = await apply_outbox(db, batch=1000)

    assert replayed == 0
    assert applied > 0
    assert await reported_cells(db) == await expected_cells(db)
    async with db.uow() as uow:
        ledger_days = await uow.session.execute(
            text(PLAYER_DAYS_FROM_LEDGER), {"kinds": list(MAPPED)}
        )
        player_days = {tuple(row[:4]): tuple(row[4:]) for row in ledger_days}
        reported = await uow.session.execute(text(PLAYER_DAYS_REPORTED))
        assert {tuple(row[:4]): tuple(row[4:]) for row in reported} == player_days


async def test_two_batches_of_the_same_events_at_once_count_them_once(
    db: Database, registry: BrandRegistry
) -> None:
    await seed(db, registry)
    async with db.uow() as uow:
        ids = list(
            await uow.session.scalars(text("SELECT id FROM ledger_transactions ORDER BY id"))
        )

    async def apply(order: list[int]) -> int:
        async with db.transaction() as uow:
            return await service.apply_transactions(uow, order)

    # In opposite orders: the batch sorts its claims and cells, so neither waits on the
    # other crosswise (a deadlock would fail one of them).
    first, second = await asyncio.gather(apply(ids), apply(ids[::-1]))

    async with db.uow() as uow:
        counted = await uow.session.scalar(
            text("SELECT count(*) FROM ledger_transactions WHERE kind = ANY(:kinds)"),
            {"kinds": list(MAPPED)},
        )
    assert sorted((first, second)) == [0, counted]
    # The registrations (not ledger transactions) arrive with the events; the ledger's
    # sources are all claimed already.
    assert await apply_outbox(db, batch=1000) == 5
    assert await reported_cells(db) == await expected_cells(db)


async def _assert_month_is_sum_of_days(db: Database, expected: Cells) -> None:
    formula = Formula()
    for brand in BRANDS:
        days = sorted({key[0] for key in expected if key[1] == brand})
        assert isinstance(days[0], date)
        start, end = days[0].replace(day=1), days[-1] + timedelta(days=1)
        dims = (Dimension.PRODUCT, Dimension.GAME, Dimension.SPORT)
        async with db.uow() as uow:
            by_day = await report(
                uow, ReportRequest(brand, start, end, (Dimension.DAY, *dims)), formula
            )
            by_month = await report(
                uow, ReportRequest(brand, start, end, (Dimension.MONTH, *dims)), formula
            )
        summed: dict[tuple[str, ...], dict[str, int]] = defaultdict(lambda: defaultdict(int))
        for row in by_day.rows:
            month = row.keys[Dimension.DAY][:8] + "01"
            key = (month, *(row.keys[d] for d in (*dims, Dimension.CURRENCY)))
            for name, value in row.figures.items():
                if name != "active_players":
                    summed[key][name] += value
            summed[key]["ggr"] += row.ggr_minor
            summed[key]["ngr"] += row.ngr_minor
        months = {
            (row.keys[Dimension.MONTH], *(row.keys[d] for d in (*dims, Dimension.CURRENCY))): {
                **{k: v for k, v in row.figures.items() if k != "active_players"},
                "ggr": row.ggr_minor,
                "ngr": row.ngr_minor,
            }
            for row in by_month.rows
        }
        assert months == {k: dict(v) for k, v in summed.items()}
        assert by_month.rows, brand


async def test_a_rebuild_of_the_range_changes_nothing_and_twice_is_the_same(
    db: Database, registry: BrandRegistry
) -> None:
    await seed(db, registry)
    await apply_outbox(db)
    before = await reported_cells(db)
    days = sorted({key[0] for key in before})
    assert isinstance(days[0], date)

    await service.rebuild(db, BRANDS, days[0], days[-1])
    once = await reported_cells(db)
    await service.rebuild(db, BRANDS, days[0], days[-1])

    assert once == before
    assert await reported_cells(db) == before
    # The events arriving after the rebuild find their sources claimed: nothing doubles.
    assert await apply_outbox(db) == 0


async def test_a_rebuild_restores_a_day_the_read_model_lost(
    db: Database, owner_db: Database, registry: BrandRegistry
) -> None:
    await seed(db, registry)
    await apply_outbox(db)
    before = await reported_cells(db)
    # An Aurora cell: the reconciliation below is Aurora's, and Kumo's business day
    # (Tokyo) is a day ahead of Aurora's from 15:00 UTC.
    cell = next(key for key in before if key[1] == "aurora" and key[2] == "casino")
    async with owner_db.transaction() as uow:
        # Only that day: the brands' business days differ (Tokyo's is a day ahead of
        # Malta's from 15:00 UTC), and the rebuild below restores that day alone.
        await uow.session.execute(
            text("UPDATE reporting_daily SET wins_minor = wins_minor + 1 WHERE day = :day"),
            {"day": cell[0]},
        )
    async with db.uow() as uow:
        broken = await reconciliation.reconcile(uow, "aurora", cell[0], cell[0])  # type: ignore[arg-type]
    assert {m.figure for m in broken} == {"wins_minor"}

    await service.rebuild(db, BRANDS, cell[0], cell[0])  # type: ignore[arg-type]

    assert await reported_cells(db) == before
