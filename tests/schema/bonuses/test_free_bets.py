"""Free bets over GraphQL: CRM make a free-bet offer and grant it; the player's placeBet
with freeBet is refused below the minimum odds with a typed error (nothing changed), then
placed within the terms; myFreeBets shows it used by that bet; CRM cancel an unused one."""

from __future__ import annotations

from strawberry.relay import to_base64

from domain.kernel.db import Database
from tests.schema.sportsbook.support import add_market, gid, signed_in_bettor
from tests.support import AURORA
from tests.web.bonuses.support import create_offer, crm

PLACE_BET = """mutation($i: PlaceBetInput!) { placeBet(input: $i) {
  bet { id potentialReturn { amount } } errors { code field } } }"""
GRANT = """mutation($i: GrantFreeBetInput!) { grantFreeBet(input: $i) {
  freeBet { id state amount { amount } minimumOdds } errors { code } } }"""
CANCEL = """mutation($i: CancelFreeBetInput!) { cancelFreeBet(input: $i) {
  freeBet { state } errors { code } } }"""
MINE = "{ myFreeBets { state betId amount { amount } } }"
WALLETS = "{ viewer { player { wallets { kind balance { amount } } } } }"


def _slip(outcome_id: int, odds: str, key: str) -> dict[str, object]:
    return {
        "selections": [{"outcome": gid("Outcome", outcome_id), "odds": odds}],
        "type": "SINGLE",
        "stake": {"amount": "10.00", "currency": "EUR"},
        "idempotencyKey": key,
        "freeBet": True,
    }


async def test_a_granted_free_bet_is_used_within_its_terms(server: str, db: Database) -> None:
    staff = await crm(server, db)
    offer = await create_offer(
        staff,
        code="FREEBET10",
        kind="FREE_BET",
        name="Free bet 10",
        terms={"freeBetAmount": "10.00", "freeBetMinimumOdds": "2.00", "wageringDays": 7},
    )
    spare = await create_offer(
        staff, code="SPARE", kind="FREE_BET", name="Spare", terms={"freeBetAmount": "5.00"}
    )
    bettor, player_id = await signed_in_bettor(server, AURORA, db, currency="EUR", cash_minor=1_00)
    player = to_base64("Player", str(player_id))
    granted = (
        await staff.query(
            GRANT, {"i": {"offerId": offer["id"], "playerId": player, "reason": "VIP"}}
        )
    ).data["grantFreeBet"]
    assert granted["errors"] == []
    assert (granted["freeBet"]["amount"], granted["freeBet"]["minimumOdds"]) == (
        {"amount": "10.00"}, "2.00",
    )  # fmt: skip
    market = await add_market(db, {"home": "3.00", "draw": "1.50", "away": "2.50"})

    low = await bettor.query(PLACE_BET, {"i": _slip(market.outcomes["draw"], "1.50", "k1")})
    placed = await bettor.query(PLACE_BET, {"i": _slip(market.outcomes["home"], "3.00", "k2")})

    assert low.data["placeBet"]["errors"] == [
        {"code": "FREE_BET_ODDS_TOO_LOW", "field": "selections"}
    ]
    assert placed.data["placeBet"]["errors"] == []
    assert placed.data["placeBet"]["bet"]["potentialReturn"] == {"amount": "20.00"}
    mine = (await bettor.query(MINE)).data["myFreeBets"]
    assert mine == [
        {
            "state": "USED",
            "betId": placed.data["placeBet"]["bet"]["id"],
            "amount": {"amount": "10.00"},
        }
    ]

    other = (
        await staff.query(
            GRANT, {"i": {"offerId": spare["id"], "playerId": player, "reason": "Oops"}}
        )
    ).data["grantFreeBet"]
    cancelled = (
        await staff.query(CANCEL, {"i": {"freeBetId": other["freeBet"]["id"], "reason": "Oops"}})
    ).data["cancelFreeBet"]
    assert cancelled == {"freeBet": {"state": "CANCELLED"}, "errors": []}
    wallets = (await bettor.query(WALLETS)).data["viewer"]["player"]["wallets"]
    assert {w["kind"]: w["balance"]["amount"] for w in wallets}.get(
        "SPORTSBOOK_FREE_BET", "0.00"
    ) == ("0.00")


CLAIM = (
    """mutation($i: ClaimBonusInput!) { claimBonus(input: $i) { grant { id } errors { code } } }"""
)
CLAIM_FREE_BET = """mutation($i: ClaimFreeBetInput!) { claimFreeBet(input: $i) {
  freeBet { state amount { amount } } errors { code } } }"""
GRANT_BONUS = """mutation($i: GrantBonusInput!) { grantBonus(input: $i) {
  grant { id } errors { code field } } }"""


async def test_a_free_bet_offer_is_not_a_money_bonus(server: str, db: Database) -> None:
    staff = await crm(server, db)
    offer = await create_offer(
        staff, code="FB5", kind="FREE_BET", name="Free bet 5", terms={"freeBetAmount": "5.00"}
    )
    bettor, player_id = await signed_in_bettor(server, AURORA, db, currency="EUR", cash_minor=1_00)
    player = to_base64("Player", str(player_id))

    claimed = (await bettor.query(CLAIM, {"i": {"code": "FB5"}})).data["claimBonus"]
    granted = (
        await staff.query(
            GRANT_BONUS,
            {"i": {"offerId": offer["id"], "playerId": player, "amount": "50.00", "reason": "x"}},
        )
    ).data["grantBonus"]

    assert claimed == {"grant": None, "errors": [{"code": "NOT_ELIGIBLE"}]}
    assert granted == {"grant": None, "errors": [{"code": "INVALID_TERMS", "field": "offerId"}]}

    # The player claims it as what it is, once.
    free_bet = (await bettor.query(CLAIM_FREE_BET, {"i": {"code": "FB5"}})).data["claimFreeBet"]
    again = (await bettor.query(CLAIM_FREE_BET, {"i": {"code": "FB5"}})).data["claimFreeBet"]
    assert free_bet == {"freeBet": {"state": "ACTIVE", "amount": {"amount": "5.00"}}, "errors": []}
    assert again == {"freeBet": None, "errors": [{"code": "ALREADY_CLAIMED"}]}
