"""The jurisdiction pack's slot stake cap through the signed provider callback: on a UK
brand (aurora served as GB here) £2 a spin up to 24 years of age, £5 from 25, refused
with the protocol's limit code inside the bet's transaction, nothing debited."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import date

import pytest

from domain.accounts.players import Registration
from domain.brands.service import BrandRegistry
from domain.casino.catalog import ORIGINALS, seed_demo_catalog
from domain.casino.service import launch
from domain.compliance.onboarding import register
from domain.kernel import clock
from domain.kernel.db import Database
from domain.wallets.models import HouseAccountKind, WalletKind
from domain.wallets.service import balances, house_account_id, transfer, wallet_id
from tests.conftest import app_server
from tests.support import STRONG_PASSWORD
from tests.web.provider_simulator import ProviderSimulator

BRAND = "aurora"
SLOT = "originals-slot"
DICE = "originals-dice"


@pytest.fixture(scope="module")
async def uk_server(db: Database, registry: BrandRegistry) -> AsyncIterator[str]:
    """The app with aurora licensed in Great Britain (its pack: GB)."""
    uk = registry.get(BRAND).model_copy(update={"jurisdiction": "GB"})
    others = [b for b in registry.by_slug.values() if b.slug != BRAND]
    async with app_server(BrandRegistry.from_brands([uk, *others])) as url:
        yield url


def _born_years_ago(years: int) -> date:
    """A birthday already passed this year (day 28 at most: every month has it)."""
    today = clock.today()
    return date(today.year - years, today.month, min(today.day, 28))


async def _uk_player(db: Database, registry: BrandRegistry, age: int, game: str) -> str:
    """A GBP player of `age` with £50 cash and a real-money session on `game`; its token."""
    async with db.transaction() as uow:
        await seed_demo_catalog(uow, [BRAND])
        player = await register(
            uow,
            registry.get(BRAND),
            Registration(
                email=f"{uuid.uuid4().hex[:12]}@example.com", phone=None, username=None,
                password=STRONG_PASSWORD, date_of_birth=_born_years_ago(age), country="GB",
                currency="GBP",
            ),
        )  # fmt: skip
        player_id = player.id
    async with db.transaction() as uow:
        source = await house_account_id(uow, BRAND, HouseAccountKind.BONUS_POOL, "GBP")
        cash = await wallet_id(uow, BRAND, player_id, WalletKind.CASH, "GBP")
        await transfer(
            uow, brand=BRAND, kind="fund", source=source, destination=cash, amount_minor=5000,
            scope=None, key=None,
        )  # fmt: skip
    async with db.transaction() as uow:
        session = await launch(
            uow, brand=BRAND, player_id=player_id, provider=ORIGINALS.code, game_code=game
        )
    return f"{player_id}|{session.token}"


async def _cash(db: Database, player_id: str) -> int:
    async with db.uow() as uow:
        found = await balances(uow, BRAND, uuid.UUID(player_id))
    return next(b.amount_minor for b in found if b.kind is WalletKind.CASH)


async def _spins(
    server: str, db: Database, registry: BrandRegistry, *, age: int, stakes: list[int],
    game: str = SLOT,
) -> tuple[list[str], int]:  # fmt: skip
    player_id, token = (await _uk_player(db, registry, age, game)).split("|")
    provider = ProviderSimulator(server, token, player_id, game_code=game, currency="GBP")
    try:
        replies = [
            await provider.bet(f"spin-{n}", stake, f"round-{n}") for n, stake in enumerate(stakes)
        ]
    finally:
        await provider.aclose()
    return [reply.status for reply in replies], await _cash(db, player_id)


async def test_a_20_year_old_may_stake_two_pounds_a_spin_and_not_a_penny_more(
    uk_server: str, db: Database, registry: BrandRegistry
) -> None:
    statuses, cash = await _spins(uk_server, db, registry, age=20, stakes=[501, 201, 200])

    assert statuses == ["RS_ERROR_LIMIT_REACHED", "RS_ERROR_LIMIT_REACHED", "RS_OK"]
    assert cash == 5000 - 200


async def test_a_30_year_old_may_stake_five_pounds_a_spin_and_not_a_penny_more(
    uk_server: str, db: Database, registry: BrandRegistry
) -> None:
    statuses, cash = await _spins(uk_server, db, registry, age=30, stakes=[501, 500])

    assert statuses == ["RS_ERROR_LIMIT_REACHED", "RS_OK"]
    assert cash == 5000 - 500


async def test_the_cap_is_for_slots_only(
    uk_server: str, db: Database, registry: BrandRegistry
) -> None:
    statuses, cash = await _spins(uk_server, db, registry, age=20, stakes=[501], game=DICE)

    assert statuses == ["RS_OK"]
    assert cash == 5000 - 501


async def test_under_malta_s_pack_the_same_young_player_has_no_stake_cap(
    server: str, db: Database, registry: BrandRegistry
) -> None:
    statuses, cash = await _spins(server, db, registry, age=20, stakes=[501])

    assert statuses == ["RS_OK"]
    assert cash == 5000 - 501
