"""The theme editor: a brand's palettes as versions, published (or rolled back) live."""

from __future__ import annotations

from datetime import datetime

import strawberry
from strawberry import relay

from domain.accounts import errors as account_errors
from domain.accounts.permissions import Permission
from domain.brands import errors as brand_errors
from domain.brands import theme_editor
from domain.kernel.errors import PermissionDenied, ReasonRequired
from resolvers.brands import themes as theme_resolvers
from resolvers.permissions import HasPermission
from resolvers.results import Outcome
from schema.context import Info
from schema.errors import MutationError, mutation_error, to_errors
from schema.ids import global_id, int_of

_STAFF_ERRORS = (
    PermissionDenied,
    account_errors.TwoFactorRequired,
    account_errors.PasswordChangeRequired,
)
# A palette is a handful of tokens; more entries than the theme has is not a palette.
COLOURS_MAX = 32


@mutation_error(*_STAFF_ERRORS, brand_errors.InvalidColour, brand_errors.LowContrast)
class SaveThemeDraftError(MutationError): ...


@mutation_error(*_STAFF_ERRORS, ReasonRequired, brand_errors.ThemeVersionNotFound)
class PublishThemeError(MutationError): ...


@strawberry.type(description="A colour token of a theme: `text`, `background`, `primary`…")
class ThemeColour:
    name: str
    value: str = strawberry.field(description="#rrggbb")


@strawberry.type(description="A saved palette of this brand.")
class ThemeVersion:
    id: strawberry.ID
    number: int = strawberry.field(description="1, 2, 3… per brand.")
    colours: list[ThemeColour]
    created_at: datetime
    live: bool = strawberry.field(description="The brand shows this version now.")

    @classmethod
    def of(cls, version: theme_editor.Version) -> ThemeVersion:
        return cls(
            id=global_id("ThemeVersion", version.id),
            number=version.number,
            colours=[ThemeColour(name=k, value=v) for k, v in version.colours.items()],
            created_at=datetime.fromisoformat(version.created_at),
            live=version.live,
        )


@strawberry.input
class ThemeColourInput:
    name: str
    value: str = strawberry.field(description="#rrggbb")


@strawberry.input
class SaveThemeDraftInput:
    colours: list[ThemeColourInput] = strawberry.field(
        description="Every colour token of the theme (the brand's current palette shows "
        "which): a palette is saved whole."
    )


@strawberry.type
class SaveThemeDraftPayload:
    version: ThemeVersion | None = None
    errors: list[SaveThemeDraftError]


@strawberry.input
class PublishThemeInput:
    version: relay.GlobalID = strawberry.field(description="The version's `id`.")
    reason: str = strawberry.field(
        description="Why (mandatory, at most 500 characters); kept in the audit log."
    )


@strawberry.type
class PublishThemePayload:
    version: ThemeVersion | None = None
    errors: list[PublishThemeError]


@strawberry.type
class ThemeQuery:
    @strawberry.field(
        description="Staff (theme.manage): this brand's saved palettes, newest first (at "
        "most 50), the live one marked.",
        extensions=[HasPermission.extension(Permission.THEME_MANAGE)],
    )
    async def theme_versions(self, info: Info) -> list[ThemeVersion]:
        return [ThemeVersion.of(v) for v in await theme_resolvers.versions(info.context)]


@strawberry.type
class ThemeMutation:
    @strawberry.mutation(
        description="Staff (theme.manage): save a palette as this brand's next theme "
        "version, not live until published. Refused, with each failing text/background "
        "pair and its ratio, when a pair is below WCAG 2.2 AA contrast. Audited."
    )
    async def save_theme_draft(
        self, info: Info, input: SaveThemeDraftInput
    ) -> SaveThemeDraftPayload:
        if len(input.colours) > COLOURS_MAX:
            outcome: Outcome[theme_editor.Version] = Outcome(
                errors=[brand_errors.InvalidColour(field="colours")]
            )
        else:
            colours = {colour.name: colour.value for colour in input.colours}
            outcome = await theme_resolvers.save_draft(info.context, colours)
        return SaveThemeDraftPayload(
            version=ThemeVersion.of(outcome.value) if outcome.value else None,
            errors=to_errors(SaveThemeDraftError, outcome.errors),
        )

    @strawberry.mutation(
        description="Staff (theme.manage): put a saved version live on this brand (an "
        "older one: a rollback); every replica shows it within seconds, without a restart. "
        "Audited."
    )
    async def publish_theme(self, info: Info, input: PublishThemeInput) -> PublishThemePayload:
        outcome = await theme_resolvers.publish(
            info.context, int_of(input.version, "ThemeVersion"), input.reason
        )
        return PublishThemePayload(
            version=ThemeVersion.of(outcome.value) if outcome.value else None,
            errors=to_errors(PublishThemeError, outcome.errors),
        )
