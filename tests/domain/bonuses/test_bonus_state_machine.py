"""A Hypothesis state machine over bonus money on the real money path: claims (staff
grants from the house bonus account), casino stakes through the bet callback's domain
service (max bet refused inside the stake, wagering counted there, completion converting
up to the cap and forfeiting the rest), wins split back in proportion, rollbacks (refund
and progress taken back), player forfeits and expiry sweeps, and free spins (granted at
the studio, played as free-round bets, their wins paid to cash or into a grant of their
own with the offer's wagering). A model predicts every
outcome, each wallet and each grant's state and progress; after every step the database
agrees with it and the ledger's invariants hold.

Run like the ledger machine (tests/domain/wallets/test_state_machine.py): the machine runs
in a worker thread and submits each step to the session's event loop."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Coroutine
from dataclasses import dataclass, field
from typing import Any, Final, TypeVar

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    consumes,
    invariant,
    multiple,
    rule,
    run_state_machine_as_test,
)
from sqlalchemy import select, text

from domain.bonuses import free_rounds, grants, lifecycle, offers
from domain.bonuses.models import BonusGrant, FreeRounds, OfferKind
from domain.bonuses.offers import OfferDraft
from domain.bonuses.terms import Eligibility, Terms, WinningsWallet
from domain.brands.service import Brand, BrandRegistry
from domain.casino import service as casino
from domain.casino.catalog import ORIGINALS, seed_demo_catalog
from domain.casino.errors import LimitReached, NotEnoughMoney
from domain.casino.protocol import WalletOperation, WalletRequest
from domain.kernel.db import Database
from domain.originals.free_rounds import StudioFreeRounds
from domain.wallets import invariants
from domain.wallets.models import HouseAccountKind, WalletKind
from domain.wallets.service import balances, house_account_id, transfer, wallet_id
from tests.domain.bonuses.test_jurisdiction_rules import CRM
from tests.support import create_player

BRAND: Final = "aurora"
GAME: Final = "originals-slot"
STEP_TIMEOUT_S: Final = 30.0
CASH_START: Final = 500
SPIN_STAKE: Final = 20
SETTINGS: Final = settings(
    max_examples=15,
    stateful_step_count=18,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
T = TypeVar("T")


@dataclass
class ModelGrant:
    id: uuid.UUID
    bonus_minor: int
    required_minor: int
    max_bet_minor: int | None
    max_conversion_minor: int
    wagered_minor: int = 0
    state: str = "active"


@dataclass
class ModelReward:
    id: uuid.UUID
    rounds_left: int
    to_bonus: bool
    multiplier: int
    grant: ModelGrant | None = None


@dataclass(frozen=True)
class Stake:
    ref: str
    amount_minor: int
    split: dict[WalletKind, int]
    grant: uuid.UUID | None


@dataclass
class World:
    db: Database
    brand: Brand
    player_id: uuid.UUID = field(default_factory=uuid.uuid4)
    token: str = ""
    calls: int = 0


class BonusMachine(RuleBasedStateMachine):
    stakes = Bundle("stakes")

    def __init__(self, world: World, loop: asyncio.AbstractEventLoop) -> None:
        super().__init__()
        self._world = world
        self._loop = loop
        self._cash = CASH_START
        self._bonus = 0
        self._grants: list[ModelGrant] = []
        self._rewards: list[ModelReward] = []
        self._run(self._start())

    # -- rules ----------------------------------------------------------------------------

    @rule(
        amount=st.integers(100, 5_000),
        multiplier=st.integers(0, 2),
        max_bet=st.one_of(st.none(), st.integers(50, 3_000)),
    )
    def claim(self, amount: int, multiplier: int, max_bet: int | None) -> None:
        grant_id = self._run(self._claim(amount, multiplier, max_bet))
        self._grants.append(ModelGrant(grant_id, amount, amount * multiplier, max_bet, amount))
        self._bonus += amount

    @rule(rounds=st.integers(1, 3), to_bonus=st.booleans(), multiplier=st.integers(0, 2))
    def grant_free_spins(self, rounds: int, to_bonus: bool, multiplier: int) -> None:
        reward = self._run(self._grant_spins(rounds, to_bonus, multiplier))
        self._rewards.append(ModelReward(reward, rounds, to_bonus, multiplier))

    @rule(amount=st.integers(0, 3_000))
    def free_spin(self, amount: int) -> None:
        """A free round and its win: no money staked; the win to cash, or into the spins'
        grant (grown while it is active, a new one after it ended)."""
        open_ = [r for r in self._rewards if r.rounds_left > 0]
        if not open_:
            return
        reward = open_[0]
        self._run(self._free_spin(reward.id, amount))
        reward.rounds_left -= 1
        if amount == 0:
            return
        if not reward.to_bonus:
            self._cash += amount
            return
        self._bonus += amount
        grant = reward.grant
        if grant is not None and grant.state == "active":
            grant.bonus_minor += amount
        else:
            grant_id = self._run(self._newest_grant_of(reward.id))
            grant = ModelGrant(grant_id, amount, 0, None, 0)
            self._grants.append(grant)
            reward.grant = grant
        grant.required_minor = grant.bonus_minor * reward.multiplier
        grant.max_conversion_minor = grant.bonus_minor
        if grant.wagered_minor >= grant.required_minor:
            self._end(grant, "converted")

    @rule(target=stakes, share=st.integers(1, 120))
    def stake(self, share: int) -> Any:
        """A share of what the player holds: often above a max bet, sometimes above it all."""
        return self._stake(max(1, (self._cash + self._bonus) * share // 100))

    @rule(target=stakes, share=st.integers(1, 100))
    def stake_within_the_max_bet(self, share: int) -> Any:
        """A share of the lowest max bet (or of what the player holds): it counts."""
        limits = [g.max_bet_minor for g in self._active() if g.max_bet_minor is not None]
        ceiling = min([*limits, self._cash + self._bonus])
        return self._stake(max(1, ceiling * share // 100))

    @rule(share=st.integers(1, 100), amount=st.integers(0, 50_000))
    def spin_and_win(self, share: int, amount: int) -> None:
        """A spin within the max bet and its win at once (a slot round): wins on bonus money
        grow the bonus, so a later completion meets the conversion cap."""
        placed = self.stake_within_the_max_bet(share)
        if isinstance(placed, Stake):
            self.win(placed, amount)

    def _stake(self, amount: int) -> Any:
        active = self._active()
        limits = [g.max_bet_minor for g in active if g.max_bet_minor is not None]
        ref = f"s-{uuid.uuid4().hex}"
        outcome = self._run_refusable(self._bet(ref, amount))
        if limits and amount > min(limits):
            assert isinstance(outcome, LimitReached), outcome
            return multiple()
        if amount > self._cash + self._bonus:
            assert isinstance(outcome, NotEnoughMoney), outcome
            return multiple()
        assert outcome is None, outcome
        from_cash = min(self._cash, amount)
        split = {WalletKind.CASH: from_cash, WalletKind.BONUS: amount - from_cash}
        self._cash -= from_cash
        self._bonus -= amount - from_cash
        fed = active[0] if active else None
        if fed is not None:
            fed.wagered_minor += amount  # the slot's category is unnamed: casino 100 %
            if fed.wagered_minor >= fed.required_minor:
                self._end(fed, "converted")
        return Stake(ref, amount, {k: v for k, v in split.items() if v}, fed.id if fed else None)

    @rule(stake=consumes(stakes), amount=st.integers(0, 50_000))
    def win(self, stake: Stake, amount: int) -> None:
        self._run(self._settle(stake, amount))
        total = sum(stake.split.values())
        to_bonus = amount * stake.split.get(WalletKind.BONUS, 0) // total
        self._bonus += to_bonus
        self._cash += amount - to_bonus

    @rule(stake=consumes(stakes))
    def rollback(self, stake: Stake) -> None:
        self._run(self._rollback(stake))
        self._cash += stake.split.get(WalletKind.CASH, 0)
        self._bonus += stake.split.get(WalletKind.BONUS, 0)
        for grant in self._grants:
            if grant.id == stake.grant and grant.state == "active":
                grant.wagered_minor = max(0, grant.wagered_minor - stake.amount_minor)

    @rule(pick=st.integers(0, 10))
    def forfeit(self, pick: int) -> None:
        active = self._active()
        if not active:
            return
        grant = active[pick % len(active)]
        self._run(self._forfeit(grant.id))
        self._end(grant, "forfeited")

    @rule()
    def expire_the_oldest(self) -> None:
        active = self._active()
        if not active:
            return
        self._run(self._expire(active[0].id))
        self._end(active[0], "expired")

    # -- the check after every step -------------------------------------------------------

    @invariant()
    def database_agrees_with_the_model(self) -> None:
        wallets, found, violations = self._run(self._observe())
        assert violations == {name: [] for name in violations}
        assert (wallets.get(WalletKind.CASH, 0), wallets.get(WalletKind.BONUS, 0)) == (
            self._cash, self._bonus,
        )  # fmt: skip
        assert found == {g.id: (g.state, g.wagered_minor) for g in self._grants}

    # -- the model ------------------------------------------------------------------------

    def _active(self) -> list[ModelGrant]:
        return [g for g in self._grants if g.state == "active"]

    def _end(self, grant: ModelGrant, state: str) -> None:
        others = sum(g.bonus_minor for g in self._active() if g is not grant)
        held = max(0, self._bonus - others)
        converted = min(held, grant.max_conversion_minor) if state == "converted" else 0
        self._bonus -= held
        self._cash += converted
        grant.state = state

    # -- the database ---------------------------------------------------------------------

    def _request(self, operation: WalletOperation, **fields: Any) -> WalletRequest:
        return WalletRequest(
            operation=operation, request_uuid=str(uuid.uuid4()), token=self._world.token,
            user=str(self._world.player_id), game_code=GAME, currency="EUR", **fields,
        )  # fmt: skip

    async def _start(self) -> None:
        world = self._world
        world.player_id = await create_player(world.db, _registry(world))
        async with world.db.transaction() as uow:
            source = await house_account_id(uow, BRAND, HouseAccountKind.PSP_CLEARING, "EUR")
            cash = await wallet_id(uow, BRAND, world.player_id, WalletKind.CASH, "EUR")
            await transfer(
                uow, brand=BRAND, kind="deposit", source=source, destination=cash,
                amount_minor=CASH_START, scope=None, key=None,
            )  # fmt: skip
            session = await casino.launch(
                uow, brand=BRAND, player_id=world.player_id, provider=ORIGINALS.code,
                game_code=GAME,
            )  # fmt: skip
        world.token = session.token

    async def _claim(self, amount: int, multiplier: int, max_bet: int | None) -> uuid.UUID:
        draft = OfferDraft(
            kind=OfferKind.SIGN_UP, name="Gift", code=None, currency="EUR",
            terms=Terms(bonus_minor=amount, wagering_multiplier=multiplier,
                        max_bet_minor=max_bet, max_conversion_multiplier=1),
            eligibility=Eligibility(),
        )  # fmt: skip
        async with self._world.db.transaction() as uow:
            offer = await offers.create_offer(uow, CRM, self._world.brand, draft)
            grant = await grants.grant_by_staff(
                uow, CRM, BRAND, offer, self._world.player_id, bonus_minor=None, reason="test"
            )
        self._world.calls += 1
        return grant.id

    async def _grant_spins(self, rounds: int, to_bonus: bool, multiplier: int) -> uuid.UUID:
        draft = OfferDraft(
            kind=OfferKind.FREE_SPINS, name="Spins", code=None, currency="EUR",
            terms=Terms(free_spins=rounds, free_spin_stake_minor=SPIN_STAKE,
                        free_spins_provider=ORIGINALS.code, free_spin_games=(GAME,),
                        winnings_wallet=WinningsWallet.BONUS if to_bonus else WinningsWallet.CASH,
                        wagering_multiplier=multiplier, max_conversion_multiplier=1),
            eligibility=Eligibility(),
        )  # fmt: skip
        db = self._world.db
        async with db.transaction() as uow:
            offer = await offers.create_offer(uow, CRM, self._world.brand, draft)
            spins = await free_rounds.grant_free_spins_by_staff(
                uow, CRM, BRAND, offer, self._world.player_id, reason="test"
            )
        activated = await free_rounds.activate(db, StudioFreeRounds(db), spins.id)
        assert activated.state == "active"
        return spins.id

    async def _free_spin(self, reward: uuid.UUID, amount: int) -> None:
        ref = f"f-{uuid.uuid4().hex}"
        bet = self._request(
            WalletOperation.BET, transaction_uuid=ref, round=f"r-{ref}",
            amount_minor=SPIN_STAKE, is_free=True, reward_uuid=str(reward),
        )  # fmt: skip
        win = self._request(
            WalletOperation.WIN, transaction_uuid=f"w-{ref}", round=f"r-{ref}",
            reference_transaction_uuid=ref, amount_minor=amount, round_closed=True,
        )  # fmt: skip
        async with self._world.db.transaction() as uow:
            await casino.bet(uow, brand=self._world.brand, provider=ORIGINALS.code, request=bet)
        async with self._world.db.transaction() as uow:
            await casino.win(uow, brand=self._world.brand, provider=ORIGINALS.code, request=win)
        self._world.calls += 1

    async def _newest_grant_of(self, reward: uuid.UUID) -> uuid.UUID:
        async with self._world.db.uow() as uow:
            found = await uow.session.scalar(
                select(FreeRounds.grant_id).where(FreeRounds.id == reward)
            )
        assert found is not None
        return found

    async def _bet(self, ref: str, amount: int) -> None:
        request = self._request(
            WalletOperation.BET, transaction_uuid=ref, round=f"r-{ref}", amount_minor=amount
        )
        async with self._world.db.transaction() as uow:
            await casino.bet(uow, brand=self._world.brand, provider=ORIGINALS.code, request=request)
        self._world.calls += 1

    async def _settle(self, stake: Stake, amount: int) -> None:
        request = self._request(
            WalletOperation.WIN, transaction_uuid=f"w-{stake.ref}", round=f"r-{stake.ref}",
            reference_transaction_uuid=stake.ref, amount_minor=amount, round_closed=True,
        )  # fmt: skip
        async with self._world.db.transaction() as uow:
            await casino.win(uow, brand=self._world.brand, provider=ORIGINALS.code, request=request)

    async def _rollback(self, stake: Stake) -> None:
        request = self._request(
            WalletOperation.ROLLBACK, transaction_uuid=f"rb-{stake.ref}", round=f"r-{stake.ref}",
            reference_transaction_uuid=stake.ref, round_closed=True,
        )  # fmt: skip
        async with self._world.db.transaction() as uow:
            await casino.rollback(
                uow, brand=self._world.brand, provider=ORIGINALS.code, request=request
            )

    async def _forfeit(self, grant_id: uuid.UUID) -> None:
        async with self._world.db.transaction() as uow:
            await grants.forfeit(uow, self._world.player_id, BRAND, grant_id)

    async def _expire(self, grant_id: uuid.UUID) -> None:
        async with self._world.db.transaction() as uow:
            await uow.session.execute(
                text("UPDATE bonus_grants SET expires_at = now() - interval '1 second' "
                     "WHERE id = :g"),
                {"g": grant_id},
            )  # fmt: skip
        async with self._world.db.transaction() as uow:
            assert await lifecycle.expire_due(uow) == 1

    async def _observe(
        self,
    ) -> tuple[dict[WalletKind, int], dict[uuid.UUID, tuple[str, int]], dict[str, list[int]]]:
        async with self._world.db.uow() as uow:
            held = await balances(uow, BRAND, self._world.player_id)
            rows = await uow.session.execute(
                select(BonusGrant.id, BonusGrant.state, BonusGrant.wagered_minor).where(
                    BonusGrant.player_id == self._world.player_id
                )
            )
            report = await invariants.check(uow)
        return (
            {b.kind: b.amount_minor for b in held},
            {row.id: (row.state, row.wagered_minor) for row in rows},
            report.violations,
        )

    def _run(self, coroutine: Coroutine[Any, Any, T]) -> T:
        future = asyncio.run_coroutine_threadsafe(coroutine, self._loop)
        try:
            return future.result(timeout=STEP_TIMEOUT_S)
        except TimeoutError:
            future.cancel()
            raise

    def _run_refusable(self, coroutine: Coroutine[Any, Any, None]) -> Exception | None:
        try:
            self._run(coroutine)
        except (LimitReached, NotEnoughMoney) as error:
            return error
        return None


_REGISTRIES: dict[int, BrandRegistry] = {}


def _registry(world: World) -> BrandRegistry:
    return _REGISTRIES[id(world)]


async def test_every_bonus_step_keeps_the_model_and_the_invariants(
    db: Database, registry: BrandRegistry
) -> None:
    async with db.transaction() as uow:
        await seed_demo_catalog(uow, [BRAND])
    world = World(db, registry.get(BRAND))
    _REGISTRIES[id(world)] = registry
    loop = asyncio.get_running_loop()

    await asyncio.to_thread(
        run_state_machine_as_test, lambda: BonusMachine(world, loop), settings=SETTINGS
    )
    assert world.calls >= SETTINGS.max_examples
