"""Bonuses on the site: the promotions page lists the brand's offers with their terms in
plain words; a deposit with the offer's code grants the bonus when the test PSP confirms;
the account shows its progress, which moves over server-sent events when a signed casino
callback stakes; forfeiting says what is lost and leaves the cash alone; a bad code is a
clear error and creates no payment."""

from __future__ import annotations

import asyncio
import html
import re

from sqlalchemy import func, select, text

from domain.accounts.models import Player
from domain.bonuses import offers
from domain.bonuses.demo import seed_demo_offers
from domain.bonuses.models import OfferKind
from domain.bonuses.offers import OfferDraft
from domain.bonuses.terms import Eligibility, Terms
from domain.brands.service import BrandRegistry
from domain.kernel.db import Database
from domain.payments.models import Payment
from tests.domain.bonuses.test_jurisdiction_rules import CRM
from tests.support import STRONG_PASSWORD
from tests.web.bonuses.support import SLOT, sessions
from tests.web.site.support import SiteClient, check_sse_fragments, register_and_sign_in
from tests.web.site.translation_check import english_left, normalise

_KEY = re.compile(r'name="idempotency_key" value="([^"]+)"')
_CHECKOUT = re.compile(r'href="(/test-psp/checkout/[^"]+)"')
_GRANT = re.compile(r'name="grant_id" value="([^"]+)"')
_OFFER = re.compile(r'name="offer_id" value="([^"]+)"')


async def _seed(db: Database, registry: BrandRegistry) -> None:
    async with db.transaction() as uow:
        for brand in registry.by_slug.values():
            await seed_demo_offers(uow, brand)


async def _deposit(site: SiteClient, amount: str, code: str) -> str:
    form_page = await site.get(f"/account/deposit?code={code}")
    key = _KEY.search(form_page.text)
    assert key is not None
    return (
        await site.post(
            "/account/deposit",
            {"amount": amount, "idempotency_key": key.group(1), "bonus_code": code},
            headers={"hx-request": "true"},
        )
    ).text


async def _pay(site: SiteClient, outcome: str) -> None:
    found = _CHECKOUT.search(outcome)
    assert found is not None, outcome
    checkout = html.unescape(found.group(1))
    reference, _, query = checkout.removeprefix("/test-psp/checkout/").partition("?")
    paid = await site.post(f"/test-psp/checkout/{reference}/pay?{query}", csrf=False)
    assert "Payment received" in paid.text


async def _next_event(lines: object) -> str:
    event = []
    async for line in lines:  # type: ignore[attr-defined]
        if line == "" and event:
            check_sse_fragments("\n".join(event))
            return "\n".join(event)
        if line and not line.startswith(":"):
            event.append(line)
    raise AssertionError("stream ended")


def _text(page: str) -> str:
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page)))


async def test_the_promotions_page_lists_the_brands_offers_in_plain_words(
    db: Database, registry: BrandRegistry, aurora_site: SiteClient
) -> None:
    await _seed(db, registry)

    page = await aurora_site.get("/promotions")

    text = _text(page.text)
    assert page.status_code == 200
    assert "Welcome bonus" in text and "Weekly cashback" in text
    assert "Bonus: 100 % of your deposit, up to €100.00" in text
    assert "Wagering: bet 35 times the bonus before it becomes cash" in text
    assert "Maximum bet while wagering: €5.00" in text
    assert "Time to complete the wagering: 30 days" in text
    assert "At most 5 times the bonus becomes cash; the rest is forfeited" in text
    assert "What counts: Casino 100 %, Sports betting 0 %, Live casino 0 %, Table games 10 %" in (
        text
    )
    assert "Enter the code WELCOME when you deposit." in text
    assert "10 % of your net losses each week, paid as cash" in text
    assert 'href="/account/deposit?code=WELCOME"' in page.text


async def test_a_bad_bonus_code_at_deposit_is_refused_and_nothing_is_created(
    db: Database, registry: BrandRegistry, aurora_site: SiteClient
) -> None:
    await _seed(db, registry)
    await register_and_sign_in(
        aurora_site, email="bad@example.com", password=STRONG_PASSWORD, country="MT"
    )

    outcome = await _deposit(aurora_site, "50.00", "NOPE")

    assert "There is no such bonus code." in outcome
    assert "test-psp/checkout" not in outcome
    async with db.transaction() as uow:
        assert await uow.session.scalar(select(func.count()).select_from(Payment)) == 0


async def test_a_deposit_with_a_code_grants_a_bonus_whose_progress_moves_live_until_forfeit(
    db: Database, registry: BrandRegistry, server: str, aurora_site: SiteClient
) -> None:
    await _seed(db, registry)
    await register_and_sign_in(
        aurora_site, email="ana@example.com", password=STRONG_PASSWORD, country="MT"
    )
    outcome = await _deposit(aurora_site, "50.00", "WELCOME")
    assert "Bonus code WELCOME accepted" in outcome
    await _pay(aurora_site, outcome)
    async with db.transaction() as uow:
        player_id = await uow.session.scalar(
            select(Player.id).where(Player.email == "ana@example.com")
        )
    assert player_id is not None
    slot = (await sessions(server, db, registry, player_id))[SLOT]

    bonuses = await aurora_site.get("/account/bonuses")
    overview = await aurora_site.get("/account")
    headers = {**aurora_site._cookie_header(), "accept": "text/event-stream"}
    async with aurora_site.client.stream(
        "GET", "/account/bonuses/stream", headers=headers
    ) as stream:
        lines = stream.aiter_lines()
        first = await asyncio.wait_for(_next_event(lines), 10)
        staked = await slot.bet("b-1", 400, "r-1", round_closed=True)
        second = await asyncio.wait_for(_next_event(lines), 10)
        while "Wagered €4.00" not in _text(second):  # the resync read may come first
            second = await asyncio.wait_for(_next_event(lines), 10)

    text = _text(bonuses.text)
    assert "Bonus of €50.00" in text
    assert "Wagered €0.00 of €1,750.00" in text
    assert "Terms as granted" in text and "Maximum bet while wagering: €5.00" in text
    assert (
        "you lose €50.00 of bonus money and your wagering progress of €0.00. Your cash balance,"
        " your deposit and its winnings stay." in text
    )
    assert "Bonus of €50.00" in _text(overview.text)
    assert staked.status == "RS_OK"
    assert first.startswith("event: bonus-") and 'value="0"' in first
    assert "Wagered €4.00 of €1,750.00" in _text(second) and 'value="22"' in second
    assert "€4.00 staked at 100 % counts €4.00" in _text(second)

    grant = _GRANT.search(bonuses.text)
    assert grant is not None
    forfeited = await aurora_site.post("/account/bonuses/forfeit", {"grant_id": grant.group(1)})
    after = await aurora_site.get(forfeited.headers["location"])
    balances = await aurora_site.get("/account")

    assert forfeited.status_code == 303
    assert "The bonus was forfeited." in after.text
    assert "You have no active bonus." in after.text
    assert "Bonus of €50.00 · forfeited" in _text(after.text)
    assert 'data-wallet="BONUS">€0.00' in balances.text
    # The stake came out of cash first; cash keeps the rest of the deposit.
    assert 'data-wallet="CASH">€46.00' in balances.text


async def test_a_withdrawal_while_wagering_warns_and_forfeits_only_once_confirmed(
    db: Database, registry: BrandRegistry, aurora_site: SiteClient
) -> None:
    await _seed(db, registry)
    await register_and_sign_in(
        aurora_site, email="wd@example.com", password=STRONG_PASSWORD, country="MT"
    )
    await _pay(aurora_site, await _deposit(aurora_site, "50.00", "WELCOME"))

    form = await aurora_site.get("/account/withdraw")
    key = _KEY.search(form.text)
    assert key is not None
    unconfirmed = await aurora_site.post(
        "/account/withdraw", {"amount": "10", "idempotency_key": key.group(1)}
    )
    still = await aurora_site.get("/account/bonuses")
    confirmed = await aurora_site.post(
        "/account/withdraw",
        {"amount": "10", "idempotency_key": key.group(1), "forfeit_bonuses": "yes"},
    )
    after = await aurora_site.get("/account/bonuses")
    balances = await aurora_site.get("/account")

    assert (
        "You have an active bonus. Withdrawing now forfeits it: you lose €50.00 of bonus money"
        in _text(form.text)
    )
    assert 'name="forfeit_bonuses" value="yes" required' in form.text
    assert unconfirmed.status_code == 400
    assert "Withdrawing now forfeits your active bonus: tick the box to confirm." in (
        _text(unconfirmed.text)
    )
    assert "You have no active bonus." not in still.text
    assert "Withdrawal of €10.00 requested" in _text(confirmed.text)
    assert "Bonus of €50.00 · forfeited" in _text(after.text)
    assert 'data-wallet="BONUS">€0.00' in balances.text
    assert 'data-wallet="CASH">€40.00' in balances.text


async def test_an_opt_in_offer_is_claimed_from_the_promotions_page_once(
    db: Database, registry: BrandRegistry, aurora_site: SiteClient
) -> None:
    draft = OfferDraft(
        kind=OfferKind.SIGN_UP, name="Starter gift", code=None, currency="EUR",
        terms=Terms(bonus_minor=5_00, wagering_multiplier=10, max_bet_minor=2_00),
        eligibility=Eligibility(),
    )  # fmt: skip
    async with db.transaction() as uow:
        await offers.create_offer(uow, CRM, registry.get("aurora"), draft)
    await register_and_sign_in(
        aurora_site, email="gift@example.com", password=STRONG_PASSWORD, country="MT"
    )

    page = await aurora_site.get("/promotions")
    offer = _OFFER.search(page.text)
    assert offer is not None
    claimed = await aurora_site.post("/promotions/claim", {"offer_id": offer.group(1)})
    again = await aurora_site.post("/promotions/claim", {"offer_id": offer.group(1)})
    bonuses = await aurora_site.get("/account/bonuses")

    assert "Bonus: €5.00" in _text(page.text)
    assert "Wagering: bet 10 times the bonus before it becomes cash" in _text(page.text)
    assert claimed.status_code == 303 and claimed.headers["location"] == "/account/bonuses"
    assert again.status_code == 400
    assert "You have already claimed this bonus." in again.text
    assert "Bonus of €5.00" in _text(bonuses.text)
    assert "Wagered €0.00 of €50.00" in _text(bonuses.text)


async def test_the_bonuses_page_in_german_has_no_english_left(
    db: Database, registry: BrandRegistry, aurora_site: SiteClient
) -> None:
    await _seed(db, registry)
    await aurora_site.get("/language/de")
    await register_and_sign_in(
        aurora_site, email="de@example.com", password=STRONG_PASSWORD, country="DE"
    )
    await _pay(aurora_site, await _deposit(aurora_site, "50.00", "WELCOME"))

    pages = {
        path: (await aurora_site.get(path)).text
        for path in ("/account/bonuses", "/account", "/promotions", "/account/withdraw")
    }

    assert {path: english_left(body, "de") for path, body in pages.items()} == {
        path: [] for path in pages
    }
    bonuses = normalise(_text(pages["/account/bonuses"]))
    assert "Bonus über 50,00 €" in bonuses
    assert "0,00 € von 1.750,00 € umgesetzt" in bonuses
    assert "Umsatz: Setzen Sie das 35-Fache des Bonus, bevor er zu Echtgeld wird" in bonuses
    assert "Verbleibend: 30 Tage" in bonuses or "Verbleibend: 29 Tage" in bonuses


_KIND_FORM = re.compile(
    r'name="offer_id" value="([^"]+)">\s*<input type="hidden" name="kind" value="(FREE_[A-Z]+)">'
)


async def test_free_spins_and_a_free_bet_are_claimed_from_the_promotions_page(
    db: Database, registry: BrandRegistry, aurora_site: SiteClient
) -> None:
    await _seed(db, registry)
    await register_and_sign_in(
        aurora_site, email="spins@example.com", password=STRONG_PASSWORD, country="MT"
    )

    page = await aurora_site.get("/promotions")
    forms = {kind: offer for offer, kind in _KIND_FORM.findall(page.text)}
    answers = [
        await aurora_site.post("/promotions/claim", {"offer_id": offer, "kind": kind})
        for kind, offer in sorted(forms.items())
    ]
    again = await aurora_site.post(
        "/promotions/claim", {"offer_id": forms["FREE_SPINS"], "kind": "FREE_SPINS"}
    )
    # Named as a money bonus, a free-spins offer is refused: nothing is granted twice.
    wrong = await aurora_site.post("/promotions/claim", {"offer_id": forms["FREE_BET"]})

    assert sorted(forms) == ["FREE_BET", "FREE_SPINS"]
    assert [(answer.status_code, answer.headers["location"]) for answer in answers] == [
        (303, "/account/bonuses"),
        (303, "/account/bonuses"),
    ]
    assert (again.status_code, wrong.status_code) == (400, 400)
    async with db.uow() as uow:
        player_id = await uow.session.scalar(
            select(Player.id).where(Player.email == "spins@example.com")
        )
        held = await uow.session.execute(
            text(
                "SELECT 'spins', state, rounds FROM bonus_free_rounds WHERE player_id = :p"
                " UNION ALL SELECT 'bet', state, amount_minor FROM bonus_free_bets"
                " WHERE player_id = :p ORDER BY 1"
            ),
            {"p": player_id},
        )
        assert [tuple(row) for row in held] == [("bet", "active", 5_00), ("spins", "active", 10)]
