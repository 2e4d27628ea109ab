"""Casino mutations. Each takes one `input` and returns `{ <result>, errors }`."""

from __future__ import annotations

import strawberry
from strawberry import relay

from domain.accounts import errors as account_errors
from domain.casino import errors as casino_errors
from domain.casino import lobby, management
from domain.casino.models import GameMode
from domain.compliance import errors as compliance_errors
from domain.compliance.kyc.errors import VerificationRequired
from domain.kernel.errors import PermissionDenied, ReasonRequired
from resolvers.casino import lobby as lobby_resolvers
from resolvers.casino import management as management_resolvers
from resolvers.results import Outcome
from schema.casino.types import CasinoGame, CasinoProvider, GameSession, parse_game_id
from schema.context import Info
from schema.errors import MutationError, mutation_error, to_errors
from schema.ids import global_id

_FAVOURITE_ERRORS = (account_errors.TwoFactorRequired, casino_errors.GameNotFound)
_STAFF_ERRORS = (
    PermissionDenied,
    account_errors.TwoFactorRequired,
    account_errors.PasswordChangeRequired,
    ReasonRequired,
)


@mutation_error(*_FAVOURITE_ERRORS)
class AddFavouriteGameError(MutationError): ...


@mutation_error(*_FAVOURITE_ERRORS)
class RemoveFavouriteGameError(MutationError): ...


@mutation_error(
    *_FAVOURITE_ERRORS,
    lobby.GameDisabled,
    casino_errors.DemoUnavailable,
    account_errors.PlayerNotFound,
    compliance_errors.PlayerBlocked,
    compliance_errors.AccountSuspended,
    compliance_errors.SelfExcluded,
    compliance_errors.AccountClosed,
    VerificationRequired,
    compliance_errors.TimedOut,
    compliance_errors.SessionLimitReached,
)
class LaunchGameError(MutationError): ...


@mutation_error(*_STAFF_ERRORS, casino_errors.GameNotFound)
class SetCasinoGameEnabledError(MutationError): ...


@mutation_error(*_STAFF_ERRORS, management.ProviderNotFound)
class SetCasinoProviderEnabledError(MutationError): ...


_REASON = (
    f"Why (mandatory, at most {management.REASON_LENGTH_MAX} characters); kept in the audit log."
)


@strawberry.input
class FavouriteGameInput:
    game: relay.GlobalID = strawberry.field(description="The game's `id`.")


@strawberry.type
class AddFavouriteGamePayload:
    game: CasinoGame | None = None
    errors: list[AddFavouriteGameError]


@strawberry.type
class RemoveFavouriteGamePayload:
    game: CasinoGame | None = None
    errors: list[RemoveFavouriteGameError]


@strawberry.input
class LaunchGameInput:
    game: relay.GlobalID = strawberry.field(description="The game's `id`.")
    mode: GameMode = GameMode.REAL


@strawberry.type
class LaunchGamePayload:
    launch_url: str | None = strawberry.field(
        default=None,
        description="Open this URL (in an iframe or a new page): it carries the session's "
        "one-time token, so do not store or log it.",
    )
    session: GameSession | None = None
    errors: list[LaunchGameError]


@strawberry.input
class SetCasinoGameEnabledInput:
    game: relay.GlobalID = strawberry.field(description="The game's `id`.")
    enabled: bool
    reason: str = strawberry.field(description=_REASON)


@strawberry.type
class SetCasinoGameEnabledPayload:
    game: CasinoGame | None = None
    errors: list[SetCasinoGameEnabledError]


@strawberry.input
class SetCasinoProviderEnabledInput:
    provider: str = strawberry.field(description="The provider's code.")
    enabled: bool
    reason: str = strawberry.field(description=_REASON)


@strawberry.type
class SetCasinoProviderEnabledPayload:
    provider: CasinoProvider | None = None
    enabled: bool | None = strawberry.field(
        default=None, description="The provider's switch on this brand, after the change."
    )
    errors: list[SetCasinoProviderEnabledError]


def _game(outcome: Outcome[lobby.Game]) -> CasinoGame | None:
    return CasinoGame.from_game(outcome.value) if outcome.value is not None else None


@strawberry.type
class CasinoMutation:
    @strawberry.mutation(description="Player: mark a listed game as a favourite (idempotent).")
    async def add_favourite_game(
        self, info: Info, input: FavouriteGameInput
    ) -> AddFavouriteGamePayload:
        outcome = await lobby_resolvers.add_favourite(info.context, parse_game_id(input.game))
        return AddFavouriteGamePayload(
            game=_game(outcome), errors=to_errors(AddFavouriteGameError, outcome.errors)
        )

    @strawberry.mutation(description="Player: unmark a favourite game (idempotent).")
    async def remove_favourite_game(
        self, info: Info, input: FavouriteGameInput
    ) -> RemoveFavouriteGamePayload:
        outcome = await lobby_resolvers.remove_favourite(info.context, parse_game_id(input.game))
        return RemoveFavouriteGamePayload(
            game=_game(outcome), errors=to_errors(RemoveFavouriteGameError, outcome.errors)
        )

    @strawberry.mutation(
        description="Player: open a game session and get the URL to load the game. REAL "
        "stakes the player's wallets (refused while the account may not wager); DEMO moves "
        "no money."
    )
    async def launch_game(self, info: Info, input: LaunchGameInput) -> LaunchGamePayload:
        outcome = await lobby_resolvers.launch_game(
            info.context, parse_game_id(input.game), input.mode
        )
        if outcome.value is None:
            return LaunchGamePayload(errors=to_errors(LaunchGameError, outcome.errors))
        launched, mode = outcome.value
        return LaunchGamePayload(
            launch_url=launched.url,
            session=GameSession(
                id=global_id("GameSession", launched.session_id),
                mode=mode,
                expires_at=launched.expires_at,
            ),
            errors=[],
        )

    @strawberry.mutation(
        description="Staff (casino.manage): switch a game on or off on this brand. Off hides "
        "it from the lobby and refuses launches; open sessions still settle. Audited."
    )
    async def set_casino_game_enabled(
        self, info: Info, input: SetCasinoGameEnabledInput
    ) -> SetCasinoGameEnabledPayload:
        outcome = await management_resolvers.set_game_enabled(
            info.context,
            parse_game_id(input.game),
            enabled=input.enabled,
            reason=input.reason,
        )
        return SetCasinoGameEnabledPayload(
            game=_game(outcome), errors=to_errors(SetCasinoGameEnabledError, outcome.errors)
        )

    @strawberry.mutation(
        description="Staff (casino.manage): switch all of a provider's games on or off on "
        "this brand (each game keeps its own switch). Audited."
    )
    async def set_casino_provider_enabled(
        self, info: Info, input: SetCasinoProviderEnabledInput
    ) -> SetCasinoProviderEnabledPayload:
        outcome = await management_resolvers.set_provider_enabled(
            info.context, input.provider, enabled=input.enabled, reason=input.reason
        )
        switch = outcome.value
        return SetCasinoProviderEnabledPayload(
            provider=CasinoProvider(code=switch.code, name=switch.name) if switch else None,
            enabled=switch.enabled if switch else None,
            errors=to_errors(SetCasinoProviderEnabledError, outcome.errors),
        )
