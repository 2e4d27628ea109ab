"""The console's deposit search: finance finds a player's deposits by status and amount
range, pages by keyset and downloads them as CSV; amounts without a currency are explained,
not sent; traders (no wallet.read) have no such page."""

from __future__ import annotations

import csv
import io

from strawberry.relay import to_base64

from domain.brands.service import BrandRegistry
from domain.kernel.db import Database
from tests.domain.payments.support import deposited, opened_deposit
from tests.support import create_player
from tests.web.backoffice.support import signed_in_console


async def test_finance_searches_a_players_deposits_and_downloads_them(
    server: str, db: Database, registry: BrandRegistry
) -> None:
    player_id = await create_player(db, registry, email="dep-page@example.com")
    for minor in (15_00, 30_00, 45_00):
        await deposited(db, player_id, minor)
    await opened_deposit(db, player_id, 77_00)
    player = to_base64("Player", str(player_id))
    finance = await signed_in_console(server, db, "dep-page-fin@op.example", ["finance"])
    trader = await signed_in_console(server, db, "dep-page-trd@op.example", ["trader"])

    found = await finance.get(
        "/payments/deposits",
        params={"player": player, "status": "SUCCEEDED", "currency": "eur", "min": "20.00"},
    )
    download = await finance.get("/payments/deposits.csv", params={"player": player})
    no_currency = await finance.get("/payments/deposits", params={"min": "20.00"})

    rows = found.text[found.text.index('id="deposit-rows"') :].split("</table>")[0]
    assert found.status_code == 200
    assert "45.00 EUR" in rows and "30.00 EUR" in rows
    assert "15.00 EUR" not in rows and "77.00" not in rows
    table = list(csv.reader(io.StringIO(download.text)))
    assert [(row[3], row[5]) for row in table[1:]] == [
        ("PENDING", "77.00"), ("SUCCEEDED", "45.00"), ("SUCCEEDED", "30.00"),
        ("SUCCEEDED", "15.00"),
    ]  # fmt: skip
    assert no_currency.status_code == 400 and "Give the currency" in no_currency.text
    assert (await trader.get("/payments/deposits")).status_code == 403
    await finance.aclose()
    await trader.aclose()
