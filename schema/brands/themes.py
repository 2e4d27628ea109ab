"""The theme editor: a brand's palettes as versions, published (or rolled back) live."""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import Any

import strawberry
from graphql import StringValueNode, ValueNode
from strawberry import relay
from strawberry.scalars import Base64
from strawberry.types.scalar import ScalarDefinition

from domain.accounts import errors as account_errors
from domain.accounts.permissions import Permission
from domain.brands import errors as brand_errors
from domain.brands import theme_editor
from domain.brands.theme_content import font_names
from domain.kernel.errors import PermissionDenied, ReasonRequired
from resolvers.brands import themes as theme_resolvers
from resolvers.permissions import HasPermission
from resolvers.results import Outcome
from schema.context import Info
from schema.errors import MutationError, mutation_error, to_errors
from schema.ids import global_id, int_of


class Markdown(str):
    """Markdown text: longer than the API's 1,000-character texts, so its own scalar,
    bounded by the domain (theme_content.PAGE_CHARS_MAX) and the request's size."""


def _markdown_literal(node: ValueNode, variables: dict[str, Any] | None = None) -> Markdown:
    if isinstance(node, StringValueNode):
        return Markdown(node.value)
    raise ValueError("Markdown is a string.")


def _markdown_value(value: object) -> Markdown:
    if not isinstance(value, str):
        raise ValueError("Markdown is a string.")
    return Markdown(value)


MARKDOWN = ScalarDefinition(
    name="Markdown",
    description="CommonMark text; raw HTML in it is shown as text, never run.",
    specified_by_url=None,
    serialize=str,
    parse_value=_markdown_value,
    parse_literal=_markdown_literal,
)

_STAFF_ERRORS = (
    PermissionDenied,
    account_errors.TwoFactorRequired,
    account_errors.PasswordChangeRequired,
)
# A palette is a handful of tokens; more entries than the theme has is not a palette.
COLOURS_MAX = 32
PAGES_MAX = 8


@mutation_error(
    *_STAFF_ERRORS, brand_errors.InvalidColour, brand_errors.LowContrast,
    brand_errors.InvalidFont, brand_errors.InvalidRadius, brand_errors.InvalidPage,
    brand_errors.ThemeAssetNotFound,
)  # fmt: skip
class SaveThemeDraftError(MutationError): ...


@mutation_error(*_STAFF_ERRORS, brand_errors.InvalidAsset)
class UploadThemeAssetError(MutationError): ...


@strawberry.enum(description="What an uploaded theme file is for.")
class ThemeAssetKind(Enum):
    LOGO = "logo"
    FAVICON = "favicon"


@strawberry.type(description="An uploaded logo or favicon (PNG or WebP).")
class ThemeAsset:
    id: strawberry.ID
    kind: ThemeAssetKind
    media_type: str
    url: str = strawberry.field(description="Its path on the brand's host.")

    @classmethod
    def of(cls, asset: theme_editor.AssetRef) -> ThemeAsset:
        return cls(
            id=global_id("ThemeAsset", asset.id),
            kind=ThemeAssetKind(asset.kind),
            media_type=asset.media_type,
            url=asset.path,
        )


@strawberry.type(description="A theme's fonts by name (from the editor's safe list).")
class ThemeFonts:
    body: str
    heading: str


@strawberry.type(description="A theme's corner radii (CSS lengths).")
class ThemeRadius:
    small: str
    medium: str
    large: str


@strawberry.type(description="A legal page of a theme, as Markdown.")
class ThemePage:
    name: str = strawberry.field(description="terms, privacy or responsible-gambling.")
    markdown: Markdown


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
    fonts: ThemeFonts | None = strawberry.field(description="Null: the theme folder's.")
    radius: ThemeRadius | None = strawberry.field(description="Null: the theme folder's.")
    pages: list[ThemePage] = strawberry.field(
        description="Legal pages this version writes (others: the theme folder's)."
    )
    logo: ThemeAsset | None = strawberry.field(description="Null: the theme folder's.")
    favicon: ThemeAsset | None = strawberry.field(description="Null: the theme folder's.")
    translations_overridden: int = strawberry.field(
        description="Player-facing messages this version overrides, over every locale "
        "(themeTranslations lists them)."
    )
    version_id: strawberry.Private[int]

    @strawberry.field(
        description="A path on the brand's host showing its home page in this version's "
        "look, for 30 minutes (a signed token: for the editor's live preview)."
    )
    def preview_path(self, info: Info) -> str:
        return theme_resolvers.preview_path(info.context, self.version_id)

    @classmethod
    def of(cls, version: theme_editor.Version) -> ThemeVersion:
        return cls(
            id=global_id("ThemeVersion", version.id),
            number=version.number,
            colours=[ThemeColour(name=k, value=v) for k, v in version.colours.items()],
            created_at=datetime.fromisoformat(version.created_at),
            live=version.live,
            fonts=ThemeFonts(**font_names(version.fonts)) if version.fonts else None,
            radius=ThemeRadius(**version.radius) if version.radius else None,
            pages=[
                ThemePage(name=k, markdown=Markdown(v)) for k, v in sorted(version.pages.items())
            ],
            logo=ThemeAsset.of(version.logo) if version.logo else None,
            favicon=ThemeAsset.of(version.favicon) if version.favicon else None,
            translations_overridden=sum(len(v) for v in version.translations.values()),
            version_id=version.id,
        )


@strawberry.input
class ThemeColourInput:
    name: str
    value: str = strawberry.field(description="#rrggbb")


@strawberry.input
class ThemeFontsInput:
    body: str | None = strawberry.field(default=None, description="A font name of the list.")
    heading: str | None = strawberry.field(default=None, description="A font name of the list.")


@strawberry.input
class ThemeRadiusInput:
    small: str | None = None
    medium: str | None = None
    large: str | None = strawberry.field(
        default=None, description="0 or a length in px, rem or em, at most 32px."
    )


@strawberry.input
class ThemePageInput:
    name: str = strawberry.field(description="terms, privacy or responsible-gambling.")
    markdown: Markdown = strawberry.field(
        description="At most 20,000 characters; empty: back to the theme folder's page."
    )


@strawberry.input
class SaveThemeDraftInput:
    colours: list[ThemeColourInput] = strawberry.field(
        description="Every colour token of the theme (the brand's current palette shows "
        "which): a palette is saved whole."
    )
    fonts: ThemeFontsInput | None = strawberry.field(
        default=None,
        description="Fonts by name: system, humanist, geometric, serif, slab, mono. Null: "
        "the live version's.",
    )
    radius: ThemeRadiusInput | None = strawberry.field(
        default=None, description="Null: the live version's."
    )
    pages: list[ThemePageInput] | None = strawberry.field(
        default=None, description="Legal pages to write; others stay the live version's."
    )
    logo: relay.GlobalID | None = strawberry.field(
        default=None, description="An uploaded logo's `id`; null: the live version's."
    )
    favicon: relay.GlobalID | None = strawberry.field(
        default=None, description="An uploaded favicon's `id`; null: the live version's."
    )


@strawberry.input
class UploadThemeAssetInput:
    kind: ThemeAssetKind
    content: Base64 = strawberry.field(
        description="The file, base64: PNG or WebP (by its bytes; SVG is refused), a logo "
        "at most 48 KiB, a favicon at most 16 KiB."
    )


@strawberry.type
class UploadThemeAssetPayload:
    asset: ThemeAsset | None = None
    errors: list[UploadThemeAssetError]


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
        if len(input.colours) > COLOURS_MAX or len(input.pages or ()) > PAGES_MAX:
            outcome: Outcome[theme_editor.Version] = Outcome(
                errors=[brand_errors.InvalidColour(field="colours")]
            )
        else:
            colours = {colour.name: colour.value for colour in input.colours}
            outcome = await theme_resolvers.save_draft(info.context, colours, _draft(input))
        return SaveThemeDraftPayload(
            version=ThemeVersion.of(outcome.value) if outcome.value else None,
            errors=to_errors(SaveThemeDraftError, outcome.errors),
        )

    @strawberry.mutation(
        description="Staff (theme.manage): upload a logo or favicon for this brand's theme "
        "drafts (PNG or WebP, checked by its bytes; SVG refused). Audited."
    )
    async def upload_theme_asset(
        self, info: Info, input: UploadThemeAssetInput
    ) -> UploadThemeAssetPayload:
        outcome = await theme_resolvers.upload_asset(
            info.context, input.kind.value, bytes(input.content)
        )
        return UploadThemeAssetPayload(
            asset=ThemeAsset.of(outcome.value) if outcome.value else None,
            errors=to_errors(UploadThemeAssetError, outcome.errors),
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


def _draft(input: SaveThemeDraftInput) -> theme_editor.Draft:
    """The draft's settings beside its palette; an unknown id is no asset (id 0)."""

    def chosen(values: object | None) -> dict[str, str] | None:
        if values is None:
            return None
        return {k: v for k, v in vars(values).items() if isinstance(v, str)}

    return theme_editor.Draft(
        fonts=chosen(input.fonts),
        radius=chosen(input.radius),
        pages={page.name: page.markdown for page in input.pages} if input.pages else None,
        logo_asset_id=(int_of(input.logo, "ThemeAsset") or 0) if input.logo else None,
        favicon_asset_id=(int_of(input.favicon, "ThemeAsset") or 0) if input.favicon else None,
    )
