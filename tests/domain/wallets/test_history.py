"""The wallet read side on real PostgreSQL: keyset pages, filters, cursors, brand scope."""

from __future__ import annotations

import uuid
from datetime import datetime

import pytest

from domain.brands.service import BrandRegistry
from domain.kernel import paging
from domain.kernel.db import Database
from domain.wallets import history
from domain.wallets.models import WalletKind
from tests.schema.wallets.support import database_now, fund, player_of, spend
from tests.support import create_player


async def _page(
    db: Database,
    player_id: uuid.UUID,
    *,
    brand: str = "aurora",
    first: int = history.PAGE_SIZE_DEFAULT,
    after: history.Cursor | None = None,
    filters: history.HistoryFilter | None = None,
) -> history.Page:
    async with db.uow() as uow:
        return await history.page(uow, brand, player_id, first=first, after=after, filters=filters)


async def test_pages_walk_every_movement_newest_first_without_gaps_or_repeats(
    db: Database, registry: BrandRegistry
) -> None:
    player = await create_player(db, registry)
    for amount in range(1, 8):
        await fund(db, player, amount)

    seen: list[int] = []
    after = None
    pages = 0
    while True:
        page = await _page(db, player, first=3, after=after)
        pages += 1
        seen += [movement.amount_minor for movement in page.movements]
        if not page.has_next_page:
            break
        after = page.movements[-1].cursor

    assert seen == [7, 6, 5, 4, 3, 2, 1]
    assert pages == 3


async def test_a_movement_carries_its_signed_amount_and_running_balance(
    db: Database, registry: BrandRegistry
) -> None:
    player = await create_player(db, registry)
    funded = await fund(db, player, 1_000)
    staked = await spend(db, player, 250)

    page = await _page(db, player)

    assert [
        (m.transaction_id, m.kind, m.wallet, m.currency, m.amount_minor, m.balance_after_minor)
        for m in page.movements
    ] == [
        (staked.transaction_id, "stake", WalletKind.CASH, "EUR", -250, 750),
        (funded.transaction_id, "deposit", WalletKind.CASH, "EUR", 1_000, 1_000),
    ]
    assert page.has_next_page is False


async def test_filters_by_kind_wallet_and_half_open_date_range(
    db: Database, registry: BrandRegistry
) -> None:
    player = await create_player(db, registry)
    await fund(db, player, 100)
    boundary = await database_now(db)
    await fund(db, player, 20, wallet=WalletKind.BONUS, kind="bonus_grant")
    await spend(db, player, 30)

    def amounts(page: history.Page) -> list[int]:
        return [movement.amount_minor for movement in page.movements]

    deposits = await _page(db, player, filters=history.HistoryFilter.of(kinds=["deposit"]))
    bonus = await _page(db, player, filters=history.HistoryFilter.of(wallet=WalletKind.BONUS))
    since = await _page(db, player, filters=history.HistoryFilter.of(since=boundary))
    until = await _page(db, player, filters=history.HistoryFilter.of(until=boundary))
    both_kinds = await _page(
        db, player, filters=history.HistoryFilter.of(kinds=["stake", "bonus_grant"])
    )

    assert amounts(deposits) == [100]
    assert amounts(bonus) == [20]
    assert amounts(since) == [-30, 20]
    assert amounts(until) == [100]
    assert amounts(both_kinds) == [-30, 20]


async def test_only_the_players_own_movements_of_the_brand_are_listed(
    db: Database, registry: BrandRegistry
) -> None:
    player = await create_player(db, registry)
    other = await create_player(db, registry)
    elsewhere = await player_of(db, registry, "northstar")
    await fund(db, player, 100)
    await fund(db, other, 200)
    await fund(db, elsewhere, 300, brand="northstar", currency="SEK")

    mine = await _page(db, player)
    on_the_wrong_brand = await _page(db, elsewhere, brand="aurora")

    assert [m.amount_minor for m in mine.movements] == [100]
    assert on_the_wrong_brand.movements == []
    async with db.uow() as uow:
        by_id = await history.movements_by_id(uow, "aurora", [1, 2, 3, 4, 5, 6])
    assert {m.player_id for m in by_id.values()} == {player, other}


@pytest.mark.parametrize("first", [0, -1, paging.PAGE_SIZE_MAX + 1])
async def test_a_page_size_outside_1_to_100_is_refused(
    db: Database, registry: BrandRegistry, first: int
) -> None:
    player = await create_player(db, registry)

    with pytest.raises(paging.InvalidPageSize) as refused:
        await _page(db, player, first=first)

    assert refused.value.field == "first"


@pytest.mark.parametrize(
    "cursor",
    [
        "not base64 at all!",
        "",
        # Well-formed base64 of text the API never issues.
        "djJ8MjAyNi0wMS0wMVQwMDowMDowMCswMDowMHwx",  # v2|2026-01-01T00:00:00+00:00|1
        "djF8MjAyNi0wMS0wMVQwMDowMDowMHwx",  # v1|2026-01-01T00:00:00|1 (no zone)
        "djF8MjAyNi0wMS0wMVQwMDowMDowMCswMDowMHwtNQ",  # v1|...|-5
        "djF8MjAyNi0wMS0wMVQwMDowMDowMCswMDowMHw5OTk5OTk5OTk5OTk5OTk5OTk5OTk5OTk5OTk5OTk",  # v1|...|(30 nines: beyond bigint)
    ],
)
def test_a_cursor_the_api_did_not_issue_is_refused(cursor: str) -> None:
    with pytest.raises(paging.InvalidCursor) as refused:
        history.Cursor.decode(cursor)

    assert refused.value.field == "after"


def test_a_cursor_round_trips() -> None:
    cursor = history.Cursor(42)

    assert history.Cursor.decode(cursor.encode()) == cursor


def test_a_cursor_of_the_time_ordered_history_still_names_its_entry() -> None:
    # v1|2026-03-01T10:00:00.123456+00:00|42, as issued before the history was ordered by
    # the ledger's own sequence.
    issued = "djF8MjAyNi0wMy0wMVQxMDowMDowMC4xMjM0NTYrMDA6MDB8NDI"

    assert history.Cursor.decode(issued) == history.Cursor(42)


def test_an_empty_or_inverted_date_range_is_refused() -> None:
    moment = datetime.fromisoformat("2026-03-01T10:00:00+00:00")

    with pytest.raises(history.InvalidHistoryFilter) as inverted:
        history.HistoryFilter.of(since=moment, until=moment)
    with pytest.raises(history.InvalidHistoryFilter) as too_many:
        history.HistoryFilter.of(kinds=[f"kind{i}" for i in range(history.KINDS_MAX + 1)])

    assert inverted.value.field == "from"
    assert too_many.value.field == "kinds"


async def test_the_export_walks_every_row_in_bounded_batches(
    db: Database, registry: BrandRegistry
) -> None:
    player = await create_player(db, registry)
    for amount in range(1, 6):
        await fund(db, player, amount)

    async with db.uow() as uow:
        batches = [
            [m.amount_minor for m in batch]
            async for batch in history.export_batches(
                uow, "aurora", player, history.HistoryFilter(), rows_max=4, batch_rows=2
            )
        ]
    async with db.uow() as uow:
        counted = await history.count_for_export(
            uow, "aurora", player, history.HistoryFilter(), rows_max=4
        )

    assert batches == [[5, 4], [3, 2]]
    assert counted == 5
