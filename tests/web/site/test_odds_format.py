"""The odds format on the sports pages: a player who picks fractional (a plain form, POST
then back) reads 3/2 instead of 2.50 on the event list, the event page, the bet slip, my
bets and the live price updates; a signed-out visitor reads decimal."""

from __future__ import annotations

import re
import uuid

from sqlalchemy import select

from domain.accounts.models import Player
from domain.kernel.db import Database
from tests.domain.sportsbook.support import BookMarket, add_market, fund
from tests.schema.sportsbook.support import gid, publish_odds
from tests.support import STRONG_PASSWORD
from tests.web.site.support import SiteClient, odds_stream_after, register_and_sign_in
from web.site.sports import dom_id

HTMX = {"hx-request": "true"}


async def _bettor(site: SiteClient, db: Database) -> uuid.UUID:
    email = f"odds-{uuid.uuid4().hex[:8]}@example.com"
    await register_and_sign_in(
        site, email=email, password=STRONG_PASSWORD, country="MT", currency="EUR"
    )
    async with db.uow() as uow:
        player_id = await uow.session.scalar(select(Player.id).where(Player.email == email))
    assert player_id is not None
    await fund(db, player_id, 100_00)
    return player_id


async def _stored_format(db: Database, player_id: uuid.UUID) -> str:
    async with db.uow() as uow:
        return str(
            await uow.session.scalar(select(Player.odds_format).where(Player.id == player_id))
        )


def _add_form(market: BookMarket, key: str, odds: str) -> dict[str, str]:
    return {
        "action": "add",
        "market": "Home v Away · match_result",
        "pick": f"{gid('Outcome', market.outcomes[key])}|{odds}|{key}",
        "next": "/sports",
    }


async def test_a_player_who_picks_fractional_reads_fractional_odds_everywhere(
    aurora_site: SiteClient, db: Database
) -> None:
    player_id = await _bettor(aurora_site, db)
    market = await add_market(db, {"home": "2.50", "away": "1.50"})
    before = await aurora_site.get("/sports")

    chosen = await aurora_site.post(
        "/sports/odds-format", {"format": "FRACTIONAL", "next": "/sports?sport=football"}
    )
    listed = await aurora_site.get("/sports")
    event = await aurora_site.get(f"/sports/event/{gid('SportsbookEvent', market.event_id)}")
    added = await aurora_site.post("/sports/slip", _add_form(market, "home", "2.50"), headers=HTMX)
    placed = await aurora_site.post(
        "/sports/slip", {"action": "place", "stake": "10"}, headers=HTMX
    )
    bets = await aurora_site.get("/account/bets")

    assert ">2.50<" in before.text
    assert '<option value="DECIMAL" selected>' in before.text
    assert chosen.status_code == 303
    assert chosen.headers["location"] == "/sports?sport=football"
    assert await _stored_format(db, player_id) == "fractional"
    assert ">3/2<" in listed.text and ">1/2<" in listed.text
    assert ">2.50<" not in listed.text
    assert '<option value="FRACTIONAL" selected>' in listed.text
    assert ">3/2<" in event.text
    assert '<strong class="slip-odds">3/2</strong>' in added.text
    # The slip still bets at the decimal price the page showed.
    assert "Stake €10.00, potential return €25.00." in placed.text
    assert "@ 3/2" in bets.text


async def test_signed_out_visitors_read_decimal_odds_and_no_control(
    aurora_site: SiteClient, db: Database
) -> None:
    await add_market(db, {"home": "2.50", "away": "1.50"})
    await aurora_site.get("/sports")

    page = await aurora_site.get("/sports")
    added = await aurora_site.post(
        "/sports/slip",
        _add_form(await add_market(db, {"home": "1.80", "away": "2.00"}), "home", "1.80"),
        headers=HTMX,
    )
    refused = await aurora_site.post("/sports/odds-format", {"format": "AMERICAN"})

    assert ">2.50<" in page.text and ">3/2<" not in page.text
    assert "odds-format-form" not in page.text
    assert '<strong class="slip-odds">1.80</strong>' in added.text
    assert refused.status_code == 303
    assert refused.headers["location"].startswith("/login")


async def test_the_control_needs_the_page_token_and_a_known_format(
    aurora_site: SiteClient, db: Database
) -> None:
    player_id = await _bettor(aurora_site, db)
    await aurora_site.get("/sports")

    forged = await aurora_site.post("/sports/odds-format", {"format": "AMERICAN"}, csrf=False)
    unknown = await aurora_site.post("/sports/odds-format", {"format": "ROMAN", "next": "/x"})

    assert forged.status_code == 403
    assert unknown.status_code == 303 and unknown.headers["location"] == "/x"
    assert await _stored_format(db, player_id) == "decimal"


async def test_live_prices_arrive_in_the_players_format(
    aurora_site: SiteClient, db: Database
) -> None:
    await _bettor(aurora_site, db)
    market = await add_market(db, {"home": "2.50", "away": "1.50"})
    await aurora_site.get("/sports")
    await aurora_site.post("/sports/odds-format", {"format": "AMERICAN", "next": "/sports"})
    event = gid("SportsbookEvent", market.event_id)
    outcome = gid("Outcome", market.outcomes["home"])
    text = await odds_stream_after(
        aurora_site, event, lambda: publish_odds(db, market, "home", "3.00")
    )

    assert f'<div id="odds-{dom_id(outcome)}" hx-swap-oob="innerHTML">' in text
    assert ">+200<" in text
    # The button still adds the decimal price to the slip.
    assert re.search(rf'name="pick" value="{re.escape(outcome)}\|3(\.0*)?\|home"', text)
