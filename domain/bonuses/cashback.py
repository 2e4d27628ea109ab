"""Cashback: a percentage of each player's net loss over a period (an ISO week), between
the offer's minimum and maximum, paid as cash or bonus through the ledger
(`bonus.cashback`), once per offer, player and period however often the job runs: the
payout row is claimed with INSERT ... ON CONFLICT in the posting's transaction."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from typing import Final

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert

from domain.bonuses.errors import InvalidTerms
from domain.bonuses.loyalty import tier_cashback_percents
from domain.bonuses.models import BonusOffer, CashbackPayout, OfferKind
from domain.bonuses.terms import CashbackWallet, Eligibility, Terms
from domain.kernel import audit
from domain.kernel.db import UnitOfWork
from domain.wallets.ledger import IdempotencyScope
from domain.wallets.losses import net_losses
from domain.wallets.models import HouseAccountKind, WalletKind
from domain.wallets.service import house_account_id, transfer, wallet_id

CASHBACK_KIND: Final = "bonus.cashback"
LEDGER_SCOPE: Final = IdempotencyScope("system:bonuses", "bonuses.cashback")
_WEEK = re.compile(r"^(\d{4})-W(\d{2})$")


@dataclass(frozen=True)
class Period:
    """An ISO week, e.g. "2026-W49": Monday 00:00 UTC to the next Monday."""

    name: str
    start: datetime
    end: datetime

    @classmethod
    def parse(cls, name: str) -> Period:
        """Errors: InvalidTerms (not an ISO week)."""
        match = _WEEK.match(name.strip())
        if match is None:
            raise InvalidTerms("Give the period as an ISO week, e.g. 2026-W49.", field="period")
        try:
            monday = date.fromisocalendar(int(match[1]), int(match[2]), 1)
        except ValueError:
            raise InvalidTerms("There is no such week.", field="period") from None
        start = datetime(monday.year, monday.month, monday.day, tzinfo=UTC)
        return cls(f"{match[1]}-W{match[2]}", start, start + timedelta(days=7))

    @classmethod
    def of(cls, day: date) -> Period:
        year, week, _ = day.isocalendar()
        return cls.parse(f"{year}-W{week:02d}")


@dataclass(frozen=True)
class CashbackRun:
    offer_id: uuid.UUID
    period: str
    # Players paid by this run (a re-run pays nobody twice) and what they got together.
    players_paid: int
    paid_minor: int


def cashback_for(terms: Terms, net_loss_minor: int) -> int:
    """The cashback on a net loss: the percentage, rounded down, capped; 0 under the
    minimum."""
    amount = net_loss_minor * terms.cashback_percent // 100
    if terms.cashback_max_minor is not None:
        amount = min(amount, terms.cashback_max_minor)
    return amount if amount >= max(terms.cashback_min_minor, 1) else 0


async def pay_cashback(uow: UnitOfWork, offer: BonusOffer, period: Period) -> CashbackRun:
    """Pay the offer's cashback for `period` to every eligible player with a net loss."""
    assert offer.kind == OfferKind.CASHBACK.value, "only cashback offers pay cashback"
    terms = Terms.from_json(offer.terms)
    rules = Eligibility.from_json(offer.eligibility)
    losses = await net_losses(uow, offer.brand, offer.currency, period.start, period.end)
    # A loyalty tier's cashback rate, when higher than the offer's, is the player's rate.
    tier_percents = await tier_cashback_percents(uow, offer.brand, list(losses))
    house = await house_account_id(uow, offer.brand, HouseAccountKind.BONUS_POOL, offer.currency)
    wallet = WalletKind.BONUS if terms.cashback_wallet is CashbackWallet.BONUS else WalletKind.CASH
    paid = total = 0
    for player_id, loss in losses.items():
        percent = max(terms.cashback_percent, tier_percents.get(player_id, 0))
        amount = cashback_for(replace(terms, cashback_percent=percent), loss)
        if amount == 0 or (rules.player_ids and player_id not in rules.player_ids):
            continue
        claimed = await uow.session.scalar(
            insert(CashbackPayout)
            .values(
                offer_id=offer.id,
                player_id=player_id,
                period=period.name,
                net_loss_minor=loss,
                amount_minor=amount,
            )
            .on_conflict_do_nothing()
            .returning(CashbackPayout.player_id)
        )
        if claimed is None:
            continue  # paid by an earlier run
        destination = await wallet_id(uow, offer.brand, player_id, wallet, offer.currency)
        posting = await transfer(
            uow, brand=offer.brand, kind=CASHBACK_KIND, source=house, destination=destination,
            amount_minor=amount, scope=LEDGER_SCOPE,
            key=f"{offer.id}:{player_id}:{period.name}",
            metadata={"offer": str(offer.id), "period": period.name, "net_loss_minor": loss},
        )  # fmt: skip
        await audit.record(
            uow, actor_kind="system", actor_id=None, action="bonus.cashback.pay",
            subject_type="player", subject_id=player_id, brand=offer.brand,
            after={"offer": str(offer.id), "period": period.name, "amount_minor": amount,
                   "transaction_id": posting.transaction_id},
        )  # fmt: skip
        paid += 1
        total += amount
    return CashbackRun(offer.id, period.name, paid, total)


async def pay_all_cashback(uow: UnitOfWork, period: Period) -> list[CashbackRun]:
    """Every active cashback offer of every brand, for `period`."""
    found = await uow.session.scalars(
        select(BonusOffer)
        .where(BonusOffer.kind == OfferKind.CASHBACK.value, BonusOffer.active)
        .order_by(BonusOffer.brand, BonusOffer.created_at)
    )
    return [await pay_cashback(uow, offer, period) for offer in list(found)]
