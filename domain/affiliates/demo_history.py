"""Demo history: weeks of activity on every brand, so reports, dashboards and affiliate
statements have something to show on a fresh machine (`stakehouse seed --demo
--history-weeks N`, and `stakehouse dev --history-weeks N`).

Everything goes through the domain's own paths: players register through onboarding
(some through the demo affiliates' tracking codes), deposits are the PSP settlement's
ledger posting, and bets and wins are the Originals Dice seamless-wallet calls
(`domain.casino.service`), each in its own transaction as the callbacks run them. What the
app cannot do is live in the past: after each simulated day, the owner role moves that
day's new ledger transactions (recomputing their tamper-evidence digests, which cover the
time), registrations and referrals back to that day. Then the read model is rebuilt over
the range, rates are loaded and the closed months' affiliate statements are written.
Sportsbook activity is not generated yet (its markets come from the feed simulator).

It lives in the affiliates context because that context sits at the top of the domain's
layers (it may use every other context, as the history needs) and the demo affiliates are
part of what it makes.

Deterministic for a seed, and run once: a brand that already has the demo affiliates is
left alone.
"""

from __future__ import annotations

import logging
import random
import uuid
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Final

from sqlalchemy import select, text

from domain.accounts.players import Registration
from domain.affiliates import attribution, programme, statements
from domain.affiliates.models import Affiliate, PlanKind
from domain.affiliates.programme import CpaTerms, Plan
from domain.brands.service import Brand, BrandRegistry
from domain.casino.catalog import ORIGINALS, seed_demo_catalog
from domain.casino.protocol import WalletOperation, WalletRequest
from domain.casino.service import bet, launch, win
from domain.compliance.onboarding import register
from domain.integrations.rates import SandboxRates
from domain.kernel import clock
from domain.kernel.db import Database
from domain.kernel.errors import DomainError
from domain.kernel.money import exponent
from domain.reporting import rates, service
from domain.reporting.formula import Formula
from domain.wallets import redating
from domain.wallets.models import HouseAccountKind, WalletKind
from domain.wallets.service import house_account_id, transfer, wallet_id

log = logging.getLogger(__name__)

GAME: Final = "originals-dice"
DEMO_PASSWORD: Final = "stakehouse-history-1"  # noqa: S105 (dev-only generated players)
CPA_NAME: Final = "Demo CPA Partners"
SHARE_NAME: Final = "Demo RevShare Media"
WEEKS_MAX: Final = 12


class HistoryRefused(DomainError):
    """Demo history re-dates ledger rows: never on a production deployment."""

    code = "REFUSED_IN_PRODUCTION"
    message = "Demo history is refused in production (it re-dates ledger rows)."


@dataclass
class _Player:
    id: uuid.UUID
    token: str
    rounds: int = 0


@dataclass(frozen=True)
class HistoryReport:
    brands: tuple[str, ...]
    days: int
    players: int
    bets: int
    statements: int


def _major(amount: int, currency: str) -> int:
    """`amount` whole units of `currency` in minor units."""
    return int(amount * 10 ** exponent(currency))


class _Brand:
    def __init__(self, db: Database, brand: Brand, rng: random.Random) -> None:
        self.db, self.brand, self.rng = db, brand, rng
        self.currency = brand.primary_currency
        self.players: list[_Player] = []
        self.bets = 0

    async def affiliates(self) -> bool:
        """The demo affiliates and their codes; False when they exist (history made)."""
        async with self.db.uow() as uow:
            found = await uow.session.scalar(
                select(Affiliate.id).where(
                    Affiliate.brand == self.brand.slug, Affiliate.name == CPA_NAME
                )
            )
            if found is not None:
                return False
            cpa = Plan(PlanKind.CPA, cpa={self.currency: CpaTerms(
                _major(40, self.currency), _major(20, self.currency), _major(10, self.currency),
            )})  # fmt: skip
            share = Plan(PlanKind.REVSHARE, revshare_percent=Decimal(30), negative_carry_over=True)
            for name, plan, code in ((CPA_NAME, cpa, "demo-cpa"), (SHARE_NAME, share, "demo-rs")):
                made = await programme.create_affiliate(
                    uow, None, brand=self.brand.slug, name=name, plan=plan
                )
                await programme.add_tracking_code(
                    uow, None, brand=self.brand.slug, affiliate_id=made.affiliate.id, code=code
                )
            await uow.commit()
        return True

    async def register(self, code: str | None) -> None:
        country = self.brand.countries[0] if self.brand.countries else "MT"
        async with self.db.uow() as uow:
            player = await register(
                uow,
                self.brand,
                Registration(
                    email=f"history-{uuid.uuid4().hex[:10]}@{self.brand.slug}.example",
                    phone=None, username=None, password=DEMO_PASSWORD,
                    date_of_birth=date(1988, 3, 14), country=country, currency=self.currency,
                ),
            )  # fmt: skip
            await attribution.refer(uow, self.brand.slug, player.id, code)
            await uow.commit()
        await self.deposit(player.id, self.rng.choice((20, 30, 50, 100)))
        async with self.db.uow() as uow:
            session = await launch(
                uow, brand=self.brand.slug, player_id=player.id, provider=ORIGINALS.code,
                game_code=GAME,
            )  # fmt: skip
            await uow.commit()
        self.players.append(_Player(player.id, session.token))

    async def deposit(self, player_id: uuid.UUID, amount: int) -> None:
        slug, currency = self.brand.slug, self.currency
        async with self.db.uow() as uow:
            await transfer(
                uow, brand=slug, kind="deposit",
                source=await house_account_id(uow, slug, HouseAccountKind.PSP_CLEARING, currency),
                destination=await wallet_id(uow, slug, player_id, WalletKind.CASH, currency),
                amount_minor=_major(amount, currency), scope=None, key=None,
            )  # fmt: skip
            await uow.commit()

    def _request(
        self, player: _Player, operation: WalletOperation, **fields: object
    ) -> WalletRequest:
        tx = uuid.uuid4().hex
        return WalletRequest(
            operation=operation, request_uuid=f"req-{tx}", token=player.token,
            user=str(player.id), transaction_uuid=tx, game_code=GAME, currency=self.currency,
            **fields,  # type: ignore[arg-type]
        )  # fmt: skip

    async def play(self, player: _Player) -> None:
        """A round of Dice: a stake, and a win on roughly half the rounds."""
        player.rounds += 1
        round_ref = f"{player.id.hex[:12]}-{player.rounds}"
        stake = _major(self.rng.choice((1, 2, 5)), self.currency)
        request = self._request(player, WalletOperation.BET, round=round_ref, amount_minor=stake)
        async with self.db.uow() as uow:
            await bet(uow, brand=self.brand, provider=ORIGINALS.code, request=request)
            await uow.commit()
        self.bets += 1
        if self.rng.random() < 0.48:
            won = self._request(
                player, WalletOperation.WIN, round=round_ref, amount_minor=stake * 2,
                reference_transaction_uuid=request.transaction_uuid, round_closed=True,
            )  # fmt: skip
            async with self.db.uow() as uow:
                await win(uow, brand=self.brand, provider=ORIGINALS.code, request=won)
                await uow.commit()

    async def day(self) -> None:
        for code in (
            self.rng.choice(("demo-cpa", "demo-rs", None)),
            self.rng.choice(("demo-rs", None)),
        ):
            await self.register(code)
        active = self.rng.sample(self.players, min(4, len(self.players)))
        for player in active:
            if self.rng.random() < 0.2:
                await self.deposit(player.id, self.rng.choice((10, 20)))
            for _ in range(2):
                try:
                    await self.play(player)
                except DomainError:  # a refused bet (funds, limits) is play too
                    log.debug("demo bet refused", exc_info=True)


async def _ledger_watermark(db: Database) -> int:
    async with db.uow() as uow:
        return await redating.last_transaction_id(uow)


async def _redate(
    owner: Database, after: int, players: list[uuid.UUID], new: list[uuid.UUID], days: int
) -> None:
    """Move `days` back what the generator wrote since `after`: the ledger transactions of
    its own `players`, and the registrations and referrals of the `new` ones. Nothing else
    (another writer's rows committed meanwhile keep their dates)."""
    async with owner.uow() as uow:
        ids = await redating.moved_for(uow, after_id=after, players=players)
        await redating.move_back(uow, ids=ids, days=days)
        for table, column, key in (
            ("players", "created_at", "id"),
            ("affiliate_referrals", "registered_at", "player_id"),
        ):
            await uow.session.execute(
                text(
                    f"UPDATE {table} SET {column} = {column} - make_interval(days => :days) "  # noqa: S608 - constants
                    f"WHERE {key} = ANY(:ids)"
                ),
                {"days": days, "ids": new},
            )
        await uow.commit()


async def generate(
    db: Database, owner: Database, registry: BrandRegistry, *, weeks: int, seed: int = 7,
    reporting_currency: str = "EUR", production: bool,
) -> HistoryReport:  # fmt: skip
    """`weeks` of daily activity ending yesterday on every brand without it yet. Refused in
    production: it re-dates ledger rows."""
    if production:
        raise HistoryRefused
    weeks = max(0, min(weeks, WEEKS_MAX))
    rng = random.Random(seed)  # noqa: S311 - demo data, not security
    brands = [_Brand(db, brand, rng) for brand in registry.by_slug.values()]
    async with db.uow() as uow:
        await seed_demo_catalog(uow, registry.by_slug)
        await uow.commit()
    days = weeks * 7
    if days == 0:
        return HistoryReport((), 0, 0, 0, 0)
    brands = [b for b in brands if await b.affiliates()]
    if not brands:
        return HistoryReport((), 0, 0, 0, 0)
    for back in range(days, 0, -1):
        after = await _ledger_watermark(db)
        known = {b.brand.slug: len(b.players) for b in brands}
        for brand in brands:
            await brand.day()
        mine = [p.id for b in brands for p in b.players]
        new = [p.id for b in brands for p in b.players[known[b.brand.slug] :]]
        await _redate(owner, after, mine, new, back)
    slugs = [b.brand.slug for b in brands]
    first_day = clock.today() - timedelta(days=days + 1)
    await service.rebuild(db, slugs, first_day, clock.today())
    currencies = sorted({b.currency for b in brands})
    await rates.load(
        db, SandboxRates(), reporting_currency=reporting_currency, currencies=currencies,
        day_from=first_day, day_to=clock.today(),
    )  # fmt: skip
    written = 0
    month = first_day.replace(day=1)
    while statements.month_bounds(month)[1] < clock.today():
        for slug in slugs:
            async with db.uow() as uow:
                written += len(
                    await statements.run_month(
                        uow, slug, month, today=clock.today(), formula=Formula()
                    )
                )
                await uow.commit()
        month = statements.month_bounds(month)[1] + timedelta(days=1)
    return HistoryReport(
        tuple(slugs),
        days,
        sum(len(b.players) for b in brands),
        sum(b.bets for b in brands),
        written,
    )
