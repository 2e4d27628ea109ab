"""The sportsbook pages, server-rendered: events with prices and suspended markets, the bet
slip (signed cookie, CSRF-checked posts, server-side potential return), placing a bet once
even when the form is sent twice, my bets with cash-out, live prices over SSE."""

from __future__ import annotations

import asyncio
import html
import re
import uuid
from urllib.parse import quote

import pytest
from babel.dates import format_date, format_datetime, format_time
from sqlalchemy import func, select

from domain.accounts.models import Player
from domain.kernel.db import Database
from domain.kernel.outbox import emit
from domain.sportsbook.feed.events import EventUpdated
from domain.sportsbook.models import Bet, Event, Market
from tests.domain.sportsbook.support import BookMarket, add_market, fund, wallets
from tests.schema.sportsbook.support import gid, publish_odds, set_market_status, set_odds
from tests.support import STRONG_PASSWORD
from tests.web.site.support import (
    SiteClient,
    check_sse_fragments,
    odds_stream_after,
    register_and_sign_in,
)
from web.site import site as site_module
from web.site.site import LOCALE_COOKIE
from web.site.sports import dom_id

HTMX = {"hx-request": "true"}
_KEY = re.compile(r'name="idempotency_key" value="([^"]+)"')


async def _bettor(site: SiteClient, db: Database, cash_minor: int = 100_00) -> uuid.UUID:
    email = f"bettor-{uuid.uuid4().hex[:8]}@example.com"
    await register_and_sign_in(
        site, email=email, password=STRONG_PASSWORD, country="MT", currency="EUR"
    )
    async with db.uow() as uow:
        player_id = await uow.session.scalar(select(Player.id).where(Player.email == email))
    assert player_id is not None
    await fund(db, player_id, cash_minor)
    return player_id


async def _bets(db: Database) -> int:
    async with db.uow() as uow:
        return int(await uow.session.scalar(select(func.count()).select_from(Bet)) or 0)


def _add_form(market: BookMarket, key: str, odds: str) -> dict[str, str]:
    """What a price button of the market's form sends (sports/_market.html)."""
    return {
        "action": "add",
        "market": "Home v Away · match_result",
        "pick": f"{gid('Outcome', market.outcomes[key])}|{odds}|{key}",
        "next": "/sports",
    }


async def test_events_show_prices_and_a_suspended_market_in_words(
    aurora_site: SiteClient, db: Database
) -> None:
    open_market = await add_market(db, {"home": "2.50", "draw": "3.20", "away": "2.80"})
    closed = await add_market(
        db, {"over": "1.90", "under": "1.90"}, market_type="total", event_id=open_market.event_id
    )
    await set_market_status(db, closed.market_id, "suspended")

    page = await aurora_site.get("/sports")
    event = await aurora_site.get(f"/sports/event/{gid('SportsbookEvent', open_market.event_id)}")

    assert page.status_code == 200
    assert '<a href="/sports" aria-current="page">Sports</a>' in page.text
    assert "Home v Away" in page.text
    assert ">2.50<" in page.text and ">3.20<" in page.text
    # The list holds the event's main market and links to the rest; its page has them all.
    over = gid("Outcome", closed.outcomes["over"])
    assert over not in page.text
    assert "+1 market<" in page.text
    assert "Suspended: no bets for now" in event.text
    assert re.search(rf'data-outcome="{re.escape(over)}" disabled>', event.text)
    stream = f"/sports/odds/stream?events={gid('SportsbookEvent', open_market.event_id)}"
    # The list's stream also moves an event that starts; the event page's does not.
    assert f'sse-connect="{stream}&amp;list=1"' in page.text
    assert f'sse-connect="{stream}"' in event.text
    assert event.status_code == 200
    assert "<h1>Home v Away</h1>" in event.text
    missing = await aurora_site.get("/sports/event/U3BvcnRzYm9va0V2ZW50Ojk5OTk5")
    assert missing.status_code == 404


async def test_the_slip_previews_the_return_on_the_server(
    aurora_site: SiteClient, db: Database
) -> None:
    await _bettor(aurora_site, db)
    first = await add_market(db, {"home": "2.50", "away": "1.50"})
    second = await add_market(db, {"home": "1.80", "away": "2.00"})
    await aurora_site.get("/sports")

    added = await aurora_site.post("/sports/slip", _add_form(first, "home", "2.50"), headers=HTMX)
    await aurora_site.post("/sports/slip", _add_form(second, "home", "1.80"), headers=HTMX)
    singles = await aurora_site.post(
        "/sports/slip", {"action": "preview", "stake": "10", "type": "SINGLE"}, headers=HTMX
    )
    multiple = await aurora_site.post(
        "/sports/slip", {"action": "preview", "stake": "10", "type": "MULTIPLE"}, headers=HTMX
    )
    too_precise = await aurora_site.post(
        "/sports/slip", {"action": "preview", "stake": "1.234"}, headers=HTMX
    )
    # An exponent once built a 400,000-digit number (or failed in quantize): refused.
    huge = await aurora_site.post(
        "/sports/slip", {"action": "preview", "stake": "1E+400000"}, headers=HTMX
    )

    assert added.status_code == 200
    assert added.text.lstrip().startswith('<section id="bet-slip"')
    assert "Home v Away · match_result: home" in added.text
    assert '<strong class="slip-odds">2.50</strong>' in added.text
    # 10 x 2.50 + 10 x 1.80, staking 20 in all; the multiple 10 x 2.50 x 1.80.
    assert "Total stake €20.00" in singles.text and "Potential return €43.00" in singles.text
    assert "Total stake €10.00" in multiple.text and "Potential return €45.00" in multiple.text
    assert "Enter a stake to see the potential return." in too_precise.text
    assert huge.status_code == 200
    assert "Enter a stake to see the potential return." in huge.text


async def test_a_price_form_of_a_page_served_before_one_form_per_market_still_adds(
    aurora_site: SiteClient, db: Database
) -> None:
    market = await add_market(db, {"home": "2.50", "away": "1.50"})
    page = await aurora_site.get("/sports")
    legacy = {
        "action": "add", "outcome": gid("Outcome", market.outcomes["away"]), "odds": "1.50",
        "label": "Home v Away · match_result: away", "next": "/sports",
    }  # fmt: skip

    added = await aurora_site.post("/sports/slip", legacy, headers=HTMX)

    # One form per market: its price buttons share its CSRF field.
    assert page.text.count('name="csrf_token"') == page.text.count('class="outcome-form"')
    assert "Home v Away · match_result: away" in added.text
    assert '<strong class="slip-odds">1.50</strong>' in added.text


async def test_placing_a_bet_debits_once_even_when_the_form_is_sent_twice(
    aurora_site: SiteClient, db: Database
) -> None:
    player_id = await _bettor(aurora_site, db)
    market = await add_market(db, {"home": "2.50", "away": "1.50"})
    await aurora_site.get("/sports")
    # Without JavaScript: the form post lands back on the page it came from.
    added = await aurora_site.post("/sports/slip", _add_form(market, "home", "2.50"))
    assert added.status_code == 303 and added.headers["location"] == "/sports"
    page = await aurora_site.get("/sports")
    key = _KEY.search(page.text)
    assert key is not None
    selection = f"{gid('Outcome', market.outcomes['home'])}|2.50"
    form = {
        "action": "place", "stake": "10.00", "type": "SINGLE", "policy": "NONE",
        "idempotency_key": key.group(1), "selection": selection, "next": "/sports",
    }  # fmt: skip

    placed = await aurora_site.post("/sports/slip", form, headers=HTMX)
    again = await aurora_site.post("/sports/slip", form, headers=HTMX)
    bets = await aurora_site.get("/account/bets")

    assert placed.status_code == 200, placed.text
    assert "Bet placed." in placed.text
    assert "Stake €10.00, potential return €25.00." in placed.text
    assert "This bet was already placed." in again.text
    assert await _bets(db) == 1
    assert sum((await wallets(db, player_id)).values()) == 90_00
    # The slip is empty again, with a new key for the next bet.
    after = await aurora_site.get("/sports")
    assert "Your bet slip is empty." in after.text
    assert bets.status_code == 200
    assert bets.headers["cache-control"] == "no-store"
    assert "Home v Away · match_result: <strong>home</strong> @ 2.50" in bets.text
    assert "Potential return €25.00" in bets.text


async def test_without_the_page_token_nothing_is_added_placed_or_cashed_out(
    aurora_site: SiteClient, db: Database
) -> None:
    player_id = await _bettor(aurora_site, db)
    market = await add_market(db, {"home": "2.50", "away": "1.50"})
    await aurora_site.get("/sports")
    selection = f"{gid('Outcome', market.outcomes['home'])}|2.50"
    place = {
        "action": "place", "stake": "10.00", "type": "SINGLE",
        "idempotency_key": "slip-forged", "selection": selection,
    }  # fmt: skip

    no_token = await aurora_site.post("/sports/slip", place, csrf=False, headers=HTMX)
    other_site = await aurora_site.post("/sports/slip", place, origin="http://evil.example")
    add = await aurora_site.post("/sports/slip", _add_form(market, "home", "2.50"), csrf=False)
    cash_out = await aurora_site.post(
        "/account/bets/cash-out",
        {"bet": "QmV0OjE=", "amount": "1.00", "currency": "EUR", "idempotency_key": "co-x"},
        csrf=False,
    )
    page = await aurora_site.get("/sports")

    assert [no_token.status_code, other_site.status_code, add.status_code] == [403, 403, 403]
    assert cash_out.status_code == 403
    assert await _bets(db) == 0
    assert sum((await wallets(db, player_id)).values()) == 100_00
    assert "Your bet slip is empty." in page.text


async def test_cash_out_through_the_page_and_a_changed_value(
    aurora_site: SiteClient, db: Database
) -> None:
    player_id = await _bettor(aurora_site, db)
    market = await add_market(db, {"home": "2.00", "away": "2.00"})
    await aurora_site.get("/sports")
    await aurora_site.post("/sports/slip", _add_form(market, "home", "2.00"), headers=HTMX)
    await aurora_site.post("/sports/slip", {"action": "update", "stake": "10"}, headers=HTMX)
    placed = await aurora_site.post("/sports/slip", {"action": "place"}, headers=HTMX)
    assert "Bet placed." in placed.text, placed.text
    bets = await aurora_site.get("/account/bets")
    # 10 x 2.00 / 2.00 x 0.95
    assert "Cash out €9.50" in bets.text
    form = re.search(
        r'<form method="post" action="/account/bets/cash-out".*?</form>', bets.text, re.S
    )
    assert form is not None
    fields = dict(re.findall(r'name="([^"]+)" value="([^"]*)"', form.group(0)))
    fields = {name: html.unescape(value) for name, value in fields.items()}

    # The price lengthens: the bet is worth less than the player was shown.
    await set_odds(db, market.outcomes["home"], "4.00")
    refused = await aurora_site.post("/account/bets/cash-out", fields)
    assert refused.status_code == 409
    assert "The cash-out value has changed to €4.75." in refused.text
    assert "Cash out €4.75" in refused.text
    assert sum((await wallets(db, player_id)).values()) == 90_00

    again = re.search(
        r'<form method="post" action="/account/bets/cash-out".*?</form>', refused.text, re.S
    )
    assert again is not None
    fresh = {
        n: html.unescape(v)
        for n, v in re.findall(r'name="([^"]+)" value="([^"]*)"', again.group(0))
    }
    cashed = await aurora_site.post("/account/bets/cash-out", fresh)
    settled = await aurora_site.get("/account/bets?status=settled")

    assert cashed.status_code == 200
    assert "Cashed out: €4.75." in cashed.text
    assert sum((await wallets(db, player_id)).values()) == 94_75
    assert "Status: cashed out" in settled.text


async def test_a_changed_price_reaches_the_page_over_server_sent_events(
    aurora_site: SiteClient, db: Database
) -> None:
    market = await add_market(db, {"home": "2.50", "away": "1.50"})
    await aurora_site.get("/sports")
    event = gid("SportsbookEvent", market.event_id)
    outcome = gid("Outcome", market.outcomes["home"])
    text = await odds_stream_after(
        aurora_site, event, lambda: publish_odds(db, market, "home", "3.00")
    )

    # One `odds` message swaps the price's holder and its market's status, out of band.
    assert "event: odds" in text
    assert f'<div id="odds-{dom_id(outcome)}" hx-swap-oob="innerHTML">' in text
    assert f'id="market-{dom_id(gid("Market", market.market_id))}"' in text
    assert "3.00" in text
    assert "↑" in text and "odds up" in text
    # The button adds the new price to the slip.
    assert re.search(rf'name="pick" value="{re.escape(outcome)}\|3(\.0*)?\|home"', text)


async def test_changed_odds_refuse_the_bet_and_update_the_slip(
    aurora_site: SiteClient, db: Database
) -> None:
    player_id = await _bettor(aurora_site, db)
    market = await add_market(db, {"home": "2.50", "away": "1.50"})
    await aurora_site.get("/sports")
    await aurora_site.post("/sports/slip", _add_form(market, "home", "2.50"), headers=HTMX)
    await set_odds(db, market.outcomes["home"], "2.20")

    refused = await aurora_site.post(
        "/sports/slip", {"action": "place", "stake": "10", "policy": "NONE"}, headers=HTMX
    )
    placed = await aurora_site.post(
        "/sports/slip", {"action": "place", "stake": "10", "policy": "NONE"}, headers=HTMX
    )

    assert "The odds changed. Check the new odds and place your bet again." in refused.text
    assert '<strong class="slip-odds">2.20</strong>' in refused.text
    assert "Bet placed." in placed.text
    assert "Stake €10.00, potential return €22.00." in placed.text
    assert sum((await wallets(db, player_id)).values()) == 90_00


async def test_a_long_page_is_sent_in_parts_and_arrives_whole(
    aurora_site: SiteClient, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    markets = [await add_market(db, {"home": "2.50", "away": "2.80"}) for _ in range(20)]
    # A first part smaller than this page (whole pages go up to 64 KB, more than 20 events
    # of two outcomes make): the page goes in several parts.
    monkeypatch.setattr(site_module, "FIRST_PART_CHARS", 32768)
    monkeypatch.setattr(site_module, "PART_CHARS", 8192)

    page = await aurora_site.get("/sports?shown=20")
    short = await aurora_site.get("/login")

    # Streamed as it renders: no length up front, chunked, compressed across its parts
    # (the stylesheet precompressed); and nothing lost on the way.
    assert "content-length" not in page.headers
    assert page.headers["transfer-encoding"] == "chunked"
    assert page.headers["content-encoding"] == "gzip"
    assert len(page.text) > 32768 + 8192
    assert page.text.rstrip().endswith("</html>")
    last = gid("Outcome", markets[-1].outcomes["away"])
    assert f'data-outcome="{last}"' in page.text
    assert page.headers["content-security-policy"].startswith("default-src")
    # A short page goes out whole, its length known (compressed, as the browser asked).
    assert short.headers["content-encoding"] == "gzip"
    assert int(short.headers["content-length"]) < len(short.content)
    assert short.text.rstrip().endswith("</html>")


async def test_live_events_show_score_and_clock_in_play_first_and_alone_on_request(
    aurora_site: SiteClient, db: Database
) -> None:
    live = await add_market(db, {"home": "1.40", "away": "6.00"}, event_status="live")
    later = await add_market(db, {"home": "2.50", "away": "1.50"})
    async with db.transaction() as uow:
        event = await uow.session.get_one(Event, live.event_id)
        event.score = {"home": 2, "away": 1}
        event.clock = {"period": "2H", "minute": 67}
    live_id, later_id = (gid("SportsbookEvent", m.event_id) for m in (live, later))

    page = (await aurora_site.get("/sports")).text
    in_play = (await aurora_site.get("/sports?status=live")).text
    event_page = (await aurora_site.get(f"/sports/event/{live_id}")).text

    # In play first, under its heading, with the score and the minute; then the rest.
    order = [page.index(s) for s in ("In play", f'data-event="{live_id}"', "Upcoming")]
    assert order == sorted(order) and page.index(f'data-event="{later_id}"') > order[-1]
    for text in (page, event_page):
        line = text[text.index(f'data-live="{live_id}"') :]
        line = line[: line.index("</span></p>")]
        assert f'id="live-{dom_id(live_id)}"' in line
        assert (
            '<span class="score-home">2</span>\N{EN DASH}<span class="score-away">1</span>' in line
        )
        assert "67\N{PRIME} (2H)" in line
    # The scheduled event has its live line (empty until it starts) to be swapped into.
    assert f'data-live="{later_id}"' in page and "score-home" not in page.split(later_id)[-1]
    assert f'data-event="{live_id}"' in in_play and f'data-event="{later_id}"' not in in_play
    assert 'href="/sports?status=live" aria-current="page"' in in_play
    empty = await aurora_site.get(f"/sports?status=live&sport=none-{uuid.uuid4().hex[:4]}")
    assert "Nothing is in play right now." in empty.text


async def test_a_score_and_a_suspension_reach_the_page_over_server_sent_events(
    aurora_site: SiteClient, db: Database
) -> None:
    """eventUpdated (a score, a clock, a market suspended by a trader: no odds change) is
    sent as the event's live line and the market's status label and disabled buttons."""
    market = await add_market(db, {"home": "2.50", "away": "1.50"}, event_status="live")
    event = gid("SportsbookEvent", market.event_id)
    received: list[str] = []

    async def read() -> None:
        async with aurora_site.client.stream(
            "GET", f"/sports/odds/stream?events={event}", headers=aurora_site._cookie_header()
        ) as response:
            async for line in response.aiter_lines():
                received.append(line)
                # Up to the end of the `live` message (line, status and buttons).
                if not line and any(r.startswith("event: live") for r in received):
                    return

    reader = asyncio.ensure_future(read())
    await asyncio.sleep(1.0)
    async with db.transaction() as uow:
        row = await uow.session.get_one(Event, market.event_id)
        row.score, row.clock = {"home": 1, "away": 0}, {"period": "1H", "minute": 9}
        (await uow.session.get_one(Market, market.market_id)).status = "suspended"
        suspended = [{"market_id": market.market_id, "status": "suspended"}]
        update = EventUpdated(
            event_id=market.event_id, status="live", score=row.score, markets=suspended
        )
        await emit(uow, update, brand=None)
    await asyncio.wait_for(reader, timeout=20)
    text = "\n".join(received)
    check_sse_fragments(text)

    line = text[text.index(f'<div id="live-{dom_id(event)}" hx-swap-oob="innerHTML">') :]
    assert '<span class="score-home">1</span>\N{EN DASH}<span class="score-away">0</span>' in line
    assert "9\N{PRIME} (1H)" in line
    assert f'<div id="market-{dom_id(gid("Market", market.market_id))}"' in text
    assert "Suspended: no bets for now" in text
    home = gid("Outcome", market.outcomes["home"])
    assert re.search(rf'data-outcome="{re.escape(home)}" disabled>', text)


async def test_an_events_start_reads_as_date_and_minutes_not_seconds(
    aurora_site: SiteClient, db: Database
) -> None:
    market = await add_market(db, {"home": "2.50", "draw": "3.20", "away": "2.80"})
    async with db.uow() as uow:
        starts = await uow.session.scalar(
            select(Event.starts_at).where(Event.id == market.event_id)
        )
    assert starts is not None

    page = await aurora_site.get("/sports")

    with_seconds = format_datetime(starts, "medium", locale="en")
    written = (
        format_date(starts, "medium", locale="en")
        + ", "
        + format_time(starts, "short", locale="en")
    )
    assert written in page.text
    assert with_seconds not in page.text


async def test_the_list_shows_each_events_main_market_and_a_races_favourites_and_links_the_rest(
    aurora_site: SiteClient, db: Database
) -> None:
    match = await add_market(db, {"home": "2.50", "draw": "3.20", "away": "2.80"})
    total = await add_market(
        db, {"over": "1.90", "under": "1.90"}, market_type="total", event_id=match.event_id
    )
    runners = {f"r{n}": price for n, price in enumerate(
        ("9.00", "3.50", "12.00", "2.20", "6.00", "4.00"), start=1
    )}  # fmt: skip
    race = await add_market(db, runners, market_type="race_winner")
    match_id, race_id = (gid("SportsbookEvent", m.event_id) for m in (match, race))

    page = (await aurora_site.get("/sports")).text
    event_page = (await aurora_site.get(f"/sports/event/{match_id}")).text
    race_page = (await aurora_site.get(f"/sports/event/{race_id}")).text

    def shown(market: BookMarket, text: str) -> list[str]:
        return [key for key, outcome in market.outcomes.items()
                if f'data-outcome="{gid("Outcome", outcome)}"' in text]  # fmt: skip

    assert shown(match, page) == ["home", "draw", "away"]
    assert shown(total, page) == []
    assert (
        f'<a href="/sports/event/{quote(match_id)}">+1 market<span class="visually-hidden">: '
        in page
    )
    assert shown(total, event_page) == ["over", "under"]
    # The three shortest prices, in the card's order; the card has every runner.
    assert shown(race, page) == ["r2", "r4", "r6"]
    assert f'<a href="/sports/event/{quote(race_id)}">+3 runners<' in page
    assert shown(race, race_page) == list(runners)


async def test_the_first_screen_holds_ten_events_in_play_first_and_the_rest_on_request(
    aurora_site: SiteClient, db: Database
) -> None:
    scheduled = [await add_market(db, {"home": "2.50", "away": "1.50"}) for _ in range(11)]
    live = await add_market(db, {"home": "1.40", "away": "6.00"}, event_status="live")
    ids = [gid("SportsbookEvent", m.event_id) for m in (live, *scheduled)]

    first = (await aurora_site.get("/sports")).text
    more = (await aurora_site.get("/sports?shown=20")).text
    # What "Show more events" asks for with htmx: the longer list alone, and its address.
    partial = await aurora_site.get("/sports/events?shown=20", headers=HTMX)
    plain = await aurora_site.get("/sports/events?shown=20")
    aurora_site.cookies[LOCALE_COOKIE] = "de"
    german = await aurora_site.get("/sports")

    on_first = [event for event in ids if f'data-event="{event}"' in first]
    # The live event (the last added) leads; the next nine to start follow.
    assert on_first == ids[:10]
    assert '<a class="button button-secondary" href="/sports?shown=20"' in first
    assert ">Show 2 more events</a>" in first
    # The page's stream follows what the page shows, no more.
    stream = re.search(r'sse-connect="/sports/odds/stream\?events=([^"&]+)&amp;list=1"', first)
    assert stream is not None and stream.group(1).split(",") == ids[:10]
    assert 'hx-get="/sports/events?shown=20" hx-target="closest .sports-events"' in first
    assert [event for event in ids if f'data-event="{event}"' in more] == ids
    assert "more event" not in more
    assert partial.text.startswith('<div class="sports-events" hx-ext="sse"')
    assert [event for event in ids if f'data-event="{event}"' in partial.text] == ids
    assert partial.headers["hx-replace-url"] == "/sports?shown=20"
    assert (plain.status_code, plain.headers["location"]) == (303, "/sports?shown=20")
    assert "2 weitere Ereignisse zeigen" in german.text


async def test_the_lists_stream_sends_only_the_prices_its_cards_show(
    aurora_site: SiteClient, db: Database
) -> None:
    match = await add_market(db, {"home": "2.50", "away": "1.50"})
    total = await add_market(
        db, {"over": "1.90", "under": "1.90"}, market_type="total", event_id=match.event_id
    )
    event = gid("SportsbookEvent", match.event_id)

    async def change() -> None:
        await publish_odds(db, total, "over", "2.05")
        await publish_odds(db, match, "home", "3.00")

    text = await odds_stream_after(aurora_site, event, change, listing=True)

    assert f'id="odds-{dom_id(gid("Outcome", match.outcomes["home"]))}"' in text
    assert gid("Outcome", total.outcomes["over"]) not in text
    assert dom_id(gid("Market", total.market_id)) not in text
