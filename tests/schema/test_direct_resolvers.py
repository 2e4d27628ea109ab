"""The direct resolvers (schema.extensions.install_direct_resolvers) answer exactly what
strawberry's own resolvers answer: every document the site runs (web/site/documents/) is
executed against the schema with them and without them, on the same data, signed in as a
funded player with a bet, and the two answers (data and errors) must be equal.

A subscription document resolves a published value (as the socket's stream does, through
the schema's own subscription field) instead: HTTP refuses subscriptions.

A mutation changes what the next run sees, so each document runs four times: a warm-up,
strawberry's run, a second warm-up, the direct run. Whatever the mutation does (nothing
new after the first time: an idempotency replay, a setting already set, a refusal; or a
toggle), both compared runs start from the same state."""

from __future__ import annotations

import inspect
import json
import uuid
from decimal import Decimal
from typing import Any

import pytest
from graphql import execute, parse
from sqlalchemy import select
from strawberry import relay
from strawberry.relay import from_base64, to_base64

from domain.bonuses.models import BonusGrant as BonusGrantRow
from domain.brands.service import BrandRegistry
from domain.kernel import clock
from domain.kernel.db import Database
from domain.kernel.settings import get_settings
from domain.messaging import recovery as recovery_mail
from domain.sportsbook import catalog
from domain.sportsbook.models import Event, MarketStatus, OutcomeStatus
from schema import build_schema
from schema.bonuses.types import BonusGrant
from schema.extensions import graphql_core_schema
from schema.messaging.chat import SupportConversationUpdate
from schema.messaging.subscriptions import InboxChange
from schema.sportsbook.subscriptions import OddsUpdate, OutcomeOdds
from schema.sportsbook.types import SportsbookEvent
from schema.wallets.types import BalanceChange
from tests.schema.sportsbook.support import add_market
from tests.schema.wallets.support import fund
from tests.support import LOGIN, request_context
from web.graphql import GraphQLContext
from web.seed import DEMO_PASSWORD, DEMO_USERNAME, seed
from web.site.client import load_documents

DOCUMENTS = load_documents()
BRAND = "aurora"
# Run last, in this order: each takes the player's powers away from the documents after it.
LAST = ("Logout", "TakeTimeOut", "SelfExclude")
LISTS = frozenset({"SportsEvents", "MyBets", "CasinoLobby", "CasinoGames", "Transactions"})
# Documents that sign the player out: each of their runs starts from a new session.
SIGNS_OUT = frozenset({"Logout"})


def _odds_update() -> OddsUpdate:
    outcome = OutcomeOdds(
        outcome=relay.GlobalID("Outcome", "7"), market=relay.GlobalID("Market", "3"),
        odds=Decimal("2.75"), status=OutcomeStatus.ACTIVE, market_status=MarketStatus.ACTIVE,
    )  # fmt: skip
    return OddsUpdate(event=relay.GlobalID("SportsEvent", "1"), outcomes=[outcome])


def _balance_change() -> BalanceChange | None:
    change = {"player_id": "p", "wallet": "cash", "balance_minor": 1250, "delta_minor": -250,
              "currency": "EUR"}  # fmt: skip
    return BalanceChange.from_event({"transaction_id": "t-1", "kind": "stake",
                                     "changes": [change]}, "p")  # fmt: skip


async def _event_updated(db: Database) -> SportsbookEvent:
    """The event as `eventsUpdated` yields it: the world's event, read as the stream does."""
    async with db.uow() as uow:
        event_id = await uow.session.scalar(select(Event.id).order_by(Event.id).limit(1))
        assert event_id is not None
        found = await catalog.events_by_id(uow, [event_id])
    return SportsbookEvent.from_model(found[event_id])


async def _bonus_updated(db: Database) -> list[BonusGrant]:
    """The grants as `bonusUpdated` yields them (the brand's, read as the stream does)."""
    async with db.uow() as uow:
        found = await uow.session.scalars(
            select(BonusGrantRow).where(BonusGrantRow.brand == BRAND).order_by(BonusGrantRow.id)
        )
        return [BonusGrant.of(grant) for grant in found]


# Subscription documents: the value a stream yields, resolved through the document.
PUBLISHED: dict[str, Any] = {
    "OddsChanged": _odds_update,
    "BalanceChanged": _balance_change,
    "InboxChanged": lambda: InboxChange(unread_count=3),
    "SupportConversationChanged": lambda: SupportConversationUpdate.from_payload(
        {
            "conversation_id": "c-1",
            "status": "taken",
            "message_id": "m-1",
            "message_body": "Let me check.",
            "from_support": True,
            "sent_at": "2026-12-07T18:00:00+00:00",
        }
    ),
}
# Those whose value is read from the database, as their stream reads it.
PUBLISHED_FROM_DB = {"EventsUpdated": _event_updated, "BonusUpdated": _bonus_updated}

WITH_DIRECT = build_schema(get_settings())
WITHOUT_DIRECT = build_schema(get_settings(), direct_resolvers=False)


def _context(db: Database, registry: BrandRegistry, token: str | None) -> GraphQLContext:
    return request_context(db, registry, BRAND, token)


async def _run(
    schema: Any, context: GraphQLContext, operation: str, variables: dict[str, Any]
) -> dict[str, Any]:
    if operation in PUBLISHED or operation in PUBLISHED_FROM_DB:
        root = (
            PUBLISHED[operation]()
            if operation in PUBLISHED
            else await PUBLISHED_FROM_DB[operation](context.db)
        )
        result = execute(
            graphql_core_schema(schema),
            parse(DOCUMENTS[operation]),
            root_value=root,
            context_value=context,
            variable_values=variables,
            operation_name=operation,
        )
        if inspect.isawaitable(result):
            result = await result
    else:
        result = await schema.execute(
            DOCUMENTS[operation],
            variable_values=variables,
            context_value=context,
            operation_name=operation,
        )
    answer = {"data": result.data, "errors": [error.formatted for error in result.errors or []]}
    return json.loads(json.dumps(answer, default=str))


async def _sign_in(db: Database, registry: BrandRegistry) -> str:
    result = await WITH_DIRECT.execute(
        LOGIN,
        variable_values={"input": {"identifier": DEMO_USERNAME, "password": DEMO_PASSWORD}},
        context_value=_context(db, registry, None),
    )
    assert result.errors is None, result.errors
    token: str = result.data["login"]["token"]  # type: ignore[index]
    return token


def _variables(world: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Plausible variables for every document that takes any: real ids from the world."""
    money = {"amount": "10.00", "currency": world["currency"]}
    limit = {"kind": "DEPOSIT", "period": "DAY"}
    lobby = {"first": 5, "favouritesOnly": False}
    return {
        "CashOut": {
            "input": {"bet": world["bet"], "expectedValue": money, "idempotencyKey": "cash-1"}
        },
        "CasinoGame": {"code": world["game_code"], "signedIn": True},
        "CasinoGames": lobby,
        "CasinoLobby": {**lobby, "signedIn": True},
        "ClaimBonus": {"input": {"code": "WELCOME"}},
        "ClaimFreeSpins": {"input": {"offerId": to_base64("BonusOffer", uuid.UUID(int=1))}},
        "ClaimFreeBet": {"input": {"offerId": to_base64("BonusOffer", uuid.UUID(int=1))}},
        "ForfeitBonus": {"input": {"grantId": to_base64("BonusGrant", uuid.UUID(int=1))}},
        "RedeemLoyaltyPoints": {"input": {"points": 100, "idempotencyKey": "redeem-1"}},
        "CompleteTwoFactor": {"input": {"code": "000000"}},
        "ConfirmLimitChange": {"input": limit},
        "Deposit": {"input": {"amount": money, "idempotencyKey": "deposit-1"}},
        "LaunchGame": {"input": {"game": world["game"], "mode": "DEMO"}},
        "Login": {"input": {"identifier": DEMO_USERNAME, "password": "not the password"}},
        "MyBets": {"status": "OPEN", "first": 10},
        "AccountDashboard": {"bets": 5, "rounds": 5},
        "MyBet": {"id": world["bet"]},
        "MarkInboxMessageRead": {"input": {"messageId": "not-a-message"}},
        "DeleteInboxMessage": {"input": {"messageId": "not-a-message"}},
        "RequestPasswordReset": {"input": {"email": "nobody@example.com"}},
        "ResetPassword": {"input": {"token": "not-a-token", "newPassword": DEMO_PASSWORD}},
        "VerifyEmail": {"input": {"token": "not-a-token"}},
        "OddsChanged": {"events": [world["event"]]},
        "EventsUpdated": {"events": [world["event"]]},
        "PlaceBet": {"input": world["slip"]},
        "Register": {
            "input": {
                "email": "twin@example.com",
                "password": DEMO_PASSWORD,
                "dateOfBirth": "1990-05-17",
                "country": "MT",
                "currency": world["currency"],
            }
        },
        "StartConnectedLogin": {
            "input": {"redirectUri": "https://evil.example/login/connected/callback"}
        },
        "CompleteConnectedLogin": {"input": {"state": "not-a-state", "code": "not-a-code"}},
        "RegisterWithConnectedLogin": {
            "input": {
                "ticket": "not-a-ticket",
                "dateOfBirth": "1990-05-17",
                "country": "MT",
                "currency": world["currency"],
            }
        },
        # Refused (blank): a message sent would differ between the runs by its new id.
        "SendSupportMessage": {"input": {"body": "   "}},
        "LinkConnectedLogin": {"input": {"ticket": "not-a-ticket", "password": "not it"}},
        "RemoveLimit": {"input": limit},
        "RequestWithdrawal": {"input": {"amount": money, "idempotencyKey": "withdraw-1"}},
        "SelfExclude": {"input": {"period": "SIX_MONTHS", "confirm": True}},
        "SetLimit": {"input": {**limit, "amount": {**money, "amount": "50.00"}}},
        "SetOddsFormat": {"input": {"format": "FRACTIONAL"}},
        "SetRealityCheck": {"input": {"minutes": 30}},
        "SetMarketingConsent": {"input": {"channel": "EMAIL", "granted": True}},
        "Unsubscribe": {"input": {"token": "not-a-token"}},
        "SiteHome": {"signedIn": True, "games": 6, "events": 4},
        "SportsEvent": {"id": world["event"]},
        "SportsEvents": {"first": 10},
        "TakeTimeOut": {"input": {"period": "ONE_DAY", "confirm": True}},
        "AddFavouriteGame": {"input": {"game": world["game"]}},
        "RemoveFavouriteGame": {"input": {"game": world["game"]}},
        "Transactions": {"first": 10},
        "UpdateProfile": {"input": {"profile": {"givenName": "Demo", "nationality": "MT"}}},
        # Refused (no check to start at NONE; not confirmed): a check or an erasure would
        # make each run differ, or close the account the later documents use.
        "StartVerification": {"input": {"tier": "NONE"}},
        "RequestErasure": {"input": {"confirm": False}},
    }


async def _world(db: Database, registry: BrandRegistry) -> tuple[str, dict[str, Any]]:
    """The demo seed (brands, casino catalogue, the demo player), cash for the demo player,
    an event with a market, and one bet on it; the player's token and the ids to use."""
    await seed(db, registry, demo=True)
    token = await _sign_in(db, registry)
    currency = registry.get(BRAND).primary_currency
    viewer = await _run(WITH_DIRECT, _context(db, registry, token), "SiteViewer", {})
    player_id = uuid.UUID(from_base64(viewer["data"]["viewer"]["player"]["id"])[1])
    await fund(db, player_id, 500_00, brand=BRAND, currency=currency)
    market = await add_market(db, {"home": "2.50", "draw": "3.20", "away": "2.90"})
    games = await _run(
        WITH_DIRECT,
        _context(db, registry, token),
        "CasinoGames",
        {"first": 1, "favouritesOnly": False},
    )
    game = games["data"]["casinoGames"]["edges"][0]["node"]
    slip = {
        "selections": [
            {"outcome": to_base64("Outcome", str(market.outcomes["home"])), "odds": "2.50"}
        ],
        "type": "SINGLE",
        "stake": {"amount": "10.00", "currency": currency},
        "idempotencyKey": "slip-1",
    }
    placed = await _run(WITH_DIRECT, _context(db, registry, token), "PlaceBet", {"input": slip})
    assert placed["data"]["placeBet"]["errors"] == [], placed
    return token, {
        "currency": currency,
        "event": to_base64("SportsEvent", str(market.event_id)),
        "slip": slip,
        "bet": placed["data"]["placeBet"]["bet"]["id"],
        "game": game["id"],
        "game_code": game["code"],
    }


def _comparable(operation: str, answer: dict[str, Any]) -> dict[str, Any]:
    """The answer without what differs on every call by design (a launch's URL and session)."""
    launch = (answer["data"] or {}).get("launchGame")
    if operation == "LaunchGame" and launch and launch["session"]:
        launch["launchUrl"] = launch["session"]["id"] = launch["session"]["expiresAt"] = "…"
    return answer


def _operations() -> list[str]:
    first = sorted(name for name in DOCUMENTS if name not in LAST)
    return [*first, *LAST]


async def test_every_site_document_answers_the_same_with_and_without_direct_resolvers(
    db: Database, registry: BrandRegistry, monkeypatch: pytest.MonkeyPatch
) -> None:
    token, world = await _world(db, registry)
    # Each document runs four times: a reset request more often than the throttle allows
    # an address would be refused on its last run.
    settings = get_settings()
    more_resets = settings.model_copy(update={"password_resets_per_email": 10})
    monkeypatch.setattr(recovery_mail, "get_settings", lambda: more_resets)
    # One instant for every run: answers that carry "now" (an acknowledgement) compare.
    instant = clock.now()
    monkeypatch.setattr(clock, "now", lambda: instant)
    variables = _variables(world)
    assert set(_operations()) == set(DOCUMENTS)
    different = {}
    answered_data = 0

    for operation in _operations():
        answers = []
        for schema in (WITH_DIRECT, WITHOUT_DIRECT, WITH_DIRECT, WITH_DIRECT):
            if operation in SIGNS_OUT:
                token = await _sign_in(db, registry)
            answers.append(
                await _run(
                    schema, _context(db, registry, token), operation, variables.get(operation, {})
                )
            )
        without, direct = _comparable(operation, answers[1]), _comparable(operation, answers[3])
        if without != direct:
            different[operation] = (without, direct)
        answered_data += bool(direct["data"])
        if operation in LISTS:
            # Real items, not empty pages, were compared.
            assert '"edges": [{' in json.dumps(direct["data"]), (operation, direct)

    assert different == {}
    # Not a comparison of refusals: every document answers data.
    assert answered_data == len(DOCUMENTS)


def _slip_variants(slip: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """placeBet inputs its direct resolver builds itself (schema.sportsbook.mutations):
    a replay, every optional field sent, and the refusals its input can carry."""
    selection = slip["selections"][0]
    return {
        "replay": slip,
        "every field": {
            **slip,
            "system": None,
            "systemFolds": None,
            "eachWay": False,
            "freeBet": False,
            "oddsPolicy": "ACCEPT_HIGHER",
        },
        "not a global id": {**slip, "selections": [{**selection, "outcome": "not-an-id"}]},
        "another type's id": {
            **slip,
            "selections": [{**selection, "outcome": to_base64("Bet", "1")}],
        },
        "odds as a number": {**slip, "selections": [{**selection, "odds": 2.5}]},
        "custom system without k": {**slip, "type": "SYSTEM", "system": "CUSTOM"},
        "control character": {**slip, "stake": {**slip["stake"], "currency": "EU\x00"}},
        "stake not an amount": {**slip, "stake": {**slip["stake"], "amount": "ten"}},
    }


async def test_place_bet_inputs_answer_the_same_with_and_without_direct_resolvers(
    db: Database, registry: BrandRegistry
) -> None:
    token, world = await _world(db, registry)
    different = {}

    for name, slip in _slip_variants(world["slip"]).items():
        answers = [
            await _run(schema, _context(db, registry, token), "PlaceBet", {"input": slip})
            for schema in (WITHOUT_DIRECT, WITH_DIRECT)
        ]
        if answers[0] != answers[1]:
            different[name] = answers
        if name == "replay":
            assert answers[1]["data"]["placeBet"]["bet"]["id"] == world["bet"], answers

    assert different == {}
