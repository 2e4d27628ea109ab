"""The theme editor's translations: the brand's player-facing strings per locale, the
shipped text beside the operator's override, saved as a theme version like the rest."""

from __future__ import annotations

from typing import Annotated, Final

import strawberry
from strawberry import relay

from domain.accounts.permissions import Permission
from domain.brands import errors as brand_errors
from domain.brands import theme_editor, theme_translations
from domain.kernel.paging import TEXT, check_page_size, decode_cursor, encode_cursor
from resolvers.brands import themes as theme_resolvers
from resolvers.permissions import HasPermission
from resolvers.results import Outcome
from schema.brands.themes import _STAFF_ERRORS, ThemeVersion
from schema.context import Info
from schema.errors import MutationError, as_query_error, mutation_error, to_errors
from schema.ids import int_of
from schema.pagination import forward_page_info

# One save carries a page of the editor's list, not the catalogue.
TRANSLATIONS_PER_SAVE_MAX: Final = theme_translations.PAGE_SIZE_MAX
_CURSOR_VERSION: Final = "tr1"


@mutation_error(
    *_STAFF_ERRORS, brand_errors.ThemeVersionNotFound, brand_errors.UnknownLocale,
    brand_errors.UnknownMessage, brand_errors.PlaceholderMismatch,
    brand_errors.TranslationTooLong, brand_errors.MarkupInTranslation,
)  # fmt: skip
class SaveThemeTranslationsError(MutationError): ...


@strawberry.type(description="A player-facing message of the brand in one locale.")
class ThemeTranslation:
    msgid: str = strawberry.field(description="The message as the code writes it (English).")
    shipped: str = strawberry.field(description="The shipped catalogue's text in the locale.")
    override: str | None = strawberry.field(
        description="The operator's text in the version asked for; null: the shipped one."
    )
    chars_max: int = strawberry.field(description="The longest text this message accepts.")

    @classmethod
    def of(cls, entry: theme_translations.Entry) -> ThemeTranslation:
        return cls(
            msgid=entry.msgid,
            shipped=entry.shipped,
            override=entry.override,
            chars_max=theme_translations.text_chars_max(entry.msgid),
        )


@strawberry.type(description="A message and its cursor (keyset pagination).")
class ThemeTranslationEdge:
    cursor: str
    node: ThemeTranslation


@strawberry.type(description="A page of the brand's messages in one locale, by msgid.")
class ThemeTranslationConnection:
    page_info: relay.PageInfo
    edges: list[ThemeTranslationEdge]


@strawberry.input
class ThemeTranslationInput:
    msgid: str
    text: str = strawberry.field(
        description="Plain text keeping the message's placeholders; empty: the shipped one."
    )


@strawberry.input
class SaveThemeTranslationsInput:
    locale: str = strawberry.field(description="One of the brand's locales: en, de, sv…")
    translations: list[ThemeTranslationInput] = strawberry.field(
        description=f"At most {TRANSLATIONS_PER_SAVE_MAX}; others stay the base version's."
    )
    version: relay.GlobalID | None = strawberry.field(
        default=None,
        description="The version to start from (its look and its other overrides); null: "
        "the live one.",
    )


@strawberry.type
class SaveThemeTranslationsPayload:
    version: ThemeVersion | None = None
    errors: list[SaveThemeTranslationsError]


def _cursor(msgid: str) -> str:
    return encode_cursor(_CURSOR_VERSION, msgid)


def _after(cursor: str | None) -> str | None:
    """The msgid a cursor stands for. Errors: InvalidCursor."""
    return None if cursor is None else decode_cursor(cursor, _CURSOR_VERSION, TEXT)[0]


@strawberry.type
class ThemeTranslationQuery:
    @strawberry.field(
        description="Staff (theme.manage): this brand's player-facing messages in `locale`, "
        "by msgid (keyset pagination, at most "
        f"{theme_translations.PAGE_SIZE_MAX} per page), each with its shipped text and the "
        "override of `version` (null: the live version).",
        extensions=[HasPermission.extension(Permission.THEME_MANAGE)],
    )
    async def theme_translations(
        self,
        info: Info,
        *,
        locale: str,
        version: relay.GlobalID | None = None,
        search: Annotated[
            str,
            strawberry.argument(
                description="In the msgid, shipped text or override, any case; at most "
                f"{theme_translations.SEARCH_CHARS_MAX} characters."
            ),
        ] = "",
        overridden_only: bool = False,
        first: Annotated[
            int, strawberry.argument(description=f"1 to {theme_translations.PAGE_SIZE_MAX}.")
        ] = 50,
        after: str | None = None,
    ) -> ThemeTranslationConnection:
        with as_query_error():
            check_page_size(first)
            version_id = None
            if version is not None:
                version_id = int_of(version, "ThemeVersion") or 0
            page = await theme_resolvers.translations(
                info.context, locale, version_id, search=search,
                overridden_only=overridden_only, after=_after(after), first=first,
            )  # fmt: skip
        edges = [
            ThemeTranslationEdge(cursor=_cursor(entry.msgid), node=ThemeTranslation.of(entry))
            for entry in page.entries
        ]
        return ThemeTranslationConnection(
            edges=edges,
            page_info=forward_page_info(edges, has_next_page=page.has_next_page, after=after),
        )


@strawberry.type
class ThemeTranslationMutation:
    @strawberry.mutation(
        description="Staff (theme.manage): save the brand's own text for player-facing "
        "messages in one locale as its next theme version (the base version's look and "
        "other overrides kept), not live until published. Only the shipped catalogues' "
        "messages; each text keeps its message's placeholders, has no markup and stays "
        "within its length. Audited."
    )
    async def save_theme_translations(
        self, info: Info, input: SaveThemeTranslationsInput
    ) -> SaveThemeTranslationsPayload:
        outcome: Outcome[theme_editor.Version]
        if len(input.translations) > TRANSLATIONS_PER_SAVE_MAX:
            outcome = Outcome(errors=[brand_errors.UnknownMessage(field="translations")])
        else:
            based_on = None
            if input.version is not None:
                based_on = int_of(input.version, "ThemeVersion") or 0
            texts = {entry.msgid: entry.text for entry in input.translations}
            outcome = await theme_resolvers.save_translations(
                info.context, input.locale, texts, based_on
            )
        return SaveThemeTranslationsPayload(
            version=ThemeVersion.of(outcome.value) if outcome.value else None,
            errors=to_errors(SaveThemeTranslationsError, outcome.errors),
        )
