"""A CRM staff client, a depositing player and casino sessions on games of three
categories (slots, table, live), for bonus tests over GraphQL and signed callbacks."""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import replace
from typing import Any

from sqlalchemy import text

from domain.brands.service import BrandRegistry
from domain.casino.catalog import ORIGINALS, GameSpec, enable_games, sync_provider
from domain.casino.service import launch
from domain.kernel.db import Database
from tests.schema.wallets.support import signed_in_player, signed_in_staff
from tests.support import AURORA, Api
from tests.web.provider_simulator import ProviderSimulator

SLOT = "originals-slot"
BLACKJACK = "test-blackjack"
LIVE = "test-live-roulette"
EXTRA_GAMES = (
    GameSpec(code=BLACKJACK, name="Blackjack", category="table", rtp_basis_points=9950,
             volatility="low"),
    GameSpec(code=LIVE, name="Live Roulette", category="live", rtp_basis_points=9730,
             volatility="low"),
)  # fmt: skip

OFFER = "id version code"
GRANT = (
    "id state offerVersion bonus { amountMinorUnits } wagered { amountMinorUnits } "
    "required { amountMinorUnits } progressBasisPoints maxBet { amount } "
    "byContribution { percent staked { amountMinorUnits } counted { amountMinorUnits } } "
    "converted { amountMinorUnits } forfeited { amountMinorUnits } remainingSeconds "
    "terms { wageringMultiplier maxConversionMultiplier maxBet { amount } }"
)
CREATE = f"""mutation($i: CreateBonusOfferInput!) {{ createBonusOffer(input: $i) {{
  offer {{ {OFFER} }} errors {{ code field message }} }} }}"""
UPDATE = f"""mutation($i: UpdateBonusOfferInput!) {{ updateBonusOffer(input: $i) {{
  offer {{ {OFFER} }} errors {{ code field message }} }} }}"""
CLAIM = f"""mutation($i: ClaimBonusInput!) {{ claimBonus(input: $i) {{
  grant {{ {GRANT} }} errors {{ code field message }} }} }}"""
FORFEIT = f"""mutation($i: ForfeitBonusInput!) {{ forfeitBonus(input: $i) {{
  grant {{ {GRANT} }} errors {{ code field message }} }} }}"""
MY_BONUSES = f"query {{ myBonuses {{ {GRANT} }} }}"
DEPOSIT = """mutation($i: DepositInput!) { deposit(input: $i) {
  payment { status } errors { code field message } } }"""


def welcome_terms(multiplier: int = 35) -> dict[str, Any]:
    """The worked example: 100 % match, 35x bonus, max bet 5, 30 days, conversion 5x bonus;
    slots 100 %, table games 10 %, live 0 %."""
    return {
        "matchPercent": 100,
        "wageringMultiplier": multiplier,
        "maxBet": "5.00",
        "wageringDays": 30,
        "maxConversionMultiplier": 5,
        "contributions": [
            {"scope": "PRODUCT", "name": "casino", "percent": 100},
            {"scope": "CATEGORY", "name": "table", "percent": 10},
            {"scope": "CATEGORY", "name": "live", "percent": 0},
        ],
    }


async def crm(server: str, db: Database) -> Api:
    return await signed_in_staff(server, AURORA, db, ["crm"])


async def create_offer(staff: Api, code: str = "WELCOME", **overrides: Any) -> dict[str, Any]:
    values = {
        "kind": "DEPOSIT_MATCH",
        "name": "Welcome 100 %",
        "code": code,
        "currency": "EUR",
        "terms": welcome_terms(),
        **overrides,
    }
    result = (await staff.query(CREATE, {"i": values})).data["createBonusOffer"]
    assert result["errors"] == [], result
    return dict(result["offer"])


async def depositing_player(server: str, amount: str = "100.00") -> tuple[Api, uuid.UUID]:
    api, player_id = await signed_in_player(server, AURORA, f"{uuid.uuid4().hex[:10]}@example.com")
    paid = await api.query(
        DEPOSIT,
        {"i": {"amount": {"amount": amount, "currency": "EUR"}, "idempotencyKey": "d-1",
               "flow": "DIRECT"}},
    )  # fmt: skip
    assert paid.data["deposit"]["payment"]["status"] == "SUCCEEDED"
    return api, player_id


async def sessions(
    server: str, db: Database, registry: BrandRegistry, player_id: uuid.UUID
) -> dict[str, ProviderSimulator]:
    """A signed-callback simulator per game (slot, blackjack, live) for the player."""
    del registry
    async with db.transaction() as uow:
        await sync_provider(uow, replace(ORIGINALS, games=ORIGINALS.games + EXTRA_GAMES))
        await enable_games(uow, "aurora", ORIGINALS.code)
        # The catalogue outlives each test, and another test's sync of the Originals (the
        # seed's) switches these two test games off: switch them on again for this one.
        await uow.session.execute(
            text(
                "UPDATE casino_brand_games SET enabled = true WHERE brand = 'aurora' AND game_id IN"
                " (SELECT id FROM casino_games WHERE provider = :provider AND code = ANY(:codes))"
            ),
            {"provider": ORIGINALS.code, "codes": [SLOT, BLACKJACK, LIVE]},
        )
    found = {}
    for game in (SLOT, BLACKJACK, LIVE):
        async with db.transaction() as uow:
            session = await launch(
                uow, brand="aurora", player_id=player_id, provider=ORIGINALS.code, game_code=game
            )
        found[game] = ProviderSimulator(server, session.token, str(player_id), game_code=game)
    return found


async def stake_many(provider: ProviderSimulator, prefix: str, amounts: list[int]) -> None:
    """Losing stakes (each its own closed round), 20 at a time; every one accepted."""
    for start in range(0, len(amounts), 20):
        replies = await asyncio.gather(
            *(
                provider.bet(f"{prefix}-{index}", amount, f"{prefix}-r{index}", round_closed=True)
                for index, amount in enumerate(amounts[start : start + 20], start=start)
            )
        )
        assert {reply.status for reply in replies} == {"RS_OK"}, replies[0]
