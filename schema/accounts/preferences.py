"""The player's own preferences: how odds are written for them."""

from __future__ import annotations

import strawberry

from domain.accounts import errors as account_errors
from resolvers.accounts import players
from schema.accounts.types import Player
from schema.context import Info
from schema.errors import MutationError, mutation_error, to_errors
from schema.sportsbook.types import OddsFormat


@mutation_error(
    account_errors.TwoFactorRequired,
    account_errors.UnsupportedOddsFormat,
    account_errors.PlayerNotFound,
)
class SetOddsFormatError(MutationError): ...


@strawberry.input
class SetOddsFormatInput:
    format: OddsFormat


@strawberry.type
class SetOddsFormatPayload:
    player: Player | None = None
    errors: list[SetOddsFormatError]


@strawberry.type
class PreferencesMutation:
    @strawberry.mutation(
        description="Player: choose how odds are written for you (`display` without a "
        "`format` follows it), from this request on."
    )
    async def set_odds_format(self, info: Info, input: SetOddsFormatInput) -> SetOddsFormatPayload:
        outcome = await players.set_odds_format(info.context, input.format)
        player = Player.from_model(outcome.value) if outcome.value else None
        return SetOddsFormatPayload(
            player=player, errors=to_errors(SetOddsFormatError, outcome.errors)
        )
