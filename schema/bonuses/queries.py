from __future__ import annotations

from datetime import datetime
from typing import Annotated

import strawberry

from domain.accounts.permissions import Permission
from domain.bonuses.models import AbuseFlagKind
from domain.bonuses.models import GrantState as DomainGrantState
from resolvers.bonuses import bonuses as resolvers
from resolvers.permissions import HasPermission
from schema.bonuses.types import (
    BonusAbuseFlag,
    BonusGrant,
    BonusOffer,
    BonusOfferCost,
    FreeBet,
    FreeSpins,
    Loyalty,
    LoyaltyProgramme,
)
from schema.context import Info
from schema.errors import as_query_error
from schema.ids import global_id, uuid_of_text
from schema.money import Money

GRANTS_PAGE_MAX = 100


@strawberry.type
class BonusesQuery:
    @strawberry.field(
        description="Offers the viewer can claim now (for a visitor: every open opt-in offer)."
    )
    async def available_bonus_offers(
        self,
        info: Info,
        include_automatic: Annotated[
            bool,
            strawberry.argument(
                description="Also the open offers nobody claims (`optIn: false`, e.g. a "
                "weekly cashback) that the viewer would receive, for a promotions page."
            ),
        ] = False,
    ) -> list[BonusOffer]:
        found = await resolvers.available_offers(info.context, include_automatic=include_automatic)
        return [BonusOffer.of(offer) for offer in found]

    @strawberry.field(description="The signed-in player's bonuses, newest first.")
    async def my_bonuses(self, info: Info) -> list[BonusGrant]:
        with as_query_error():
            found = await resolvers.viewer_grants(info.context)
        return [BonusGrant.of(grant) for grant in found]

    @strawberry.field(description="The signed-in player's free spins, newest first.")
    async def my_free_spins(self, info: Info) -> list[FreeSpins]:
        with as_query_error():
            found = await resolvers.viewer_free_spins(info.context)
        return [FreeSpins.of(rounds) for rounds in found]

    @strawberry.field(description="The signed-in player's free bets, newest first.")
    async def my_free_bets(self, info: Info) -> list[FreeBet]:
        with as_query_error():
            found = await resolvers.viewer_free_bets(info.context)
        return [FreeBet.of(free_bet) for free_bet in found]

    @strawberry.field(
        description="The signed-in player's loyalty points, tier and progress to the next."
    )
    async def my_loyalty(self, info: Info) -> Loyalty:
        with as_query_error():
            seen = await resolvers.viewer_loyalty(info.context)
        return Loyalty.of(seen)

    @strawberry.field(
        description="Staff (bonus.manage): the brand's loyalty programme (null: none yet).",
        extensions=[HasPermission.extension(Permission.BONUS_MANAGE)],
    )
    async def loyalty_programme(self, info: Info) -> LoyaltyProgramme | None:
        with as_query_error():
            found = await resolvers.staff_loyalty_programme(info.context)
        return None if found is None else LoyaltyProgramme.of(found)

    @strawberry.field(
        description="Staff (bonus.manage): every offer of the brand, withdrawn ones too.",
        extensions=[HasPermission.extension(Permission.BONUS_MANAGE)],
    )
    async def bonus_offers(self, info: Info) -> list[BonusOffer]:
        with as_query_error():
            found = await resolvers.staff_offers(info.context)
        return [BonusOffer.of(offer) for offer in found]

    @strawberry.field(
        description=f"Staff (bonus.manage): the brand's grants in a state, newest first (at "
        f"most {GRANTS_PAGE_MAX}).",
        extensions=[HasPermission.extension(Permission.BONUS_MANAGE)],
    )
    async def bonus_grants(
        self,
        info: Info,
        state: DomainGrantState,
        first: int = 50,
    ) -> list[BonusGrant]:
        with as_query_error():
            found = await resolvers.grants_by_state(
                info.context, DomainGrantState(state), max(1, min(first, GRANTS_PAGE_MAX))
            )
        return [BonusGrant.of(grant) for grant in found]

    @strawberry.field(
        description=f"Staff (aml.review): the brand's bonus abuse flags, newest first (at "
        f"most {GRANTS_PAGE_MAX}), of a kind or a player when given.",
        extensions=[HasPermission.extension(Permission.AML_REVIEW)],
    )
    async def bonus_abuse_flags(
        self,
        info: Info,
        kind: AbuseFlagKind | None = None,
        player_id: strawberry.ID | None = None,
        first: int = 50,
    ) -> list[BonusAbuseFlag]:
        player = None if player_id is None else uuid_of_text(str(player_id), "Player")
        if player_id is not None and player is None:
            return []  # no such player
        with as_query_error():
            found = await resolvers.abuse_flags(
                info.context, kind, player, max(1, min(first, GRANTS_PAGE_MAX))
            )
        return [BonusAbuseFlag.of(row) for row in found]

    @strawberry.field(
        description="Staff (bonus.manage): each offer's bonus cost over [from, to): granted, "
        "converted, forfeited, cashback.",
        extensions=[HasPermission.extension(Permission.BONUS_MANAGE)],
    )
    async def bonus_cost(
        self,
        info: Info,
        *,
        from_: Annotated[datetime, strawberry.argument(name="from", description="Inclusive.")],
        to: Annotated[datetime, strawberry.argument(description="Exclusive.")],
    ) -> list[BonusOfferCost]:
        with as_query_error():
            found = await resolvers.cost_by_offer(info.context, from_, to)
        return [
            BonusOfferCost(
                offer_id=global_id("BonusOffer", row.offer_id),
                name=row.name,
                granted=Money.of(row.granted_minor, row.currency),
                converted=Money.of(row.converted_minor, row.currency),
                forfeited=Money.of(row.forfeited_minor, row.currency),
                cashback=Money.of(row.cashback_minor, row.currency),
                cost=Money.of(row.cost_minor, row.currency),
            )
            for row in found
        ]
