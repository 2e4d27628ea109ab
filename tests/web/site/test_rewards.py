"""The account's rewards page: free spins claimed on the promotions page show the rounds
left, the game they open and their expiry; a free bet its stake, minimum odds, expiry and
state; loyalty its points, what can be redeemed now, the tier and the way to the next;
points earned on a bet wait out the redemption hold, then redeem for cash once per form;
the redeem form refuses bad input in words, and the page has no English left in German.
The page is linked from the account navigation and the bonuses page."""

from __future__ import annotations

import html
import re
from dataclasses import replace
from decimal import Decimal

from sqlalchemy import select

from domain.accounts.models import Player
from domain.bonuses import loyalty
from domain.bonuses.demo import demo_programme, seed_demo_offers
from domain.brands.service import BrandRegistry
from domain.casino.catalog import seed_demo_catalog
from domain.kernel.db import Database
from domain.sportsbook.models import BetType
from domain.sportsbook.placement import BetSlip, Selection
from tests.domain.sportsbook.support import BRAND, add_market, fund, place
from tests.schema.wallets.support import staff_principal
from tests.support import STRONG_PASSWORD
from tests.web.site.support import SiteClient, register_and_sign_in
from tests.web.site.translation_check import english_left, normalise

_KIND_FORM = re.compile(
    r'name="offer_id" value="([^"]+)">\s*<input type="hidden" name="kind" value="(FREE_[A-Z]+)">'
)
_KEY = re.compile(r'name="idempotency_key" value="([^"]+)"')


def _text(page: str) -> str:
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page)))


async def _claim_both(db: Database, registry: BrandRegistry, site: SiteClient, email: str) -> None:
    async with db.transaction() as uow:
        for brand in registry.by_slug.values():
            await seed_demo_offers(uow, brand)
    await register_and_sign_in(site, email=email, password=STRONG_PASSWORD, country="MT")
    page = await site.get("/promotions")
    for offer, kind in _KIND_FORM.findall(page.text):
        claimed = await site.post("/promotions/claim", {"offer_id": offer, "kind": kind})
        assert claimed.status_code == 303


async def test_the_rewards_page_shows_free_spins_free_bets_and_loyalty(
    db: Database, registry: BrandRegistry, aurora_site: SiteClient
) -> None:
    await _claim_both(db, registry, aurora_site, "rewards@example.com")
    async with db.transaction() as uow:
        await seed_demo_catalog(uow, ["aurora"])

    page = await aurora_site.get("/account/rewards")
    bonuses = await aurora_site.get("/account/bonuses")
    text = _text(page.text)

    assert page.status_code == 200
    assert 'href="/account/rewards"' in bonuses.text
    assert "10 free spins left of 10 · €0.20 a spin" in text
    assert 'href="/casino/originals-slot"' in page.text
    assert "Play them on: Originals Slot Use them by" in text
    assert "Use them by " in text
    assert "Free bet of €5.00 · active" in text
    assert "Minimum odds: 1.50" in text
    assert "Use it by " in text
    assert "Points 0 Redeemable now 0 Tier Bronze" in text
    assert "500 more points to reach Silver (points earned over the last 90 days count)" in text
    assert "100 points buy €1.00." in text
    # Nothing to redeem yet: no form.
    assert 'action="/account/rewards/redeem"' not in page.text


async def test_the_redeem_form_refuses_in_words_and_changes_nothing(
    db: Database, registry: BrandRegistry, aurora_site: SiteClient
) -> None:
    await _claim_both(db, registry, aurora_site, "redeem@example.com")
    page = await aurora_site.get("/account/rewards")
    key = _KEY.search((await aurora_site.get("/account/deposit")).text)
    assert key is not None

    bad = await aurora_site.post(
        "/account/rewards/redeem", {"points": "12.5", "idempotency_key": key.group(1)}
    )
    too_many = await aurora_site.post(
        "/account/rewards/redeem", {"points": "100", "idempotency_key": key.group(1)}
    )
    odd = await aurora_site.post(
        "/account/rewards/redeem", {"points": "150", "idempotency_key": key.group(1) + "x"}
    )
    after = await aurora_site.get("/account/rewards")

    assert page.status_code == 200
    assert bad.status_code == 400
    assert "Enter a whole number of points above zero." in _text(bad.text)
    assert too_many.status_code == 400
    assert "You do not have that many points to redeem now." in _text(too_many.text)
    assert odd.status_code == 400
    assert "Redeem points in the steps shown." in _text(odd.text)
    assert "Points 0 Redeemable now 0" in _text(after.text)


async def test_the_rewards_page_in_german_has_no_english_left(
    db: Database, registry: BrandRegistry, aurora_site: SiteClient
) -> None:
    await aurora_site.get("/language/de")
    await _claim_both(db, registry, aurora_site, "belohnung@example.com")

    german = await aurora_site.get("/account/rewards")

    assert english_left(german.text, "de") == []
    text = normalise(_text(german.text))
    assert "Noch 10 Freispiele von 10 · 0,20 € pro Dreh" in text
    assert "Gratiswette über 5,00 € · aktiv" in text
    assert "Mindestquote: 1.50" in text  # odds are written as the site writes them
    assert "Punkte 0 Jetzt einlösbar 0 Stufe Bronze" in text
    assert "Noch 500 Punkte bis Silver (es zählen die Punkte der letzten 90 Tage)" in text
    assert "100 Punkte ergeben 1,00 €." in text


async def test_points_earned_on_a_bet_are_redeemed_for_cash_once_per_form(
    db: Database, registry: BrandRegistry, aurora_site: SiteClient
) -> None:
    await _claim_both(db, registry, aurora_site, "points@example.com")
    async with db.uow() as uow:
        player = await uow.session.scalar(
            select(Player.id).where(Player.email == "points@example.com")
        )
    assert player is not None
    await fund(db, player, 100_00)
    market = await add_market(db, {"home": "2.00", "away": "2.00"})
    # EUR 50.00 on sports at 2 points per 1.00: 100 points.
    slip = BetSlip(
        selections=(Selection(market.outcomes["home"], Decimal("2.00")),),
        stake_minor=50_00,
        bet_type=BetType.SINGLE,
        idempotency_key="points-bet",
    )
    await place(db, registry, player, slip)
    await loyalty.accrue(db)
    held = await aurora_site.get("/account/rewards")
    async with db.transaction() as uow:  # CRM lifts the redemption hold
        programme = replace(demo_programme(registry.get(BRAND)), redeem_hold_days=0)
        await loyalty.set_programme(uow, staff_principal("crm"), BRAND, programme)

    before = await aurora_site.get("/account/rewards")
    key = _KEY.search(before.text)
    assert key is not None
    form = {"points": "100", "idempotency_key": key.group(1)}
    redeemed = await aurora_site.post("/account/rewards/redeem", form)
    replayed = await aurora_site.post("/account/rewards/redeem", form)
    balances = await aurora_site.get("/account")

    assert "Points 100 Redeemable now 0 Tier Bronze" in _text(held.text)
    assert "Points can be redeemed 7 days after the stake that earned them." in _text(held.text)
    assert 'action="/account/rewards/redeem"' not in held.text
    assert "Points 100 Redeemable now 100 Tier Bronze" in _text(before.text)
    assert 'action="/account/rewards/redeem"' in before.text
    assert redeemed.status_code == 200
    assert "€1.00 was added to your balance." in _text(redeemed.text)
    assert "Points 0 Redeemable now 0" in _text(redeemed.text)
    # The same form sent again answers from what was recorded: no second payment.
    assert replayed.status_code == 200
    assert "Points 0 Redeemable now 0" in _text(replayed.text)
    assert "€51.00" in _text(balances.text)
