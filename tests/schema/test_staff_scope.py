"""Staff act only within their brands, on every field (DESIGN.md section 4).

The matrix takes every staff field from the committed schema (a `@hasPermission` field, or
one whose description says "Staff (" or "staff with"), so a staff field added later fails
here until it has a case. Each case is called by an admin of northstar only, aimed at
aurora's objects: on northstar's host (refused, not found, or nothing to see) and with the
same token on aurora's host (not signed in there). Nothing changes: not the book, bets,
ledger, players, sessions, staff, withdrawals, casino switches, outbox or audit log. An
admin of aurora sees every read case's data, so no case passes for want of data.
"""

from __future__ import annotations

import ast
import json
import re
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
import websockets
from graphql import (
    GraphQLObjectType,
    GraphQLSchema,
    build_schema,
    get_named_type,
    is_leaf_type,
)
from sqlalchemy import text
from strawberry.relay import to_base64

from domain.accounts import notes
from domain.accounts import staff as staff_service
from domain.accounts.models import PrincipalKind
from domain.accounts.permissions import permissions_for
from domain.accounts.principal import Principal
from domain.affiliates import programme
from domain.affiliates.models import PlanKind, Statement
from domain.affiliates.programme import Plan
from domain.bonuses import abuse, grants, loyalty, offers
from domain.bonuses.models import AbuseFlagKind, OfferKind
from domain.bonuses.offers import OfferDraft
from domain.bonuses.terms import Eligibility, Terms
from domain.brands import theme_editor
from domain.brands.service import BrandRegistry
from domain.brands.theme import ColourTokens
from domain.casino.catalog import GameSpec, ProviderSpec, enable_games, sync_provider
from domain.casino.models import GameRound, RoundTransaction
from domain.compliance import linking
from domain.compliance.aml import monitoring
from domain.compliance.aml.models import AlertRule
from domain.integrations.devices import DeviceSignal
from domain.integrations.kyc import KycOutcome
from domain.integrations.kyc_sandbox import SandboxKyc
from domain.kernel.db import Database
from domain.messaging import chat
from domain.messaging.service import deliver_welcome
from domain.payments import service as payments
from domain.segments import campaigns
from domain.segments import service as segment_service
from domain.segments.models import ConsentChannel
from tests.domain.compliance.kyc_support import register
from tests.domain.payments.support import PSP, deposited
from tests.domain.reporting.support import apply_outbox
from tests.schema.accounts.test_staff import signed_in_staff
from tests.schema.sportsbook.support import (
    BookMarket,
    add_market,
    gid,
    next_raw,
    signed_in_bettor,
    subscribe,
)
from tests.schema.sportsbook.test_place_bet import PLACE_BET, single
from tests.support import AURORA, NORTHSTAR, Api, GraphQLResponse

SCHEMA = Path(__file__).resolve().parents[2] / "schema.graphql"
THEMES = Path(__file__).resolve().parents[2] / "themes"
STAFF_DESCRIPTION = re.compile(r"\b[Ss]taff (?:\(|with )")
PROVIDER = "scope-test"  # casino games only aurora offers
REASON = "scope check"


def staff_fields(schema: GraphQLSchema) -> set[str]:
    """`Type.field` of every staff field, and `Type.field(argument)` of every staff
    argument of an open field."""
    found = set()
    for type_name, named in schema.type_map.items():
        if type_name.startswith("__") or not isinstance(named, GraphQLObjectType):
            continue
        for name, definition in named.fields.items():
            node = definition.ast_node
            directives = {d.name.value for d in (node.directives or ())} if node else set()
            if "hasPermission" in directives or STAFF_DESCRIPTION.search(
                definition.description or ""
            ):
                found.add(f"{type_name}.{name}")
            for argument, value in definition.args.items():
                if STAFF_DESCRIPTION.search(value.description or ""):
                    found.add(f"{type_name}.{name}({argument})")
    return found


def _selection(schema: GraphQLSchema, payload: str) -> str:
    """Every field of a mutation payload: leaves as they are, objects by id (or their first
    leaf), so anything the mutation returns shows in the answer."""
    payload_type = schema.get_type(payload)
    assert isinstance(payload_type, GraphQLObjectType)
    parts = []
    for name, definition in payload_type.fields.items():
        named = get_named_type(definition.type)
        if name == "errors":
            parts.append("errors { code field }")
        elif is_leaf_type(named):
            parts.append(name)
        else:
            assert isinstance(named, GraphQLObjectType)
            leaves = [n for n, f in named.fields.items() if is_leaf_type(get_named_type(f.type))]
            parts.append(f"{name} {{ {'id' if 'id' in leaves else leaves[0]} }}")
    return " ".join(parts)


def mutation(schema: GraphQLSchema, name: str) -> str:
    definition = schema.mutation_type.fields[name]  # type: ignore[union-attr]
    input_type = definition.args["input"].type
    payload = get_named_type(definition.type).name
    return (
        f"mutation($input: {input_type}) {{ {name}(input: $input) "
        f"{{ {_selection(schema, payload)} }} }}"
    )


@dataclass
class World:
    """Aurora's objects, and the catalogue every brand shares."""

    player: str
    player_email: str
    bet: str
    withdrawal: str
    round: str
    market: BookMarket
    game: str
    staff_member: str
    movement: str
    theme_version: str
    offer: str
    grant: str
    kyc_check: str
    aml_alert: str
    affiliate: str
    segment: str
    campaign: str
    conversation: str


@dataclass(frozen=True)
class Case:
    document: str
    variables: dict[str, Any]
    # What northstar's admin gets on its own host: the payload's error code, or None for a
    # read that shows nothing.
    refused_with: str | None = None


# Reads of the trading desk alone (market.trade over every brand) and of the whole audit
# log's verification (audit.read over every brand): an admin of one brand is refused them
# like northstar's.
DESK_READS = frozenset({"Query.tradingMarket", "Query.auditChainVerification"})
# Objects staff read by global id (`node`), beyond those the staff fields above reach.
NODE_CASES = ("Query.node(Bet)", "Query.node(Payment)", "Query.node(WalletTransaction)")


def _node(type_name: str) -> str:
    return f"query($id: ID!) {{ node(id: $id) {{ ... on {type_name} {{ id }} }} }}"


def _player_field(selection: str) -> str:
    return f"query($id: ID!) {{ node(id: $id) {{ ... on Player {{ {selection} }} }} }}"


def cases(schema: GraphQLSchema, world: World) -> dict[str, Case]:
    def write(name: str, values: dict[str, Any], code: str) -> Case:
        return Case(mutation(schema, name), {"input": values}, code)

    player, why = {"playerId": world.player}, {"reason": REASON}
    market = gid("Market", world.market.market_id)
    outcome = gid("Outcome", world.market.outcomes["home"])
    period = {
        "from": (datetime.now(UTC) - timedelta(days=1)).isoformat(),
        "to": (datetime.now(UTC) + timedelta(days=1)).isoformat(),
    }
    eur = {"amount": "5.00", "currency": "EUR"}
    edges = "edges { node { id } }"
    return {
        "Query.players": Case(
            "query($s: String!) { players(search: $s) { id } }", {"s": world.player_email}
        ),
        "Query.playerWallets": Case(
            "query($p: ID!) { playerWallets(playerId: $p) { kind } }", {"p": world.player}
        ),
        "Query.pendingWithdrawals": Case(f"{{ pendingWithdrawals {{ {edges} }} }}", {}),
        "Query.deposits": Case(
            f"query($p: ID) {{ deposits(playerId: $p) {{ {edges} }} }}", {"p": world.player}
        ),
        "Query.playerNetDeposits": Case(
            "query($p: ID!) { playerNetDeposits(playerId: $p) { amount } }", {"p": world.player}
        ),
        "Query.casinoGames(includeDisabled)": Case(
            f"query($p: String) {{ casinoGames(includeDisabled: true, provider: $p) {{ {edges} }} }}",
            {"p": PROVIDER},
        ),
        "Query.casinoReconciliation": Case(
            "query($from: DateTime!, $to: DateTime!) { casinoReconciliation(from: $from, to: $to) "
            f"{{ totals {{ currency }} rounds {{ {edges} }} }} }}",
            period,
        ),
        "Query.report": Case(
            "query($from: Date!, $to: Date!) { report(from: $from, to: $to, "
            "dimensions: [DAY, PRODUCT]) { lines { currency bets deposits { amount } } } }",
            {
                "from": (datetime.now(UTC) - timedelta(days=2)).date().isoformat(),
                "to": (datetime.now(UTC) + timedelta(days=2)).date().isoformat(),
            },
        ),
        "Query.affiliates": Case("{ affiliates { name trackingCodes { code } } }", {}),
        "Query.affiliateStatements": Case(
            "query($a: ID!, $from: Date!, $to: Date!) { affiliateStatements(affiliateId: $a, "
            "from: $from, to: $to) { month total { amount } } }",
            {"a": world.affiliate, "from": _last_month().isoformat(), "to": _today().isoformat()},
        ),
        "Mutation.createAffiliate": write(
            "createAffiliate", {"name": "Mole", "plan": "REVSHARE"}, "INVALID_PLAN"
        ),
        "Mutation.addAffiliateTrackingCode": write(
            "addAffiliateTrackingCode",
            {"affiliateId": world.affiliate, "code": "mole"},
            "AFFILIATE_NOT_FOUND",
        ),
        "Mutation.runAffiliateStatements": write(
            "runAffiliateStatements", {"month": _today().isoformat()}, "MONTH_NOT_CLOSED"
        ),
        "Query.playerValue": Case(
            "query($p: ID!) { playerValue(playerId: $p) { currency lifetime { deposits "
            "{ amount } } } }",
            {"p": world.player},
        ),
        "Subscription.reportUpdated": Case("subscription { reportUpdated { day } }", {}),
        "Query.bigWins": Case(
            f"query($from: DateTime!, $to: DateTime!) {{ bigWins(from: $from, to: $to) {{ {edges} }} }}",
            period,
        ),
        "Subscription.liabilityChanged": Case(
            "subscription($m: ID!) { liabilityChanged(market: $m) "
            "{ outcomes { liabilities { amount currency } } } }",
            {"m": market},
        ),
        "Query.outcomeLiabilities": Case(
            "query($m: ID!) { outcomeLiabilities(market: $m) { liabilities { amount currency } } }",
            {"m": market},
        ),
        "GameRound.transactions": Case(
            "query($id: ID!) { node(id: $id) { ... on GameRound { transactions { kind } } } }",
            {"id": world.round},
        ),
        "Query.node(Bet)": Case(_node("Bet"), {"id": world.bet}),
        "Query.node(Payment)": Case(_node("Payment"), {"id": world.withdrawal}),
        "Query.node(WalletTransaction)": Case(_node("WalletTransaction"), {"id": world.movement}),
        "Player.limits": Case(_player_field("limits { kind }"), {"id": world.player}),
        "Player.linkedPlayers": Case(
            _player_field("linkedPlayers { brand }"), {"id": world.player}
        ),
        "Player.wallets": Case(_player_field("wallets { kind }"), {"id": world.player}),
        "Player.transactions": Case(
            _player_field(f"transactions {{ {edges} }}"), {"id": world.player}
        ),
        "Player.gameRounds": Case(_player_field(f"gameRounds {{ {edges} }}"), {"id": world.player}),
        "Player.bets": Case(_player_field(f"bets {{ {edges} }}"), {"id": world.player}),
        "Player.inbox": Case(_player_field("inbox { id }"), {"id": world.player}),
        "Player.sessions": Case(_player_field("sessions { id createdAt }"), {"id": world.player}),
        "Player.notes": Case(_player_field("notes { id body }"), {"id": world.player}),
        # Aurora's open bet is its liability; northstar's own overview shows none of it.
        "Query.operationsOverview": Case(
            "{ operationsOverview { openLiability { amount currency } failedPayments deadLetters } }",
            {},
        ),
        "Mutation.addPlayerNote": write(
            "addPlayerNote", {**player, "body": "called about a bonus"}, "PLAYER_NOT_FOUND"
        ),
        "Player.unreadInboxCount": Case(_player_field("unreadInboxCount"), {"id": world.player}),
        "Player.profile": Case(_player_field("profile { givenName }"), {"id": world.player}),
        "Player.verification": Case(
            _player_field("verification { tier checks { status } }"), {"id": world.player}
        ),
        "Query.kycReviewQueue": Case("{ kycReviewQueue { playerEmail } }", {}),
        "Query.duplicateAccountFlags": Case(
            "{ duplicateAccountFlags { rule playerEmail otherPlayerEmail } }", {}
        ),
        "Query.supportQueue": Case("{ supportQueue { id messages { body } } }", {}),
        "Query.supportConversation": Case(
            "query($id: ID!) { supportConversation(id: $id) { id } }", {"id": world.conversation}
        ),
        "SupportConversation.player": Case(
            "query($id: ID!) { supportConversation(id: $id) { player { email } } }",
            {"id": world.conversation},
        ),
        "SupportConversation.cannedReplies": Case(
            "query($id: ID!) { supportConversation(id: $id) { cannedReplies { title } } }",
            {"id": world.conversation},
        ),
        "Subscription.supportQueueChanged": Case(
            "subscription { supportQueueChanged { conversationId } }", {}
        ),
        "Mutation.takeSupportConversation": write(
            "takeSupportConversation",
            {"conversationId": world.conversation},
            "CONVERSATION_NOT_FOUND",
        ),
        "Mutation.replyToSupportConversation": write(
            "replyToSupportConversation",
            {"conversationId": world.conversation, "body": "mole"},
            "CONVERSATION_NOT_FOUND",
        ),
        "Mutation.closeSupportConversation": write(
            "closeSupportConversation",
            {"conversationId": world.conversation},
            "CONVERSATION_NOT_FOUND",
        ),
        "Mutation.updatePlayerProfile": write(
            "updatePlayerProfile",
            {**player, "profile": {"givenName": "Mole"}, **why},
            "PLAYER_NOT_FOUND",
        ),
        "Mutation.decideKycReview": write(
            "decideKycReview",
            {"checkId": world.kyc_check, "decision": "APPROVE", **why},
            "CHECK_NOT_FOUND",
        ),
        "Mutation.setPlayerStatus": write(
            "setPlayerStatus", {**player, "status": "SUSPENDED", **why}, "PLAYER_NOT_FOUND"
        ),
        "Mutation.revokePlayerSessions": write("revokePlayerSessions", player, "PLAYER_NOT_FOUND"),
        "Mutation.createStaffMember": write(
            "createStaffMember",
            {"email": "mole@op.example", "roles": ["ADMIN"], "brands": ["aurora"]},
            "PERMISSION_DENIED",
        ),
        "Mutation.setStaffRoles": write(
            "setStaffRoles",
            {"staffId": world.staff_member, "roles": ["ADMIN"]},
            "PERMISSION_DENIED",
        ),
        "Mutation.adjustBalance": write(
            "adjustBalance",
            {
                **player,
                "wallet": "CASH",
                "direction": "CREDIT",
                "amount": eur,
                **why,
                "idempotencyKey": "scope-1",
            },
            "PLAYER_NOT_FOUND",
        ),
        "Mutation.approveWithdrawal": write(
            "approveWithdrawal", {"withdrawalId": world.withdrawal}, "PAYMENT_NOT_FOUND"
        ),
        "Mutation.rejectWithdrawal": write(
            "rejectWithdrawal", {"withdrawalId": world.withdrawal, **why}, "PAYMENT_NOT_FOUND"
        ),
        "Mutation.setCasinoGameEnabled": write(
            "setCasinoGameEnabled",
            {"game": world.game, "enabled": False, **why},
            "GAME_NOT_FOUND",
        ),
        "Mutation.setCasinoProviderEnabled": write(
            "setCasinoProviderEnabled",
            {"provider": PROVIDER, "enabled": False, **why},
            "PROVIDER_NOT_FOUND",
        ),
        "Mutation.suspendMarket": write(
            "suspendMarket", {"market": market, **why}, "PERMISSION_DENIED"
        ),
        "Mutation.resumeMarket": write(
            "resumeMarket", {"market": market, **why}, "PERMISSION_DENIED"
        ),
        "Mutation.suspendEvent": write(
            "suspendEvent",
            {"event": gid("SportsbookEvent", world.market.event_id), **why},
            "PERMISSION_DENIED",
        ),
        "Mutation.resumeEvent": write(
            "resumeEvent",
            {"event": gid("SportsbookEvent", world.market.event_id), **why},
            "PERMISSION_DENIED",
        ),
        "Mutation.overrideOdds": write(
            "overrideOdds", {"outcome": outcome, "odds": "9.99", **why}, "PERMISSION_DENIED"
        ),
        "Mutation.releaseOddsOverride": write(
            "releaseOddsOverride", {"outcome": outcome, **why}, "PERMISSION_DENIED"
        ),
        "Mutation.setMarketMargin": write(
            "setMarketMargin",
            {"marketType": "match_result", "margin": "0.2", **why},
            "PERMISSION_DENIED",
        ),
        "Mutation.voidBet": write("voidBet", {"bet": world.bet, **why}, "BET_NOT_FOUND"),
        "Query.bonusOffers": Case("{ bonusOffers { id } }", {}),
        "Query.bonusGrants": Case("{ bonusGrants(state: ACTIVE) { id } }", {}),
        "Query.bonusCost": Case(
            "query($from: DateTime!, $to: DateTime!) { bonusCost(from: $from, to: $to) "
            "{ offerId granted { amount } } }",
            period,
        ),
        # An offer is made on the request's brand: northstar's admin cannot aim at aurora,
        # and northstar has no EUR.
        "Mutation.createBonusOffer": write(
            "createBonusOffer",
            {
                "kind": "SIGN_UP",
                "name": "Mole",
                "currency": "EUR",
                "terms": {"bonusAmount": "5.00"},
            },
            "INVALID_TERMS",
        ),
        "Mutation.updateBonusOffer": write(
            "updateBonusOffer",
            {
                "id": world.offer,
                "kind": "SIGN_UP",
                "name": "Mole",
                "currency": "SEK",
                "terms": {"bonusAmount": "5.00"},
                "active": False,
            },
            "OFFER_NOT_FOUND",
        ),
        "Mutation.grantBonus": write(
            "grantBonus", {"offerId": world.offer, **player, **why}, "PLAYER_NOT_FOUND"
        ),
        "Mutation.cancelBonusGrant": write(
            "cancelBonusGrant", {"grantId": world.grant, **why}, "GRANT_NOT_FOUND"
        ),
        "Query.loyaltyProgramme": Case("{ loyaltyProgramme { windowDays } }", {}),
        "Query.bonusAbuseFlags": Case("{ bonusAbuseFlags { id kind } }", {}),
        # The programme is the request brand's: northstar's admin may set northstar's (here
        # refused for having no tier at 0 points), never aurora's.
        "Mutation.setLoyaltyProgramme": write(
            "setLoyaltyProgramme",
            {
                "casinoRate": 1,
                "sportsbookRate": 1,
                "tiers": [{"name": "Mole", "minPoints": 5}],
                "redeemPoints": 100,
                "redeemMinorUnits": 100,
            },
            "INVALID_TERMS",
        ),
        "Mutation.grantFreeBet": write(
            "grantFreeBet", {"offerId": world.offer, **player, **why}, "PLAYER_NOT_FOUND"
        ),
        "Mutation.cancelFreeBet": write(
            "cancelFreeBet",
            {"freeBetId": gid("FreeBet", uuid.uuid4()), **why},
            "FREE_BET_NOT_FOUND",
        ),
        "Mutation.grantFreeSpins": write(
            "grantFreeSpins", {"offerId": world.offer, **player, **why}, "PLAYER_NOT_FOUND"
        ),
        "Mutation.cancelFreeSpins": write(
            "cancelFreeSpins",
            {"freeSpinsId": gid("FreeSpins", uuid.uuid4()), **why},
            "FREE_ROUNDS_NOT_FOUND",
        ),
        # The palette is the request brand's: on its own host northstar's admin may save
        # one (refused here only for a malformed colour); on aurora's it is nobody.
        "Mutation.saveThemeDraft": write(
            "saveThemeDraft", {"colours": [{"name": "text", "value": "red"}]}, "INVALID_COLOUR"
        ),
        "Mutation.publishTheme": write(
            "publishTheme", {"version": world.theme_version, **why}, "THEME_VERSION_NOT_FOUND"
        ),
        "Query.themeVersions": Case("{ themeVersions { id number } }", {}),
        # Northstar is not shown in German: on its own host its admin is refused the
        # locale; on aurora's, nothing at all (aurora's admin reads aurora's messages).
        "Query.themeTranslations": Case(
            '{ themeTranslations(locale: "de", first: 1) { edges { node { msgid shipped } } } }',
            {},
            "UNKNOWN_LOCALE",
        ),
        "Mutation.saveThemeTranslations": write(
            "saveThemeTranslations",
            {"locale": "sv", "translations": [{"msgid": "Not shipped", "text": "x"}]},
            "UNKNOWN_MESSAGE",
        ),
        # An SVG is refused by its bytes on northstar's own brand: nothing stored anywhere.
        "Mutation.uploadThemeAsset": write(
            "uploadThemeAsset", {"kind": "LOGO", "content": "PHN2Zz48L3N2Zz4="}, "INVALID_ASSET"
        ),
        "Query.amlAlerts": Case(
            "{ amlAlerts { id rule evidence { payments { paymentId } } } }", {}
        ),
        "Mutation.takeAmlAlert": write(
            "takeAmlAlert", {"alertId": world.aml_alert}, "ALERT_NOT_FOUND"
        ),
        "Mutation.recordAmlInteraction": write(
            "recordAmlInteraction",
            {"alertId": world.aml_alert, "kind": "NOTE", "note": REASON},
            "ALERT_NOT_FOUND",
        ),
        "Mutation.closeAmlAlert": write(
            "closeAmlAlert",
            {"alertId": world.aml_alert, "outcome": "CLEARED", **why},
            "ALERT_NOT_FOUND",
        ),
        **_segment_cases(write, world),
        # Aurora's desk member granted the bonus on aurora: their rows are aurora's.
        "Query.auditLog": Case(
            "query($a: String) { auditLog(actor: $a) { entries { number action reason } } }",
            {"a": "aurora-desk@op.example"},
        ),
        "Query.auditChainVerification": Case(
            "{ auditChainVerification { intact firstBrokenEntry } }", {}, "PERMISSION_DENIED"
        ),
        "Query.staffMembers": Case(
            "query($s: String) { staffMembers(search: $s) { email brands } }",
            {"s": "aurora-desk@"},
        ),
        **_booking_cases(write, world),
        "Query.tradingMarket": Case(
            "query($m: ID!) { tradingMarket(market: $m) { status feedStatus "
            "outcomes { odds feedOdds } } }",
            {"m": market},
            "PERMISSION_DENIED",
        ),
    }


def _segment_cases(write: Any, world: World) -> dict[str, Case]:
    """CRM's segments and campaigns: northstar's admin may keep northstar's, so on its own
    host a write is refused only for aurora's ids or for a list naming no northstar player."""
    aurora_only = {"condition": {"field": "BRAND", "op": "IN", "values": ["aurora"]}}
    now = datetime.now(UTC).isoformat()
    return {
        "Query.segments": Case("{ segments { id name memberCount } }", {}),
        "Query.segment": Case(
            "query($id: ID!) { segment(id: $id) { id name memberCount } }",
            {"id": world.segment},
            "SEGMENT_NOT_FOUND",
        ),
        "Query.segmentPreview": Case(
            "query($r: SegmentRuleInput!) { segmentPreview(rule: $r) { count "
            "sample { playerId email } } }",
            {"r": aurora_only},
        ),
        "Query.segmentMembership": Case(
            "query($s: ID!, $p: ID!, $at: DateTime!) "
            "{ segmentMembership(segmentId: $s, playerId: $p, at: $at) }",
            {"s": world.segment, "p": world.player, "at": now},
            "SEGMENT_NOT_FOUND",
        ),
        "Query.campaigns": Case("{ campaigns { id name counts { targeted } } }", {}),
        "Query.campaign": Case(
            "query($id: ID!) { campaign(id: $id) { id name } }",
            {"id": world.campaign},
            "CAMPAIGN_NOT_FOUND",
        ),
        "Mutation.createSegment": write(
            "createSegment", {"name": "Scope", "rule": {}}, "INVALID_RULE"
        ),
        "Mutation.importSegment": write(
            "importSegment",
            {"name": "Scope", "csv": world.player_email},
            "INVALID_PLAYER_LIST",
        ),
        "Mutation.archiveSegment": write(
            "archiveSegment", {"segmentId": world.segment}, "SEGMENT_NOT_FOUND"
        ),
        "Mutation.cancelCampaign": write(
            "cancelCampaign", {"campaignId": world.campaign}, "CAMPAIGN_NOT_FOUND"
        ),
        "Mutation.createCampaign": write(
            "createCampaign",
            {
                "segmentId": world.segment,
                "name": "Scope",
                "channel": "INBOX",
                "content": [{"locale": "en", "subject": "Hi", "text": "Hello"}],
            },
            "SEGMENT_NOT_FOUND",
        ),
    }


def _booking_cases(write: Any, world: World) -> dict[str, Case]:
    """Building and resulting the shared book: the trading desk's alone (every brand), so
    staff of some brands are refused before anything is looked up."""
    why = {"reason": REASON}
    market = {"market": gid("Market", world.market.market_id), **why}
    event = gid("SportsbookEvent", world.market.event_id)
    home = gid("Outcome", world.market.outcomes["home"])
    outcomes = [{"key": "home", "name": "Home", "odds": "9.99"}]
    denied = "PERMISSION_DENIED"
    return {
        "Mutation.createSport": write("createSport", {"key": "k", "name": "K", **why}, denied),
        "Mutation.createCompetition": write(
            "createCompetition",
            {"sport": gid("Sport", 1), "key": "k", "name": "K", **why},
            denied,
        ),
        "Mutation.createEvent": write(
            "createEvent",
            {
                "competition": gid("Competition", 1),
                "name": "X v Y",
                "startsAt": datetime.now(UTC).isoformat(),
                **why,
            },
            denied,
        ),
        "Mutation.editEvent": write("editEvent", {"event": event, "status": "LIVE", **why}, denied),
        "Mutation.setEventScore": write(
            "setEventScore", {"event": event, "home": 9, "away": 0, **why}, denied
        ),
        "Mutation.createMarket": write(
            "createMarket",
            {"event": event, "type": "other", "name": "O", "outcomes": outcomes, **why},
            denied,
        ),
        "Mutation.editMarket": write(
            "editMarket", {**market, "name": "Renamed", "outcomes": outcomes}, denied
        ),
        "Mutation.resultMarket": write(
            "resultMarket",
            {**market, "outcomes": [{"outcome": home, "result": "WIN"}]},
            denied,
        ),
        "Mutation.voidMarket": write("voidMarket", market, denied),
        "Mutation.cancelBets": write(
            "cancelBets",
            {
                **market,
                "placedFrom": "2000-01-01T00:00:00+00:00",
                "placedTo": "2100-01-01T00:00:00+00:00",
            },
            denied,
        ),
        "Mutation.rollbackSettlement": write("rollbackSettlement", market, denied),
        "Mutation.rollbackCancellation": write("rollbackCancellation", market, denied),
    }


# ---- what a caller got, and what the database holds ---------------------------------------


def answer(response: GraphQLResponse, document: str) -> tuple[list[str | None], Any]:
    """The refusal codes (request errors and payload errors) and the data beside them."""
    codes = [error.get("extensions", {}).get("code") for error in response.body.get("errors", [])]
    data = response.body.get("data")
    if data is not None and len(data) == 1:
        data = next(iter(data.values()))
    if isinstance(data, dict) and "errors" in data and document.startswith("mutation"):
        codes += [error["code"] for error in data["errors"]]
        data = {key: value for key, value in data.items() if key != "errors"}
    return codes, data


async def run(api: Api, case: Case) -> GraphQLResponse:
    """The case over HTTP, or a subscription over graphql-transport-ws: its first message
    (a refusal comes at once; nothing within a second is nothing shown)."""
    if not case.document.startswith("subscription"):
        return await api.query(case.document, case.variables)
    server = str(api.client.base_url).rstrip("/")
    try:
        socket = await subscribe(server, api.host, api.token, case.document, case.variables)
    except websockets.ConnectionClosed:
        # Refused at connection_init (a token of another brand): the socket shows nothing.
        return GraphQLResponse(200, {"data": None}, httpx.Headers())
    raw = await next_raw(socket, 1.0)
    await socket.close()
    message = json.loads(raw) if raw is not None else {"type": "none"}
    body = message["payload"] if message["type"] == "next" else {"data": None}
    if message["type"] == "error":
        body = {"data": None, "errors": message["payload"]}
    return GraphQLResponse(200, body, httpx.Headers())


def blank(value: Any) -> bool:
    """Nothing to see: no rows, no values (an empty page, a null, zero revoked...)."""
    if isinstance(value, dict):
        return all(blank(item) for item in value.values())
    if isinstance(value, list):
        return all(blank(item) for item in value)
    return value in (None, False, 0, "")


def refused(
    case: Case, home: tuple[list[str | None], Any], away: tuple[list[str | None], Any]
) -> bool:
    """Northstar's admin got the case's refusal and nothing else on its own host, and no
    more than a refusal for want of a session on aurora's."""
    (home_codes, home_data), (away_codes, away_data) = home, away
    expected = [case.refused_with] if case.refused_with else []
    return (
        home_codes == expected
        and blank(home_data)
        and away_codes in ([], ["NOT_AUTHENTICATED"])
        and blank(away_data)
    )


# Everything a staff field could change. auth_sessions: only revocations (reads bump
# last_seen_at); outbox_events: only how many (the relay marks rows published).
_FINGERPRINT = (
    "player_profiles",
    "kyc_checks",
    "kyc_decisions",
    "sportsbook_sports",
    "sportsbook_competitions",
    "sportsbook_events",
    "sportsbook_markets",
    "sportsbook_outcomes",
    "sportsbook_market_margins",
    "sportsbook_outcome_liabilities",
    "sportsbook_bets",
    "sportsbook_feed_market_results",
    "sportsbook_feed_messages",
    "ledger_transactions",
    "ledger_entries",
    "ledger_accounts",
    "idempotency_keys",
    "payments",
    "players",
    "player_limits",
    "staff_users",
    "casino_brand_games",
    "casino_brand_providers",
    "casino_rounds",
    "casino_transactions",
    "audit_log",
    "theme_versions",
    "theme_publications",
    "theme_assets",
    "player_notes",
    "bonus_offers",
    "bonus_grants",
    "bonus_free_rounds",
    "bonus_free_bets",
    "aml_alerts",
    "aml_interactions",
    "duplicate_flags",
    "device_sightings",
    "affiliates",
    "affiliate_tracking_codes",
    "affiliate_statements",
    "segments",
    "segment_members",
    "campaigns",
    "campaign_recipients",
)


async def fingerprint(db: Database) -> dict[str, Any]:
    found: dict[str, Any] = {}
    async with db.uow() as uow:
        for table in _FINGERPRINT:
            # The table names are this module's constants, not input.
            digest = f"SELECT md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), '')) FROM {table} t"  # noqa: S608
            found[table] = await uow.session.scalar(text(digest))
        found["revoked sessions"] = await uow.session.scalar(
            text("SELECT count(*) FROM auth_sessions WHERE revoked_at IS NOT NULL")
        )
        found["outbox"] = await uow.session.scalar(text("SELECT count(*) FROM outbox_events"))
    return found


# ---- aurora's world ----------------------------------------------------------------------


_CATALOGUE = ProviderSpec(
    code=PROVIDER,
    name="Scope Test Studio",
    launch_url="https://games.example/launch",
    games=tuple(
        GameSpec(
            code=code,
            name=code.title(),
            category="scope-slots",
            tags=(),
            rtp_basis_points=9600,
            volatility="low",
            thumbnail_url=f"/static/{code}.png",
        )
        for code in ("aurora-only", "aurora-switched-off")
    ),
)


async def _aurora_casino(db: Database, player_id: uuid.UUID) -> tuple[str, str]:
    """Two games only aurora offers (one switched off there) and a big win on one."""
    async with db.transaction() as uow:
        await sync_provider(uow, _CATALOGUE)
        await enable_games(uow, "aurora", PROVIDER)
        games = dict(
            (
                await uow.session.execute(
                    text("SELECT code, id FROM casino_games WHERE provider = :p"), {"p": PROVIDER}
                )
            ).all()
        )
        await uow.session.execute(
            text("UPDATE casino_brand_games SET enabled = false WHERE game_id = :g"),
            {"g": games["aurora-switched-off"]},
        )
        won = GameRound(
            brand="aurora",
            provider=PROVIDER,
            player_id=player_id,
            round_ref="r-1",
            game_code="aurora-only",
            currency="EUR",
            status="closed",
            bet_minor=1_00,
            win_minor=5_000_00,
            refund_minor=0,
            win_count=1,
            closed_at=datetime.now(UTC),
        )
        uow.session.add(won)
        await uow.flush()
        uow.session.add(
            RoundTransaction(
                provider=PROVIDER,
                transaction_uuid="t-1",
                brand="aurora",
                player_id=player_id,
                round_id=won.id,
                kind="bet",
                status="accepted",
                round_ref="r-1",
                game_code="aurora-only",
                amount_minor=1_00,
                currency="EUR",
            )
        )
        await uow.flush()
        return to_base64("CasinoGame", str(games["aurora-only"])), to_base64("GameRound", won.id)


async def _aurora_bonus(
    db: Database, player_id: uuid.UUID, staff_id: uuid.UUID
) -> tuple[uuid.UUID, uuid.UUID]:
    """A sign-up offer of aurora, granted to the player by aurora's CRM."""
    crm = Principal(
        kind=PrincipalKind.STAFF, id=staff_id, session_id=uuid.uuid4(), brand=None,
        fully_authenticated=True, roles=("crm",), permissions=permissions_for(["crm"]),
        staff_brands=("aurora",),
    )  # fmt: skip
    draft = OfferDraft(
        kind=OfferKind.SIGN_UP, name="Aurora welcome", code=None, currency="EUR",
        terms=Terms(bonus_minor=5_00, wagering_multiplier=10), eligibility=Eligibility(),
    )  # fmt: skip
    async with db.transaction() as uow:
        offer = await offers.create_offer(uow, crm, BrandRegistry.load(THEMES).get("aurora"), draft)
        grant = await grants.grant_by_staff(
            uow, crm, "aurora", offer, player_id, bonus_minor=None, reason=REASON
        )
        # Aurora's loyalty programme, for the staff read of it.
        await loyalty.set_programme(uow, crm, "aurora", loyalty.Programme())
        # A bonus abuse flag in aurora, for risk staff's read of them.
        await abuse.flag(
            uow, brand="aurora", player_id=player_id, kind=AbuseFlagKind.LOW_ODDS,
            dedup_key="scope", grant_id=grant.id, details={"odds": "1.01"},
        )  # fmt: skip
        return offer.id, grant.id


async def _aurora_review(bettor: Api) -> str:
    """A profile and a check in manual review for the aurora player; the check's id."""
    saved = await bettor.query(
        "mutation($i: UpdateProfileInput!) { updateProfile(input: $i) { errors { code } } }",
        {"i": {"profile": {"givenName": "Ada"}}},
    )
    assert saved.data["updateProfile"]["errors"] == []
    started = await bettor.query(
        "mutation { startVerification(input: { tier: FULL }) { check { id flowUrl } } }"
    )
    check = started.data["startVerification"]["check"]
    sandbox = SandboxKyc()
    (review,) = sandbox.complete_flow(check["flowUrl"], KycOutcome.MANUAL_REVIEW)
    async with httpx.AsyncClient(
        base_url=str(bettor.client.base_url), headers={"host": AURORA}
    ) as client:
        sent = await client.post(review.path, content=review.body, headers=dict(review.headers))
    assert sent.status_code == 200
    return str(check["id"])


async def _aurora_aml_alert(db: Database, player_id: uuid.UUID) -> uuid.UUID:
    """An open alert in aurora's risk queue that holds the player's deposits."""
    finding = monitoring.Finding(
        AlertRule.CUMULATIVE_DEPOSITS,
        "scope",
        {"currency": "EUR", "threshold_minor": 2000_00, "total_minor": 2500_00, "payments": []},
        holds_deposits=True,
    )
    async with db.transaction() as uow:
        assert await monitoring.raise_alert(uow, "aurora", player_id, finding)
        found = await uow.session.scalar(
            text("SELECT id FROM aml_alerts WHERE player_id = :p AND window_key = 'scope'"),
            {"p": player_id},
        )
    assert isinstance(found, uuid.UUID)
    return found


async def _aurora_duplicate(db: Database, registry: BrandRegistry, player_id: uuid.UUID) -> None:
    """A second aurora player on the player's device: a duplicate-account flag."""
    other = await register(db, registry.get("aurora"), "EUR")
    signal = DeviceSignal("dev_scope_device", frozenset())
    async with db.transaction() as uow:
        await linking.record_device(uow, "aurora", player_id, signal)
        assert await linking.record_device(uow, "aurora", other.id, signal) == 1


def _today() -> date:
    return datetime.now(UTC).date()


def _last_month() -> date:
    return (_today().replace(day=1) - timedelta(days=1)).replace(day=1)


async def _aurora_affiliate(db: Database) -> uuid.UUID:
    """An affiliate of aurora with a code and last month's statement."""
    async with db.transaction() as uow:
        created = await programme.create_affiliate(
            uow, None, brand="aurora", name="Scope Media",
            plan=Plan(PlanKind.REVSHARE, revshare_percent=Decimal(25)),
        )  # fmt: skip
        await programme.add_tracking_code(
            uow, None, brand="aurora", affiliate_id=created.affiliate.id, code="scope-1"
        )
        uow.session.add(
            Statement(
                brand="aurora", affiliate_id=created.affiliate.id, month=_last_month(),
                currency="EUR", players=1, ngr_minor=40_00, carried_in_minor=0,
                revshare_minor=10_00, cpa_players=0, cpa_minor=0, total_minor=10_00,
                carried_out_minor=0,
            )
        )  # fmt: skip
    return created.affiliate.id


async def _aurora_segment(db: Database) -> tuple[uuid.UUID, uuid.UUID]:
    """A segment of every aurora player and a campaign to it, by aurora's CRM."""
    crm = Principal(
        PrincipalKind.STAFF, uuid.uuid4(), uuid.uuid4(), "aurora", True, roles=("crm",),
        permissions=permissions_for(["crm"]), staff_brands=("aurora",),
    )  # fmt: skip
    rule = {"condition": {"field": "brand", "op": "in", "values": ["aurora"]}}
    async with db.transaction() as uow:
        view = await segment_service.create_rule_segment(uow, crm, "aurora", "Everyone", rule)
        sent = await campaigns.create(
            uow, crm, "aurora", segment_id=view.segment.id, name="Hello", channel=ConsentChannel.INBOX,
            content={"en": {"subject": "Hi", "text": "Hello"}}, send_at=None,
            throttle_per_minute=10, origin="http://aurora.localhost",
        )  # fmt: skip
    return view.segment.id, sent.campaign.id


async def _remove_casino(db: Database) -> None:
    async with db.transaction() as uow:
        for statement in (
            "DELETE FROM casino_transactions WHERE provider = :p",
            "DELETE FROM casino_rounds WHERE provider = :p",
            "DELETE FROM casino_brand_providers WHERE provider = :p",
            "DELETE FROM casino_brand_games WHERE game_id IN "
            "(SELECT id FROM casino_games WHERE provider = :p)",
            "DELETE FROM casino_games WHERE provider = :p",
            "DELETE FROM casino_providers WHERE code = :p",
        ):
            await uow.session.execute(text(statement), {"p": PROVIDER})


@pytest.fixture
async def world(server: str, db: Database, registry: BrandRegistry) -> AsyncIterator[World]:
    market = await add_market(db, {"home": "2.50", "away": "1.60"})
    bettor, player_id = await signed_in_bettor(server, AURORA, db, currency="EUR")
    slip = single(market.outcomes["home"], "2.50", "s-1")
    slip["stake"] = {"amount": "10.00", "currency": "EUR"}
    placed = await bettor.query(PLACE_BET, {"i": slip})
    assert placed.data["placeBet"]["errors"] == []
    limit = await bettor.query(
        "mutation($i: SetLimitInput!) { setLimit(input: $i) { errors { code } } }",
        {
            "i": {
                "kind": "DEPOSIT",
                "period": "DAY",
                "amount": {"amount": "50.00", "currency": "EUR"},
            }
        },
    )
    assert limit.data["setLimit"]["errors"] == []
    async with db.transaction() as uow:
        withdrawal = await payments.request_withdrawal(
            uow,
            brand="aurora",
            player_id=player_id,
            amount_minor=10_00,
            currency="EUR",
            idempotency_key="scope-withdrawal",
            provider=PSP.name,
        )
        await deliver_welcome(uow, event_id=-1, player_id=player_id, brand_name="Aurora")
        member = await staff_service.create(
            uow, None, email="aurora-desk@op.example", roles=["support"], brands=["aurora"]
        )
        email = await uow.session.scalar(
            text("SELECT email FROM players WHERE id = :p"), {"p": player_id}
        )
        movement = await uow.session.scalar(
            text(
                "SELECT min(e.id) FROM ledger_entries e JOIN ledger_accounts a "
                "ON a.id = e.account_id WHERE a.player_id = :p"
            ),
            {"p": player_id},
        )
        # A support chat of aurora's player, waiting in aurora's queue.
        conversation, _ = await chat.player_writes(
            uow,
            Principal(
                kind=PrincipalKind.PLAYER,
                id=player_id,
                session_id=uuid.uuid4(),
                brand="aurora",
                fully_authenticated=True,
            ),
            "aurora",
            "Where is my withdrawal?",
        )
        # A note on aurora's player by aurora's own desk.
        await notes.add_note(
            uow,
            Principal(
                PrincipalKind.STAFF, member.staff.id, uuid.uuid4(), "aurora", True,
                roles=("support",), permissions=permissions_for(["support"]),
                staff_brands=("aurora",),
            ),
            "aurora", player_id, "asked about limits",
        )  # fmt: skip
        # A palette saved on aurora (by the platform: no staff session needed here).
        version = await theme_editor.save_draft(
            uow, theme_editor.Editor("staff", uuid.uuid4()), "aurora", ColourTokens().model_dump()
        )
    game, round_id = await _aurora_casino(db, player_id)
    await deposited(db, player_id, 20_00)  # a deposit for the deposit search to find
    # What the reporting actor does after commit: aurora's report has lines to refuse.
    await apply_outbox(db)
    offer, grant = await _aurora_bonus(db, player_id, member.staff.id)
    kyc_check = await _aurora_review(bettor)
    aml_alert = await _aurora_aml_alert(db, player_id)
    await _aurora_duplicate(db, registry, player_id)
    affiliate = await _aurora_affiliate(db)
    segment, campaign = await _aurora_segment(db)
    yield World(
        player=to_base64("Player", str(player_id)),
        player_email=email,
        bet=placed.data["placeBet"]["bet"]["id"],
        withdrawal=to_base64("Payment", str(withdrawal.id)),
        round=round_id,
        market=market,
        game=game,
        staff_member=to_base64("StaffMember", str(member.staff.id)),
        movement=to_base64("WalletTransaction", str(movement)),
        theme_version=to_base64("ThemeVersion", str(version.id)),
        offer=to_base64("BonusOffer", str(offer)),
        grant=to_base64("BonusGrant", str(grant)),
        kyc_check=kyc_check,
        aml_alert=to_base64("AmlAlert", str(aml_alert)),
        affiliate=to_base64("Affiliate", str(affiliate)),
        segment=to_base64("Segment", str(segment)),
        campaign=to_base64("Campaign", str(campaign)),
        conversation=to_base64("SupportConversation", str(conversation.id)),
    )
    await bettor.aclose()
    await _remove_casino(db)


# ---- the matrix ----------------------------------------------------------------------------


async def test_every_staff_field_is_refused_to_staff_of_another_brand(
    server: str, db: Database, world: World
) -> None:
    schema = build_schema(SCHEMA.read_text(encoding="utf-8"))
    matrix = cases(schema, world)
    outsider = await signed_in_staff(
        Api(server, NORTHSTAR), db, "northstar-admin@op.example", ["admin"], ["northstar"]
    )
    on_aurora = Api(server, AURORA)
    on_aurora.token = outsider.token
    before = await fingerprint(db)

    assert sorted({*staff_fields(schema), *NODE_CASES}) == sorted(matrix), "a field has no case"
    seen = {}
    for name, case in matrix.items():
        home = answer(await run(outsider, case), case.document)
        away = answer(await run(on_aurora, case), case.document)
        seen[name] = (home, away)

    leaks = {name: seen[name] for name, case in matrix.items() if not refused(case, *seen[name])}
    assert leaks == {}, f"beyond their brands: {sorted(leaks)}"
    assert await fingerprint(db) == before
    for api in (outsider, on_aurora):
        await api.aclose()


async def test_aurora_staff_see_what_the_matrix_reads(
    server: str, db: Database, world: World
) -> None:
    """The control: the same reads by an admin of aurora show aurora's data; the trading
    desk's reads (the shared book's internals) show it to the desk, staff of every brand."""
    schema = build_schema(SCHEMA.read_text(encoding="utf-8"))
    admin = await signed_in_staff(
        Api(server, AURORA), db, "aurora-admin@op.example", ["admin"], ["aurora"]
    )
    # Of every brand: the trading desk, who also reads the audit log (risk).
    desk = await signed_in_staff(Api(server, AURORA), db, "desk@op.example", ["trader", "risk"])

    for name, case in cases(schema, world).items():
        # A subscription shows nothing until something changes (its own tests cover that).
        if case.document.startswith(("mutation", "subscription")):
            continue
        reader = desk if name in DESK_READS else admin
        codes, data = answer(await reader.query(case.document, case.variables), case.document)
        assert codes == [], (name, codes)
        assert not blank(data), (name, data)
    await admin.aclose()
    await desk.aclose()


# ---- nothing reads a principal's permissions or brands around the gate --------------------

ROOT = Path(__file__).resolve().parents[2]
# The gate itself, the session lookup that builds the principal, and the viewer's list of
# its own permissions (shown, not checked).
GATE_READERS = {
    "domain/accounts/principal.py",
    "domain/accounts/sessions.py",
    "schema/accounts/queries.py",
    # The permission classes declared on schema fields (what a console page's documents
    # need), not any principal's: the back office's navigation and guard are built on them.
    "web/backoffice/access.py",
}


def test_only_the_gate_reads_a_principals_permissions_and_brands() -> None:
    """A check of `principal.permissions` elsewhere would skip the brand scope (as the
    payment and bet readers did): every check goes through require_permission."""
    readers = set()
    for package in ("domain", "resolvers", "schema", "web", "workers"):
        for path in (ROOT / package).rglob("*.py"):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            if any(
                isinstance(node, ast.Attribute) and node.attr in {"permissions", "staff_brands"}
                for node in ast.walk(tree)
            ):
                readers.add(path.relative_to(ROOT).as_posix())

    assert readers == GATE_READERS
