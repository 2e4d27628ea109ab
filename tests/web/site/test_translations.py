"""Every string a player sees is in the page's language, and amounts are written for its
locale: the catalogues hold every message the site marks, every refusal code and every code
a page labels has its words, and every page (signed out, then signed in with a balance, a
limit, a bet and refusals) of a German and a Swedish site shows nothing English.

What counts as English comes from the code (tests/web/site/translation_check.py), so a new
message, error code, transaction kind or enum value fails here until it is translated."""

from __future__ import annotations

import html
import re
import uuid

import pytest
from graphql import OperationDefinitionNode, build_schema, parse
from sqlalchemy import select, update

from domain.accounts.models import Player
from domain.bonuses.demo import seed_demo_offers
from domain.brands.service import BrandRegistry
from domain.casino.catalog import seed_demo_catalog
from domain.kernel.db import Database
from domain.sportsbook.models import Market, Outcome
from domain.wallets.models import HouseAccountKind, WalletKind
from domain.wallets.service import house_account_id, transfer, wallet_id
from tests.conftest import REPO_ROOT
from tests.domain.sportsbook.support import BookMarket, add_market
from tests.schema.sportsbook.support import gid
from tests.support import AURORA, NORTHSTAR, STRONG_PASSWORD
from tests.web.site.support import SiteClient, register_and_sign_in
from tests.web.site.translation_check import (
    _PLACEHOLDER,
    catalogue,
    english_left,
    ledger_kinds,
    normalise,
    schema_enum_values,
    site_messages,
)
from web.site import labels
from web.site.refusals import REFUSALS

LANGUAGES = ("de", "sv")
_ROUTE = re.compile(r'Route\("([^"]+)", [a-z_.]+, methods=(both|\["GET"\])')
# Routes that are no page: streams, the language switch (a redirect), htmx-only partials.
NOT_PAGES = {
    "/account/balance/stream",
    "/account/inbox/stream",
    "/support/stream",
    "/account/bonuses/stream",
    "/account/inbox/{message_id}/{action}",  # POST only: back to the inbox
    "/account/data.json",  # the player's data as a JSON download
    "/sports/odds/stream",
    "/manifest.webmanifest",  # JSON: the brand's name, colours and icon
    "/language/{code}",
    "/casino/games",
    "/sports/events",  # htmx's part of /sports (a plain GET goes to /sports)
}


def test_every_message_the_site_marks_is_translated_in_every_catalogue() -> None:
    problems = []
    for language in LANGUAGES:
        translations = catalogue(language)
        for message, where in site_messages().items():
            if isinstance(message, tuple):
                forms = [translations.ngettext(message[0], message[1], n) for n in (1, 2)]
                translated = all(form not in message for form in forms) or forms[0] != message[0]
                if not translated:
                    problems.append(f"{language}: {message!r} ({where})")
                continue
            text = translations.gettext(message)
            if text == message and message not in _SAME_IN(language):
                problems.append(f"{language}: {message!r} ({where})")
            elif set(_PLACEHOLDER.findall(text)) != set(_PLACEHOLDER.findall(message)):
                problems.append(f"{language}: placeholders differ in {message!r} ({where})")
    assert problems == []


def _SAME_IN(language: str) -> frozenset[str]:  # noqa: N802
    """Messages written the same in the language, with an entry of their own in its
    catalogue (checked: the entry exists, so the message was translated, not forgotten)."""
    path = REPO_ROOT / "themes/base/locale" / language / "LC_MESSAGES/messages.po"
    text = path.read_text(encoding="utf-8")
    same = re.findall(r'^msgid "(.+)"\nmsgstr "\1"$', text, flags=re.MULTILINE)
    return frozenset(same)


def _site_mutation_error_codes() -> dict[str, set[str]]:
    schema = build_schema((REPO_ROOT / "schema.graphql").read_text())
    assert schema.mutation_type is not None
    codes: dict[str, set[str]] = {}
    for path in sorted((REPO_ROOT / "web/site/documents").glob("*.graphql")):
        for definition in parse(path.read_text()).definitions:
            if not isinstance(definition, OperationDefinitionNode):
                continue
            if definition.operation.value != "mutation":
                continue
            for selection in definition.selection_set.selections:
                name = selection.name.value  # type: ignore[attr-defined]
                payload = schema.mutation_type.fields[name].type.of_type  # type: ignore[attr-defined]
                error = payload.fields["errors"].type.of_type.of_type.of_type
                enum = error.fields["code"].type.of_type
                for value in enum.values:
                    codes.setdefault(value, set()).add(name)
    return codes


def test_every_error_code_of_the_sites_mutations_has_a_message() -> None:
    codes = _site_mutation_error_codes()

    assert len(codes) > 40  # the reading works
    assert sorted(set(codes) - set(REFUSALS)) == []


def test_every_code_a_page_labels_has_words() -> None:
    enums = schema_enum_values("BetType", "BetStatus", "LegResult", "WalletKind")
    kinds = ledger_kinds()

    assert {"deposit", "withdrawal.request", "sportsbook.payout_reversal", "adjustment"} <= kinds
    assert sorted(kinds - set(labels.TRANSACTION_KINDS)) == []
    assert sorted(enums["BetType"] - set(labels.BET_TYPES)) == []
    assert sorted(enums["BetStatus"] - set(labels.BET_STATUSES)) == []
    assert sorted(enums["LegResult"] - set(labels.LEG_RESULTS)) == []
    assert sorted(enums["WalletKind"] - set(labels.WALLET_KINDS)) == []


def test_the_check_finds_english_in_a_german_page() -> None:
    """The checker itself: each way English reaches a page is found."""
    page = (
        "<main><p>Status: open</p><p>This is over your deposit limit: 0.00 EUR left.</p>"
        "<td>sportsbook.payout_reversal</td><h3>Match result</h3>"
        '<button aria-label="Remove">x</button><p>Spielergebnis · Unentschieden</p>'
        "<h2>Single · 2,00 €</h2><li>Home v Away · Match result: Draw</li></main>"
    )

    assert english_left(page, "de") == [
        "Status: open",
        "This is over your deposit limit: 0.00 EUR left.",
        "sportsbook.payout_reversal",
        "Match result",
        "Remove",
        "Single · 2,00 €",
        "Home v Away · Match result: Draw",
    ]


def _site_pages() -> set[str]:
    source = (REPO_ROOT / "web/site/__init__.py").read_text()
    found = {path for path, _ in _ROUTE.findall(source)}
    return {path for path in found if not path.startswith("/static/")} - NOT_PAGES


@pytest.fixture
async def catalogue_data(db: Database, registry: BrandRegistry) -> BookMarket:
    """A casino and a match whose market and draw carry the feed's generic English names."""
    async with db.transaction() as uow:
        await seed_demo_catalog(uow, ["aurora", "northstar", "kumo"])
        # The promotions page in words: a deposit match with every term, and a cashback.
        for brand in registry.by_slug.values():
            await seed_demo_offers(uow, brand)
    market = await add_market(db, {"home": "2.50", "draw": "3.20", "away": "2.80"})
    async with db.transaction() as uow:
        await uow.session.execute(
            update(Market).where(Market.id == market.market_id).values(name="Match result")
        )
        await uow.session.execute(
            update(Outcome).where(Outcome.id == market.outcomes["draw"]).values(name="Draw")
        )
    return market


async def _fund(
    db: Database, email: str, amount_minor: int, wallet: WalletKind = WalletKind.CASH
) -> None:
    """Credit the player's wallet in their brand and currency from the bonus pool."""
    async with db.transaction() as uow:
        player = await uow.session.scalar(select(Player).where(Player.email == email))
        assert player is not None
        brand, currency = player.brand, player.currency
        source = await house_account_id(uow, brand, HouseAccountKind.BONUS_POOL, currency)
        destination = await wallet_id(uow, brand, player.id, wallet, currency)
        await transfer(
            uow, brand=brand, kind="adjustment", source=source, destination=destination,
            amount_minor=amount_minor, scope=None, key=None,
        )  # fmt: skip


def _key(body: str) -> str:
    found = re.search(r'name="idempotency_key" value="([^"]+)"', body)
    assert found is not None
    return found.group(1)


async def _with_state(
    site: SiteClient, db: Database, market: BookMarket, email: str
) -> dict[str, str]:
    """A balance of 1,234.50 (after a bet of 2), a deposit limit of 100 and a refused
    deposit over it, a bet and a bet refused for changed odds; returns those answers."""
    await _fund(db, email, 1236_50)  # 1,234.50 once the bet of 2 is placed
    await site.post(
        "/responsible-gambling/limits",
        {"action": "set", "kind": "DEPOSIT", "period": "WEEK", "amount": "100"},
    )
    deposit_form = await site.get("/account/deposit")
    over = await site.post(
        "/account/deposit", {"amount": "150", "idempotency_key": _key(deposit_form.text)}
    )
    # As the page's price buttons send them: the market's and the draw's shown names.
    sports = await site.get("/sports")
    label = re.search(r'name="market" value="([^"]+)"', sports.text)
    draw = re.search(r'name="pick" value="([^"|]+\|3\.2\d*\|[^"]+)"', sports.text)
    assert label is not None and draw is not None
    await site.post(
        "/sports/slip",
        {
            "action": "add",
            "market": html.unescape(label.group(1)),
            "pick": html.unescape(draw.group(1)),
        },
    )
    await site.post("/sports/slip", {"action": "update", "stake": "2"})
    slip = await site.get("/sports/slip")
    placed = await site.post(
        "/sports/slip", {"action": "place", "stake": "2", "idempotency_key": _key(slip.text)}
    )
    assert placed.status_code == 200, placed.text
    stale = f"{gid('Outcome', market.outcomes['away'])}|2.60|away"
    await site.post(
        "/sports/slip",
        {"action": "add", "market": html.unescape(label.group(1)), "pick": stale},
    )
    slip = await site.get("/sports/slip")
    changed = await site.post(
        "/sports/slip",
        {
            "action": "place",
            "stake": "2",
            "idempotency_key": _key(slip.text),
            "selection": [f"{stale.rsplit('|', 1)[0]}"],
        },
    )
    return {"deposit": over.text, "placed": placed.text, "odds changed": changed.text}


def _paths(market: BookMarket) -> dict[str, str]:
    return {
        "/": "/",
        "/legal/{page}": "/legal/terms",
        "/responsible-gambling": "/responsible-gambling",
        "/responsible-gambling/self-exclusion": "/responsible-gambling/self-exclusion",
        "/responsible-gambling/limits": "/responsible-gambling/limits",
        "/responsible-gambling/time-out": "/responsible-gambling/time-out",
        "/responsible-gambling/reality-check": "/responsible-gambling/reality-check",
        "/register": "/register",
        "/login": "/login",
        "/login/two-factor": "/login/two-factor",
        # An answer this browser never asked for: the refusal page.
        "/login/connected/callback": "/login/connected/callback?state=not-mine&code=x",
        "/account": "/account",
        "/account/transactions": "/account/transactions",
        "/account/deposit": "/account/deposit",
        "/account/withdraw": "/account/withdraw",
        "/account/inbox": "/account/inbox",
        "/support": "/support",
        "/account/bonuses": "/account/bonuses",
        "/account/rewards": "/account/rewards",
        "/promotions": "/promotions",
        "/account/profile": "/account/profile",
        "/account/verification": "/account/verification",
        "/casino": "/casino",
        "/casino/{code}": "/casino/originals-dice?provider=stakehouse-originals",
        "/casino/{code}/rounds": "/casino/originals-dice/rounds?provider=stakehouse-originals",
        "/sports": "/sports",
        "/sports/event/{id}": f"/sports/event/{gid('SportsbookEvent', market.event_id)}",
        "/sports/slip": "/sports/slip",
        "/account/bets": "/account/bets",
        # Nobody's bet (the not-found page); the player's own is opened from the statement.
        "/account/bets/{id}": f"/account/bets/{gid('Bet', 999_999_999)}",
        "/forgot-password": "/forgot-password",
        "/reset-password": "/reset-password?token=not-a-token",
        "/verify-email": "/verify-email?token=not-a-token",
        "/account/marketing": "/account/marketing",
        "/unsubscribe": "/unsubscribe?token=not-a-token",
    }


# (brand host, language, country, 1,234.50 as the account page writes it)
CASES = [(AURORA, "de", "MT", "1.234,50 €"), (NORTHSTAR, "sv", "", "1 234,50 kr")]


@pytest.mark.parametrize("case", CASES, ids=["aurora-de", "northstar-sv"])
async def test_every_page_in_german_and_swedish_has_no_english_left(
    server: str, db: Database, catalogue_data: BookMarket, case: tuple[str, str, str, str]
) -> None:
    host, language, country, balance = case
    paths = _paths(catalogue_data)
    assert set(paths) == _site_pages()  # a new page is added here, or this fails
    site = SiteClient(server, host)
    await site.get(f"/language/{language}")
    english: dict[str, list[str]] = {}
    for path in paths.values():
        page = await site.get(path)
        english[f"signed out {path}"] = english_left(page.text, language)
    email = f"{language}-{uuid.uuid4().hex[:6]}@example.com"
    await register_and_sign_in(site, email=email, password=STRONG_PASSWORD, country=country)
    refusals = await _with_state(site, db, catalogue_data, email)
    for name, body in refusals.items():
        english[name] = english_left(body, language)
    shown: dict[str, str] = {}
    for path in [*paths.values(), "/account/bets?status=settled", "/legal/privacy"]:
        page = await site.get(path)
        shown[path] = normalise(page.text)
        english[f"signed in {path}"] = english_left(page.text, language)
    statement = (await site.get("/account/transactions")).text
    bet_page = re.search(r'href="(/account/bets/[^"]+)"', statement)
    assert bet_page is not None, "the stake's row links to its bet"
    english["signed in: a bet opened from the statement"] = english_left(
        (await site.get(bet_page.group(1))).text, language
    )
    await site.aclose()

    assert {where: texts for where, texts in english.items() if texts} == {}
    assert f'<html lang="{language}">' in shown["/account"]
    assert balance in shown["/account"]
    # The refusal names the amount left, written for the locale.
    left = "100,00 €" if language == "de" else "100,00 kr"
    assert left in normalise(refusals["deposit"])
    assert normalise(catalogue(language).gettext("The odds have changed.")) in normalise(
        refusals["odds changed"]
    )
    assert normalise(catalogue(language).gettext("Match result")) in shown["/account/bets"]
    everything = " ".join(shown.values())
    assert re.search(r"\d,\d{3}\.\d{2}", everything) is None  # no 1,234.50
    assert re.search(r"\d\.\d{2} %", everything) is None  # no 99.00 % (RTP)
    assert re.search(r"\d,\d{2} %", shown["/casino/originals-dice?provider=stakehouse-originals"])


async def test_loyalty_points_are_points_and_kinds_are_words(
    aurora_site: SiteClient, db: Database
) -> None:
    email = f"points-{uuid.uuid4().hex[:6]}@example.com"
    await register_and_sign_in(aurora_site, email=email, password=STRONG_PASSWORD, country="MT")
    await _fund(db, email, 1250_00, WalletKind.LOYALTY_POINTS)
    account = await aurora_site.get("/account")
    history = await aurora_site.get("/account/transactions")

    assert re.search(r'data-wallet="LOYALTY_POINTS">1,250 points<', account.text)
    assert "€12.50" not in account.text
    for kind, label in labels.TRANSACTION_KINDS.items():
        assert f'<option value="{kind}">{label}</option>' in history.text
    assert ">adjustment<" not in history.text
