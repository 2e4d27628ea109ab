"""The console's bonus abuse page: risk staff see the brand's flags (what was seen, the
player, the other accounts), of one kind when they choose it; CRM has no such page."""

from __future__ import annotations

from domain.bonuses import abuse
from domain.bonuses.models import AbuseFlagKind
from domain.brands.service import BrandRegistry
from domain.kernel.db import Database
from tests.domain.reporting.support import player
from tests.web.backoffice.support import signed_in_console


async def test_risk_staff_see_the_brands_abuse_flags_by_kind(
    server: str, db: Database, registry: BrandRegistry
) -> None:
    flagged = await player(db, registry, "aurora", "EUR")
    other = await player(db, registry, "aurora", "EUR")
    elsewhere = await player(db, registry, "northstar", "SEK")
    async with db.transaction() as uow:
        await abuse.flag(
            uow, brand="aurora", player_id=flagged, kind=AbuseFlagKind.SHARED_ADDRESS,
            dedup_key="a", related=[other],
            details={"addresses": ["203.0.113.9"], "accounts": 2, "grant_type": "FreeBet"},
        )  # fmt: skip
        await abuse.flag(
            uow, brand="aurora", player_id=flagged, kind=AbuseFlagKind.LOW_ODDS,
            dedup_key="b", details={"bet": 7, "odds": "1.05", "minimum": "1.30"},
        )  # fmt: skip
        await abuse.flag(
            uow, brand="northstar", player_id=elsewhere, kind=AbuseFlagKind.LOW_ODDS,
            dedup_key="c", details={"bet": 8, "odds": "1.01", "minimum": "1.30"},
        )  # fmt: skip
    risk = await signed_in_console(server, db, "abuse-risk@op.example", ["risk"])
    crm = await signed_in_console(server, db, "abuse-crm@op.example", ["crm"])

    everything = await risk.get("/bonuses/abuse")
    low_odds = await risk.get("/bonuses/abuse?kind=LOW_ODDS")
    refused = await crm.get("/bonuses/abuse")
    await risk.aclose()
    await crm.aclose()

    table = everything.text.split('id="bonus-abuse-flags"')[1]
    assert table.count("<tr data-flag-kind=") == 2
    assert "Accounts sharing a sign-in address claimed one offer" in table
    assert "addresses: 203.0.113.9" in table
    assert "odds: 1.05" in table and "odds: 1.01" not in table  # northstar's is not aurora's
    assert "grant type" not in table
    filtered = low_odds.text.split('id="bonus-abuse-flags"')[1]
    assert filtered.count("<tr data-flag-kind=") == 1
    assert 'data-flag-kind="LOW_ODDS"' in filtered
    assert refused.status_code == 403
