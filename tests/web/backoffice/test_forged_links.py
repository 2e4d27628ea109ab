"""A list page's link with a cursor the API did not issue (edited by hand, or copied from
another list) answers 400 with a clear message, never 500.

The pages are found from the console's documents: every document with a cursor variable
has a case here, so a keyset list added later fails until it has one.
"""

from __future__ import annotations

import base64
import re
from typing import Final

from strawberry.relay import to_base64

from domain.brands.service import BrandRegistry
from domain.kernel.db import Database
from domain.kernel.paging import encode_cursor
from tests.domain.payments.support import deposited
from tests.support import create_player
from tests.web.backoffice.support import signed_in_console
from web.backoffice.console import DOCUMENTS_DIR
from web.backoffice.strings import TEXT

# Document -> (page path, its cursor parameter); `{player}` is a player's id.
PAGES: Final = {
    "PendingWithdrawals": ("/payments", "after"),
    "SearchDeposits": ("/payments/deposits", "after"),
    "ReportLines": ("/reports", "after"),
    "AuditLog": ("/audit", "after"),
    "CasinoManagement": ("/casino", "after"),
    "CasinoReconciliation": ("/casino/reconciliation", "after"),
    "TradingEvents": ("/trading", "after"),
    "PlayerMoney": ("/players/{player}", "after"),
    "PlayerProfile": ("/players/{player}", "bets_after"),
    "ThemeTranslations": ("/themes", "after"),
}
FORGED: Final = [
    "forged!",
    base64.urlsafe_b64encode(b"[1, 2, 3]").decode(),
    encode_cursor("zz", 7),
    "A" * 3_000,
]
_CURSOR_VARIABLE = re.compile(r"\$(?:after|\w+After)\b")


def test_every_console_document_with_a_cursor_has_a_page_case() -> None:
    with_cursor = {
        path.stem
        for path in DOCUMENTS_DIR.glob("*.graphql")
        if _CURSOR_VARIABLE.search(path.read_text())
    }
    assert with_cursor == set(PAGES)


async def test_a_forged_page_link_is_explained_on_every_list_page(
    server: str, db: Database, registry: BrandRegistry
) -> None:
    player_id = await create_player(db, registry, email="forged-links@example.com")
    await deposited(db, player_id, 12_00)
    admin = await signed_in_console(server, db, "forged-links@op.example", ["admin"])
    player = to_base64("Player", str(player_id))
    message = TEXT["stale_page_link"]

    answers = {}
    for document, (path, parameter) in PAGES.items():
        for forged in FORGED:
            response = await admin.get(path.replace("{player}", player), params={parameter: forged})
            answers[(document, forged[:20])] = (
                response.status_code,
                message in response.text.replace("&#39;", "'"),
            )
    first_page = await admin.get(f"/players/{player}")

    assert {key: answer for key, answer in answers.items() if answer != (400, True)} == {}
    # The page without the forged link still shows the player (and their deposit).
    assert first_page.status_code == 200 and "12.00 EUR" in first_page.text
    await admin.aclose()
