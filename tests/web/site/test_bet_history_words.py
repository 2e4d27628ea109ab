"""The site's bet history says how each settled leg was paid, in the player's language: a
dead heat's share of the stake, each-way terms and the place part's result."""

from __future__ import annotations

import re
import uuid
from decimal import Decimal
from gettext import NullTranslations

import pytest
from sqlalchemy import select

from domain.accounts.models import Player
from domain.brands.service import BrandRegistry
from domain.kernel.db import Database
from domain.sportsbook.models import BetType
from domain.sportsbook.placement import BetSlip, Selection, place_bet
from tests.schema.sportsbook.support import node_int
from tests.schema.sportsbook.test_booking import RESULT_MARKET, _event, _ids, _ok, _trader
from tests.schema.sportsbook.test_each_way import _finish, _race
from tests.support import AURORA, NORTHSTAR, STRONG_PASSWORD
from tests.web.site.support import SiteClient, register_and_sign_in
from tests.web.site.test_translations import _fund
from tests.web.site.translation_check import catalogue, english_left, normalise

CREATE_MARKET = """mutation($i: CreateMarketInput!) { createMarket(input: $i) {
  market { id outcomes { id key odds } } errors { code } } }"""


async def _bet(
    db: Database, registry: BrandRegistry, email: str, outcome: str, odds: str, *, each_way: bool
) -> None:
    async with db.uow() as uow:
        player = await uow.session.scalar(select(Player).where(Player.email == email))
        assert player is not None
        slip = BetSlip(
            selections=(Selection(node_int(outcome), Decimal(odds)),), stake_minor=2_00,
            bet_type=BetType.SINGLE, each_way=each_way, idempotency_key=uuid.uuid4().hex,
        )  # fmt: skip
        await place_bet(uow, brand=registry.get(player.brand), player_id=player.id, slip=slip)
        await uow.commit()


@pytest.mark.parametrize("case", [(AURORA, "de", "MT"), (NORTHSTAR, "sv", "")], ids=["de", "sv"])
async def test_settled_legs_say_their_dead_heat_and_place_part_in_the_players_language(
    server: str, db: Database, registry: BrandRegistry, case: tuple[str, str, str]
) -> None:
    host, language, country = case
    trader = await _trader(server, db)
    race = await _race(trader)
    runners = _ids(race)
    event = await _event(trader)
    match = await _ok(
        trader,
        CREATE_MARKET,
        {"event": event["id"], "type": "outright", "name": "Top scorer",
         "outcomes": [{"key": "a", "name": "A", "odds": "4.00"},
                      {"key": "b", "name": "B", "odds": "4.00"}]},
    )  # fmt: skip
    site = SiteClient(server, host)
    await site.get(f"/language/{language}")
    email = f"{language}-{uuid.uuid4().hex[:6]}@example.com"
    await register_and_sign_in(site, email=email, password=STRONG_PASSWORD, country=country)
    await _fund(db, email, 50_00)
    await _bet(db, registry, email, runners["r2"], "11.00", each_way=True)
    await _bet(db, registry, email, _ids(match)["a"], "4.00", each_way=False)

    await _ok(
        trader,
        RESULT_MARKET,
        {"market": race["id"], "outcomes": _finish(runners, ["r1", "r2", "r3", "r4", "r5"])},
    )
    tie = [
        {"outcome": outcome, "result": "WIN", "deadHeatFactor": "0.5"}
        for outcome in _ids(match).values()
    ]
    await _ok(trader, RESULT_MARKET, {"market": match["id"], "outcomes": tie})
    page = await site.get("/account/bets?status=settled")
    await site.aclose()

    words = catalogue(language)
    shown = normalise(page.text)
    each_way = words.gettext("Each way: %(places)s places at %(fraction)s of the odds")
    dead_heat = words.gettext("Dead heat: %(share)s of the stake paid at the full odds")
    place_part = words.gettext("Place part: %(result)s")
    assert normalise(each_way % {"places": 3, "fraction": "1/5"}) in shown
    assert normalise(place_part % {"result": words.gettext("won")}) in shown
    assert normalise(dead_heat % {"share": "1/2"}) in shown
    assert english_left(page.text, language) == []


@pytest.mark.parametrize(
    "case",
    [(AURORA, "de", "MT", "2."), (NORTHSTAR, "sv", "", "2:a"), (AURORA, "en", "MT", "2nd")],
    ids=["de", "sv", "en"],
)
async def test_a_statement_row_opens_its_bet_which_says_where_the_runner_was_placed(
    server: str, db: Database, registry: BrandRegistry, case: tuple[str, str, str, str]
) -> None:
    host, language, country, second = case
    trader = await _trader(server, db)
    race = await _race(trader)
    runners = _ids(race)
    site = SiteClient(server, host)
    await site.get(f"/language/{language}")
    email = f"{language}-{uuid.uuid4().hex[:6]}@example.com"
    await register_and_sign_in(site, email=email, password=STRONG_PASSWORD, country=country)
    await _fund(db, email, 50_00)
    await _bet(db, registry, email, runners["r2"], "11.00", each_way=True)
    await _ok(
        trader,
        RESULT_MARKET,
        {"market": race["id"], "outcomes": _finish(runners, ["r1", "r2", "r3", "r4", "r5"])},
    )

    statement = await site.get("/account/transactions")
    links = re.findall(r'href="(/account/bets/[^"]+)"', statement.text)
    opened = await site.get(links[0])
    stranger = SiteClient(server, host)
    await register_and_sign_in(
        stranger, email=f"x-{uuid.uuid4().hex[:6]}@example.com", password=STRONG_PASSWORD,
        country=country,
    )  # fmt: skip
    refused = await stranger.get(links[0])
    await site.aclose()
    await stranger.aclose()

    words = catalogue(language) if language != "en" else NullTranslations()
    placed = words.gettext(
        "Placed %(position)s — each-way terms %(fraction)s for %(places)s places"
    )
    # The payout and the stake both name the bet.
    assert len(links) == 2 and len(set(links)) == 1
    assert opened.status_code == 200
    assert normalise(placed % {"position": second, "fraction": "1/5", "places": 3}) in normalise(
        opened.text
    )
    if language != "en":
        assert english_left(opened.text, language) == []
    assert refused.status_code == 404
