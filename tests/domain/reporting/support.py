"""Seeding real activity through the money paths, and applying it as the actor would."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, time
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select, text

from domain.accounts.players import Registration
from domain.brands.service import BrandRegistry
from domain.casino.catalog import ORIGINALS, seed_demo_catalog
from domain.casino.protocol import WalletOperation, WalletRequest
from domain.casino.service import bet, launch, rollback, win
from domain.compliance.onboarding import register
from domain.integrations.rates import SandboxRates
from domain.kernel import clock
from domain.kernel.db import Database
from domain.kernel.outbox import OutboxEvent
from domain.reporting import rates, service
from domain.sportsbook.models import BetType
from domain.sportsbook.placement import BetSlip, Selection, place_bet
from domain.wallets.models import HouseAccountKind, WalletKind
from domain.wallets.service import house_account_id, transfer, wallet_id
from tests.support import STRONG_PASSWORD

GAME = "originals-dice"
COUNTRIES = {"aurora": "MT", "northstar": "SE", "kumo": "JP"}


def brand_today(registry: BrandRegistry, brand: str) -> date:
    """The brand's business day now: reports keep days in the brand's time zone, which is
    a day ahead of UTC's for an hour or two every night (Malta: 23:00 to 24:00 UTC in
    winter), so a test that asked the machine's UTC date would fail then."""
    return datetime.now(ZoneInfo(registry.get(brand).time_zone)).date()


async def load_rates(
    db: Database,
    monkeypatch: pytest.MonkeyPatch,
    *,
    currencies: list[str],
    day_from: date,
    day_to: date,
) -> int:
    """The sandbox provider's EUR rates for the days, loaded as the daily job loads them
    once `day_to` has begun in UTC (a provider publishes a day's rates then, and late at
    night the brand's day is already the next UTC day)."""
    with monkeypatch.context() as later:
        later.setattr(clock, "now", lambda: datetime.combine(day_to, time(12), UTC))
        return await rates.load(
            db, SandboxRates(), reporting_currency="EUR", currencies=currencies,
            day_from=day_from, day_to=day_to,
        )  # fmt: skip


async def player(db: Database, registry: BrandRegistry, brand: str, currency: str) -> uuid.UUID:
    async with db.transaction() as uow:
        found = await register(
            uow,
            registry.get(brand),
            Registration(
                email=f"{uuid.uuid4().hex[:12]}@example.com", phone=None, username=None,
                password=STRONG_PASSWORD, date_of_birth=date(1990, 1, 1),
                country=COUNTRIES[brand], currency=currency,
            ),
        )  # fmt: skip
        return found.id


async def ledger_move(
    db: Database, brand: str, player_id: uuid.UUID, currency: str, amount_minor: int,
    *, kind: str = "deposit", wallet: WalletKind = WalletKind.CASH,
    house: HouseAccountKind = HouseAccountKind.PSP_CLEARING,
) -> None:  # fmt: skip
    """A balanced posting of `kind` between a house account and the player's wallet
    (positive: to the player)."""
    async with db.transaction() as uow:
        house_id = await house_account_id(uow, brand, house, currency)
        player_wallet = await wallet_id(uow, brand, player_id, wallet, currency)
        source, destination = (house_id, player_wallet)
        if amount_minor < 0:
            source, destination = destination, source
        await transfer(
            uow, brand=brand, kind=kind, source=source, destination=destination,
            amount_minor=abs(amount_minor), scope=None, key=None,
        )  # fmt: skip


class Casino:
    """A player's real-money session on Dice, and the provider's callbacks for it."""

    def __init__(self, db: Database, registry: BrandRegistry, brand: str, currency: str) -> None:
        self.db, self.brand, self.currency = db, registry.get(brand), currency
        self.token = ""
        self.player_id = uuid.UUID(int=0)

    async def open(self, player_id: uuid.UUID) -> Casino:
        async with self.db.transaction() as uow:
            await seed_demo_catalog(uow, [self.brand.slug])
        async with self.db.transaction() as uow:
            session = await launch(
                uow, brand=self.brand.slug, player_id=player_id, provider=ORIGINALS.code,
                game_code=GAME,
            )  # fmt: skip
        self.token, self.player_id = session.token, player_id
        return self

    def _request(self, operation: WalletOperation, tx: str, **fields: object) -> WalletRequest:
        return WalletRequest(
            operation=operation, request_uuid=f"req-{tx}", token=self.token,
            user=str(self.player_id), transaction_uuid=tx, game_code=GAME,
            currency=self.currency, **fields,  # type: ignore[arg-type]
        )  # fmt: skip

    async def bet(self, tx: str, round_ref: str, amount_minor: int) -> None:
        request = self._request(WalletOperation.BET, tx, round=round_ref, amount_minor=amount_minor)
        async with self.db.transaction() as uow:
            await bet(uow, brand=self.brand, provider=ORIGINALS.code, request=request)

    async def win(self, tx: str, round_ref: str, bet_tx: str, amount_minor: int) -> None:
        request = self._request(
            WalletOperation.WIN, tx, round=round_ref, amount_minor=amount_minor,
            reference_transaction_uuid=bet_tx, round_closed=True,
        )  # fmt: skip
        async with self.db.transaction() as uow:
            await win(uow, brand=self.brand, provider=ORIGINALS.code, request=request)

    async def rollback(self, tx: str, round_ref: str, bet_tx: str) -> None:
        request = self._request(
            WalletOperation.ROLLBACK, tx, round=round_ref, reference_transaction_uuid=bet_tx,
        )  # fmt: skip
        async with self.db.transaction() as uow:
            await rollback(uow, brand=self.brand, provider=ORIGINALS.code, request=request)


async def sportsbook_bet(
    db: Database, registry: BrandRegistry, brand: str, player_id: uuid.UUID,
    *, outcome_id: int, odds: str, stake_minor: int,
) -> int:  # fmt: skip
    slip = BetSlip(
        selections=(Selection(outcome_id, Decimal(odds)),), stake_minor=stake_minor,
        bet_type=BetType.SINGLE, idempotency_key=uuid.uuid4().hex,
    )  # fmt: skip
    async with db.uow() as uow:
        placed = await place_bet(uow, brand=registry.get(brand), player_id=player_id, slip=slip)
        await uow.commit()
    return placed.bet_id


async def apply_outbox(db: Database, *, batch: int = 1, step: int | None = None) -> int:
    """Apply every committed event as the reporting actor does: `batch` events a
    transaction, the next batch starting `step` events on (a step below the batch makes
    batches overlap, as redelivered and concurrent relay batches may)."""
    async with db.uow() as uow:
        events = (
            await uow.session.execute(
                select(OutboxEvent.id, OutboxEvent.topic, OutboxEvent.brand, OutboxEvent.payload)
                .where(OutboxEvent.topic.in_(service.TOPICS))
                .order_by(OutboxEvent.id)
            )
        ).all()
    applied = 0
    for start in range(0, len(events), step or batch):
        chunk = [(e.topic, e.brand, e.payload) for e in events[start : start + batch]]
        async with db.transaction() as uow:
            applied += await service.apply_events(uow, chunk)
    return applied


async def execute(db: Database, statement: str, **params: object) -> list[tuple[object, ...]]:
    async with db.transaction() as uow:
        result = await uow.session.execute(text(statement), params)
        return [tuple(row) for row in result] if result.returns_rows else []
