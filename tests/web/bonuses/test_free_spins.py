"""Free spins through the casino protocol: a free-spins offer grants free rounds at the
provider (the Originals studio's free-rounds API), the provider's signed free-round
callbacks (`is_free`, `reward_uuid`) are accepted and their wins are paid through the
ledger to cash or as bonus money under the offer's wagering, once per win id."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta

import pytest
from strawberry.relay import from_base64, to_base64

from domain.bonuses import free_rounds
from domain.bonuses.lifecycle import Actor
from domain.bonuses.models import BonusOffer, FreeRounds, OfferKind
from domain.bonuses.offers import OfferDraft, create_demo_offer
from domain.bonuses.terms import Eligibility, Terms, WinningsWallet
from domain.brands.service import BrandRegistry
from domain.casino.catalog import ORIGINALS, seed_demo_catalog
from domain.casino.service import launch
from domain.integrations.free_rounds import RewardStatus
from domain.kernel import clock
from domain.kernel.db import Database
from domain.originals.free_rounds import StudioFreeRounds
from domain.wallets.models import WalletKind
from tests.support import create_player
from tests.web.bonuses.support import create_offer, crm, depositing_player
from tests.web.provider_simulator import ProviderSimulator
from tests.web.providers.conftest import (
    BRAND,
    assert_invariants,
    execute,
    fund,
    wallets,
)
from tests.web.test_cli import run_cli

SLOT = "originals-slot"
DICE = "originals-dice"
STAKE = 20


async def _offer(
    db: Database,
    registry: BrandRegistry,
    *,
    wallet: WinningsWallet = WinningsWallet.CASH,
    spins: int = 3,
    multiplier: int = 0,
    days: int = 7,
) -> BonusOffer:
    terms = Terms(
        free_spins=spins,
        free_spin_stake_minor=STAKE,
        free_spins_provider=ORIGINALS.code,
        free_spin_games=(SLOT,),
        winnings_wallet=wallet,
        wagering_multiplier=multiplier,
        wagering_days=days,
    )
    draft = OfferDraft(
        OfferKind.FREE_SPINS, f"Spins {uuid.uuid4().hex[:6]}", None, "EUR", terms, Eligibility()
    )
    async with db.transaction() as uow:
        offer = await create_demo_offer(uow, registry.get(BRAND), draft)
    return offer


async def _player(
    db: Database, registry: BrandRegistry, server: str, game: str = SLOT
) -> tuple[uuid.UUID, ProviderSimulator]:
    async with db.transaction() as uow:
        await seed_demo_catalog(uow, [BRAND])
    player_id = await create_player(db, registry)
    await fund(db, player_id, WalletKind.CASH, 300)
    return player_id, await _session(db, server, player_id, game)


async def _session(db: Database, server: str, player_id: uuid.UUID, game: str) -> ProviderSimulator:
    async with db.transaction() as uow:
        session = await launch(
            uow, brand=BRAND, player_id=player_id, provider=ORIGINALS.code, game_code=game
        )
    return ProviderSimulator(server, session.token, str(player_id), game_code=game)


async def _granted(
    db: Database, offer: BonusOffer, player_id: uuid.UUID, studio: StudioFreeRounds
) -> FreeRounds:
    async with db.transaction() as uow:
        rounds = await free_rounds.grant_free_spins(
            uow, BRAND, offer, player_id, actor=Actor.system()
        )
    return await free_rounds.activate(db, studio, rounds.id)


async def _rounds(db: Database, rounds_id: uuid.UUID) -> tuple[str, int, int]:
    row = await execute(
        db, "SELECT state, rounds_used, won_minor FROM bonus_free_rounds WHERE id = :i", i=rounds_id
    )
    return (str(row[0][0]), int(str(row[0][1])), int(str(row[0][2])))


async def test_free_spins_won_as_cash_are_paid_once_from_the_house_bonus_account(
    server: str, db: Database, registry: BrandRegistry
) -> None:
    studio = StudioFreeRounds(db)
    offer = await _offer(db, registry)
    player_id, slot = await _player(db, registry, server)
    granted = await _granted(db, offer, player_id, studio)
    reward = str(granted.id)
    assert granted.state == "active"
    assert (await studio.free_rounds_status(ORIGINALS.code, reward)).status is RewardStatus.ACTIVE

    spin = await slot.bet("fs-1", STAKE, "fr1", is_free=True, reward_uuid=reward)
    assert (spin.status, spin.balance) == ("RS_OK", 300)  # no money staked
    won = await slot.win("fw-1", "fs-1", 150, "fr1", round_closed=True)
    again = await slot.win("fw-1", "fs-1", 150, "fr1", round_closed=True)

    assert (won.status, won.balance) == ("RS_OK", 450)
    assert (again.status, again.balance) == ("RS_OK", 450)
    assert await wallets(db, player_id) == {"cash": 450, "bonus": 0}
    assert await _rounds(db, granted.id) == ("active", 1, 150)
    # One balanced posting, from the house bonus account, keyed by the provider's win id.
    assert await execute(
        db,
        "SELECT t.kind, a.kind, e.amount FROM ledger_transactions t "
        "JOIN ledger_entries e ON e.transaction_id = t.id "
        "JOIN ledger_accounts a ON a.id = e.account_id "
        "WHERE t.metadata ->> 'free_rounds' = :r ORDER BY e.amount",
        r=reward,
    ) == [("bonus.free_round_win", "bonus_pool", -150), ("bonus.free_round_win", "cash", 150)]
    await assert_invariants(db)
    await slot.aclose()


async def test_a_free_round_is_refused_unless_it_matches_the_reward(
    server: str, db: Database, registry: BrandRegistry
) -> None:
    studio = StudioFreeRounds(db)
    offer = await _offer(db, registry, spins=2)
    player_id, slot = await _player(db, registry, server)
    dice = await _session(db, server, player_id, DICE)
    reward = str((await _granted(db, offer, player_id, studio)).id)

    wrong_stake = await slot.bet("x-1", STAKE + 1, "x1", is_free=True, reward_uuid=reward)
    wrong_game = await dice.bet("x-2", STAKE, "x2", is_free=True, reward_uuid=reward)
    unknown = await slot.bet("x-3", STAKE, "x3", is_free=True, reward_uuid=str(uuid.uuid4()))
    no_reward = await slot.bet("x-4", STAKE, "x4", is_free=True)
    other_player, other_slot = await _player(db, registry, server)
    not_theirs = await other_slot.bet("x-5", STAKE, "x5", is_free=True, reward_uuid=reward)

    assert [r.status for r in (wrong_stake, wrong_game, unknown, not_theirs)] == [
        "RS_ERROR_UNKNOWN"
    ] * 4
    assert (no_reward.http_status, no_reward.status) == (400, "RS_ERROR_UNKNOWN")
    assert await _rounds(db, uuid.UUID(reward)) == ("active", 0, 0)
    assert await execute(
        db, "SELECT count(*) FROM casino_transactions WHERE transaction_uuid LIKE 'x-%'"
    ) == [(0,)]

    # Two rounds, one rolled back (it is the player's again), then both played: used up.
    assert (await slot.bet("s-1", STAKE, "s1", is_free=True, reward_uuid=reward)).status == "RS_OK"
    assert (await slot.rollback("rb-1", "s-1", "s1")).status == "RS_OK"
    assert await _rounds(db, uuid.UUID(reward)) == ("active", 0, 0)
    assert (await slot.bet("s-2", STAKE, "s2", is_free=True, reward_uuid=reward)).status == "RS_OK"
    assert (await slot.bet("s-3", STAKE, "s3", is_free=True, reward_uuid=reward)).status == "RS_OK"
    third = await slot.bet("s-4", STAKE, "s4", is_free=True, reward_uuid=reward)
    # The wins of rounds played settle after the reward is used up.
    assert (await slot.win("w-3", "s-3", 40, "s3", round_closed=True)).status == "RS_OK"

    assert third.status == "RS_ERROR_UNKNOWN"
    assert await _rounds(db, uuid.UUID(reward)) == ("completed", 2, 40)
    assert await wallets(db, player_id) == {"cash": 340, "bonus": 0}
    assert await wallets(db, other_player) == {"cash": 300, "bonus": 0}
    await assert_invariants(db)
    for simulator in (slot, dice, other_slot):
        await simulator.aclose()


async def test_free_spins_won_as_bonus_are_held_by_a_grant_with_the_offer_wagering(
    server: str, db: Database, registry: BrandRegistry
) -> None:
    studio = StudioFreeRounds(db)
    offer = await _offer(db, registry, wallet=WinningsWallet.BONUS, multiplier=10)
    player_id, slot = await _player(db, registry, server)
    reward = str((await _granted(db, offer, player_id, studio)).id)

    await slot.bet("b-1", STAKE, "b1", is_free=True, reward_uuid=reward)
    await slot.win("bw-1", "b-1", 100, "b1", round_closed=True)
    await slot.bet("b-2", STAKE, "b2", is_free=True, reward_uuid=reward)
    await slot.win("bw-2", "b-2", 50, "b2", round_closed=True)
    await slot.win("bw-2", "b-2", 50, "b2", round_closed=True)

    assert await wallets(db, player_id) == {"cash": 300, "bonus": 150}
    assert await execute(
        db,
        "SELECT state, bonus_minor, required_minor FROM bonus_grants WHERE player_id = :p",
        p=player_id,
    ) == [("active", 150, 1500)]
    await assert_invariants(db)
    await slot.aclose()


async def test_the_status_sync_sends_again_ends_and_expires_and_runs_twice_safely(
    server: str, db: Database, registry: BrandRegistry, monkeypatch: pytest.MonkeyPatch
) -> None:
    del server
    offer = await _offer(db, registry, days=1)
    player_id, slot = await _player(db, registry, "http://unused")
    await slot.aclose()
    slow = StudioFreeRounds(db, delay_s=0.2, timeout_s=0.05)
    pending = await _granted(db, offer, player_id, slow)
    assert pending.state == "pending"  # no answer: kept, to be sent again

    studio = StudioFreeRounds(db)
    first = await free_rounds.sync(db, studio)
    again = await free_rounds.sync(db, studio)
    assert (await _rounds(db, pending.id))[0] == "active"
    assert (first.confirmed, again.confirmed, again.ended) == (1, 0, 0)

    # The provider ends the reward (cancelled on its side): the sync ends it here too.
    await studio.cancel_free_rounds(ORIGINALS.code, str(pending.id))
    await free_rounds.sync(db, studio)
    assert (await _rounds(db, pending.id))[0] == "cancelled"

    other = await _offer(db, registry, days=1)
    expiring = await _granted(db, other, player_id, studio)
    later = clock.now() + timedelta(days=1, minutes=1)
    monkeypatch.setattr(clock, "now", lambda: later)
    swept = await free_rounds.sync(db, studio)
    assert swept.expired == 1
    assert (await _rounds(db, expiring.id))[0] == "expired"
    assert (await free_rounds.sync(db, studio)).expired == 0
    by_hand = await asyncio.to_thread(run_cli, "bonuses", "free-rounds-sync")
    assert by_hand.returncode == 0, by_hand.stderr
    assert by_hand.stdout.startswith("expired ")


FREE_SPINS = (
    "id state provider games rounds roundsUsed roundsLeft stake { amount } won { amount } "
    "winningsWallet"
)
GRANT_FREE_SPINS = f"""mutation($i: GrantFreeSpinsInput!) {{ grantFreeSpins(input: $i) {{
  freeSpins {{ {FREE_SPINS} }} errors {{ code field }} }} }}"""
CANCEL_FREE_SPINS = f"""mutation($i: CancelFreeSpinsInput!) {{ cancelFreeSpins(input: $i) {{
  freeSpins {{ {FREE_SPINS} }} errors {{ code field }} }} }}"""
MY_FREE_SPINS = f"query {{ myFreeSpins {{ {FREE_SPINS} }} }}"


async def test_crm_grants_free_spins_over_graphql_the_player_plays_them_and_crm_cancels(
    server: str, db: Database, registry: BrandRegistry
) -> None:
    staff = await crm(server, db)
    offer = await create_offer(
        staff,
        code="SPINS10",
        kind="FREE_SPINS",
        name="Ten spins",
        terms={
            "freeSpins": 10,
            "freeSpinStake": "0.20",
            "freeSpinsProvider": ORIGINALS.code,
            "freeSpinGames": [SLOT],
            "winningsWallet": "CASH",
        },
    )
    player, player_id = await depositing_player(server)
    grant_input = {
        "offerId": offer["id"],
        "playerId": to_base64("Player", str(player_id)),
        "reason": "VIP welcome",
    }
    granted = (await staff.query(GRANT_FREE_SPINS, {"i": grant_input})).data["grantFreeSpins"]
    assert granted["errors"] == []
    spins = granted["freeSpins"]
    assert (spins["state"], spins["rounds"], spins["stake"], spins["games"]) == (
        "ACTIVE", 10, {"amount": "0.20"}, [SLOT],
    )  # fmt: skip
    again = (await staff.query(GRANT_FREE_SPINS, {"i": grant_input})).data["grantFreeSpins"]
    assert [e["code"] for e in again["errors"]] == ["ALREADY_CLAIMED"]

    async with db.transaction() as uow:
        await seed_demo_catalog(uow, [BRAND])

    slot = await _session(db, server, player_id, SLOT)
    reward = from_base64(spins["id"])[1]
    assert (await slot.bet("g-1", STAKE, "g1", is_free=True, reward_uuid=reward)).status == "RS_OK"
    assert (await slot.win("gw-1", "g-1", 250, "g1", round_closed=True)).status == "RS_OK"
    mine = (await player.query(MY_FREE_SPINS)).data["myFreeSpins"]
    assert [(s["roundsUsed"], s["roundsLeft"], s["won"]) for s in mine] == [
        (1, 9, {"amount": "2.50"})
    ]

    cancelled = (
        await staff.query(
            CANCEL_FREE_SPINS, {"i": {"freeSpinsId": spins["id"], "reason": "Sent by mistake"}}
        )
    ).data["cancelFreeSpins"]
    assert cancelled["errors"] == []
    assert (cancelled["freeSpins"]["state"], cancelled["freeSpins"]["roundsLeft"]) == (
        "CANCELLED", 0,
    )  # fmt: skip
    # The provider withdrew the rest; a spin after the cancel is refused; the win stays.
    studio = StudioFreeRounds(db)
    assert (await studio.free_rounds_status(ORIGINALS.code, reward)).status is (
        RewardStatus.CANCELLED
    )
    assert (await slot.bet("g-2", STAKE, "g2", is_free=True, reward_uuid=reward)).status == (
        "RS_ERROR_UNKNOWN"
    )
    assert await wallets(db, player_id) == {"cash": 100_00 + 250, "bonus": 0}
    await assert_invariants(db)
    await slot.aclose()


CLAIM_FREE_SPINS = f"""mutation($i: ClaimFreeSpinsInput!) {{ claimFreeSpins(input: $i) {{
  freeSpins {{ {FREE_SPINS} }} errors {{ code }} }} }}"""


async def test_a_player_claims_free_spins_by_code_once(server: str, db: Database) -> None:
    staff = await crm(server, db)
    await create_offer(
        staff,
        code="SPINSME",
        kind="FREE_SPINS",
        name="Five spins",
        terms={
            "freeSpins": 5,
            "freeSpinStake": "0.10",
            "freeSpinsProvider": ORIGINALS.code,
            "freeSpinGames": [SLOT],
        },
    )
    player, _ = await depositing_player(server)

    first = (await player.query(CLAIM_FREE_SPINS, {"i": {"code": "spinsme"}})).data
    again = (await player.query(CLAIM_FREE_SPINS, {"i": {"code": "SPINSME"}})).data

    spins = first["claimFreeSpins"]["freeSpins"]
    assert (spins["state"], spins["roundsLeft"], spins["stake"]) == (
        "ACTIVE",
        5,
        {"amount": "0.10"},
    )
    assert again["claimFreeSpins"] == {"freeSpins": None, "errors": [{"code": "ALREADY_CLAIMED"}]}
