"""Translation overrides in the theme editor's domain: only the shipped catalogues'
messages, their placeholders kept, bounded, plain text; each refusal typed and nothing
stored; a draft carries its base version's overrides, publishing puts them live and a
rollback (an older version published again) takes them back."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import func, select

from domain.brands import theme_editor, theme_translations
from domain.brands.errors import (
    MarkupInTranslation,
    PlaceholderMismatch,
    ThemeVersionNotFound,
    TranslationTooLong,
    UnknownLocale,
    UnknownMessage,
)
from domain.brands.models import ThemeVersion
from domain.brands.service import BrandRegistry
from domain.kernel.audit import AuditEntry
from domain.kernel.db import Database
from domain.kernel.errors import DomainError
from domain.kernel.settings import get_settings

EDITOR = theme_editor.Editor("staff", uuid.uuid4())
WELCOME = "Welcome to %(brand)s"


def _catalogues() -> dict[str, theme_translations.Catalogue]:
    themes = get_settings().themes_dir
    return {loc: theme_translations.catalogue(themes, "aurora", loc) for loc in ("en", "de")}


async def _save(
    db: Database, registry: BrandRegistry, locale: str, texts: dict[str, str], **kw: int | None
) -> theme_editor.Version:
    async with db.transaction() as uow:
        return await theme_editor.save_translations(
            uow, EDITOR, "aurora", _catalogues(), {locale: texts},
            based_on=kw.get("based_on"),
            folder_colours=registry.get("aurora").tokens.colour.model_dump(),
        )  # fmt: skip


async def _versions(db: Database) -> int:
    async with db.uow() as uow:
        return int(await uow.session.scalar(select(func.count()).select_from(ThemeVersion)) or 0)


def test_the_catalogue_holds_the_shipped_text_per_locale() -> None:
    catalogues = _catalogues()

    assert catalogues["de"].messages[WELCOME] == "Willkommen bei %(brand)s"
    assert catalogues["en"].messages[WELCOME] == WELCOME
    assert set(catalogues["de"].messages) == set(catalogues["en"].messages)
    assert list(catalogues["de"].ordered) == sorted(catalogues["de"].messages)


@pytest.mark.parametrize(
    ("locale", "msgid", "text", "error", "message"),
    [
        ("de", "Welcome to the casino", "Hallo", UnknownMessage,
         "“Welcome to the casino” is not a message of the shipped catalogues."),
        ("sv", WELCOME, "Välkommen till %(brand)s", UnknownLocale,
         "This brand has no locale 'sv'."),
        ("de", WELCOME, "Willkommen im Kasino", PlaceholderMismatch,
         "The text for “Welcome to %(brand)s” must keep the placeholders %(brand)s."),
        ("de", WELCOME, "Willkommen bei %(name)s", PlaceholderMismatch,
         "The text for “Welcome to %(brand)s” must keep the placeholders %(brand)s."),
        ("de", WELCOME, "100% %(brand)s", PlaceholderMismatch,
         "The text for “Welcome to %(brand)s” has a % that is no placeholder (write %% "
         "for a percent sign)."),
        ("de", "Categories", "Kategorien {brand}", PlaceholderMismatch,
         "The text for “Categories” must keep the placeholders (none)."),
        ("de", "Categories", "Alle 100%% Spiele", PlaceholderMismatch,
         "The text for “Categories” has a % sign, which this message cannot show."),
        ("de", "Categories", "<b>Kategorien</b>", MarkupInTranslation,
         "The text for “Categories” contains markup (<…>): write plain text."),
        ("de", "Categories", "K" * 61, TranslationTooLong,
         "The text for “Categories” has 61 characters; at most 60."),
    ],
)  # fmt: skip
async def test_a_bad_override_is_refused_typed_and_nothing_is_stored(
    *,
    db: Database,
    registry: BrandRegistry,
    locale: str,
    msgid: str,
    text: str,
    error: type[DomainError],
    message: str,
) -> None:
    with pytest.raises(error) as refused:
        await _save(db, registry, locale, {"Providers": "Spielehersteller", msgid: text})

    assert refused.value.message == message
    assert await _versions(db) == 0


async def test_an_override_keeping_its_placeholders_is_saved_over_the_base_version(
    db: Database, registry: BrandRegistry
) -> None:
    first = await _save(db, registry, "de", {WELCOME: "Herzlich willkommen bei %(brand)s"})
    second = await _save(
        db, registry, "de", {"Providers": "Spielehersteller", "Categories": "Kategorien"},
        based_on=first.id,
    )  # fmt: skip
    third = await _save(db, registry, "en", {"Providers": "Studios"}, based_on=second.id)
    dropped = await _save(db, registry, "de", {WELCOME: ""}, based_on=third.id)

    assert first.translations == {"de": {WELCOME: "Herzlich willkommen bei %(brand)s"}}
    # The shipped text again is no override.
    assert second.translations == {
        "de": {WELCOME: "Herzlich willkommen bei %(brand)s", "Providers": "Spielehersteller"}
    }
    assert third.translations == {**second.translations, "en": {"Providers": "Studios"}}
    assert dropped.translations == {
        "de": {"Providers": "Spielehersteller"},
        "en": {"Providers": "Studios"},
    }
    assert first.colours == registry.get("aurora").tokens.colour.model_dump()
    assert [first.live, second.live] == [False, False]


async def test_another_brands_version_is_no_base(db: Database, registry: BrandRegistry) -> None:
    async with db.transaction() as uow:
        northstar = await theme_editor.save_draft(
            uow, EDITOR, "northstar", registry.get("northstar").tokens.colour.model_dump()
        )

    with pytest.raises(ThemeVersionNotFound):
        await _save(db, registry, "de", {"Providers": "Studios"}, based_on=northstar.id)

    assert await _versions(db) == 1


async def test_publish_puts_the_overrides_live_and_a_rollback_takes_them_back(
    db: Database, registry: BrandRegistry
) -> None:
    async with db.transaction() as uow:
        plain = await theme_editor.save_draft(
            uow, EDITOR, "aurora", registry.get("aurora").tokens.colour.model_dump()
        )
        await theme_editor.publish(uow, EDITOR, "aurora", plain.id, "shipped look")
    worded = await _save(db, registry, "de", {WELCOME: "Servus bei %(brand)s"})

    async with db.transaction() as uow:
        await theme_editor.publish(uow, EDITOR, "aurora", worded.id, "friendlier")
        live_after_publish = (await theme_editor.live_versions(uow))["aurora"].translations
    async with db.transaction() as uow:
        await theme_editor.publish(uow, EDITOR, "aurora", plain.id, "back")
        live_after_rollback = (await theme_editor.live_versions(uow))["aurora"].translations
        audit = list(
            await uow.session.scalars(
                select(AuditEntry.after)
                .where(AuditEntry.action == "brand.theme.draft", AuditEntry.brand == "aurora")
                .order_by(AuditEntry.id.desc())
                .limit(1)
            )
        )

    assert live_after_publish == {"de": {WELCOME: "Servus bei %(brand)s"}}
    assert live_after_rollback == {}
    assert audit[0]["translations"] == {"de": {WELCOME: "Servus bei %(brand)s"}}


def test_entries_page_by_msgid_and_search_every_column() -> None:
    found = _catalogues()["de"]
    overrides = {"Providers": "Spielehersteller"}

    first = theme_translations.entries(found, overrides, first=2)
    after = theme_translations.entries(found, overrides, after=first.entries[-1].msgid, first=2)
    by_override = theme_translations.entries(found, overrides, search="SPIELEHERST")
    by_shipped = theme_translations.entries(found, overrides, search="willkommen bei")
    only = theme_translations.entries(found, overrides, overridden_only=True)

    assert [e.msgid for e in first.entries + after.entries] == list(found.ordered[:4])
    assert first.has_next_page
    assert by_override.entries == [
        theme_translations.Entry("Providers", "Anbieter", "Spielehersteller")
    ]
    assert WELCOME in [e.msgid for e in by_shipped.entries]
    assert [e.msgid for e in only.entries] == ["Providers"] and not only.has_next_page
