"""The theme editor on the request's brand (theme.manage): save a theme, upload a logo or
favicon, publish or roll back a version, list versions. `domain.brands` sits below
`accounts`, so the permission is checked here, over the request's brand, before the domain
is called."""

from __future__ import annotations

from collections.abc import Mapping

from domain.accounts.permissions import Permission
from domain.accounts.principal import require_permission
from domain.brands import theme_editor, theme_translations
from domain.brands.errors import ThemeVersionNotFound, UnknownLocale
from domain.brands.preview import preview_token
from domain.kernel import clock
from resolvers.context import Context
from resolvers.results import Outcome, attempt


async def _editor(ctx: Context) -> theme_editor.Editor:
    staff = require_permission(await ctx.principal(), Permission.THEME_MANAGE, ctx.brand.slug)
    return theme_editor.Editor(kind=staff.actor_kind, id=staff.id)


async def save_draft(
    ctx: Context,
    colours: Mapping[str, str],
    draft: theme_editor.Draft = theme_editor.Draft(),  # frozen: one shared default is safe
) -> Outcome[theme_editor.Version]:
    async def run() -> theme_editor.Version:
        editor = await _editor(ctx)
        async with ctx.db.uow() as uow:
            version = await theme_editor.save_draft(uow, editor, ctx.brand.slug, colours, draft)
            await uow.commit()
        return version

    return await attempt(run)


async def upload_asset(ctx: Context, kind: str, content: bytes) -> Outcome[theme_editor.AssetRef]:
    async def run() -> theme_editor.AssetRef:
        editor = await _editor(ctx)
        async with ctx.db.uow() as uow:
            asset = await theme_editor.upload_asset(uow, editor, ctx.brand.slug, kind, content)
            await uow.commit()
        return asset

    return await attempt(run)


async def publish(
    ctx: Context, version_id: int | None, reason: str
) -> Outcome[theme_editor.Version]:
    async def run() -> theme_editor.Version:
        editor = await _editor(ctx)
        async with ctx.db.uow() as uow:
            version = await theme_editor.publish(uow, editor, ctx.brand.slug, version_id, reason)
            await uow.commit()
        return version

    return await attempt(run)


async def versions(ctx: Context) -> list[theme_editor.Version]:
    """For the `themeVersions` field, whose permission class already checked theme.manage."""
    async with ctx.db.uow() as uow:
        return await theme_editor.versions(uow, ctx.brand.slug)


def catalogues(ctx: Context) -> dict[str, theme_translations.Catalogue]:
    """The brand's shipped messages per locale it is shown in."""
    themes_dir = ctx.settings.themes_dir
    return {
        locale: theme_translations.catalogue(themes_dir, ctx.brand.slug, locale)
        for locale in ctx.brand.all_locales
    }


async def save_translations(
    ctx: Context, locale: str, texts: Mapping[str, str], based_on: int | None
) -> Outcome[theme_editor.Version]:
    async def run() -> theme_editor.Version:
        editor = await _editor(ctx)
        async with ctx.db.uow() as uow:
            version = await theme_editor.save_translations(
                uow, editor, ctx.brand.slug, catalogues(ctx), {locale: texts},
                based_on=based_on, folder_colours=ctx.brand.tokens.colour.model_dump(),
            )  # fmt: skip
            await uow.commit()
        return version

    return await attempt(run)


async def translations(
    ctx: Context,
    locale: str,
    version_id: int | None,
    *,
    search: str,
    overridden_only: bool,
    after: str | None,
    first: int,
) -> theme_translations.EntryPage:
    """For the `themeTranslations` field (its permission class checked theme.manage): the
    messages of `locale` beside the overrides of a version (None: the live one). Errors:
    UnknownLocale, ThemeVersionNotFound."""
    if locale not in ctx.brand.all_locales:
        raise UnknownLocale(f"This brand has no locale {locale!r}.", field="locale")
    async with ctx.db.uow() as uow:
        if version_id is None:
            live = await theme_editor.live_version(uow, ctx.brand.slug)
        else:
            live = await theme_editor.version(uow, ctx.brand.slug, version_id)
            if live is None:
                raise ThemeVersionNotFound(field="version")
    found = theme_translations.catalogue(ctx.settings.themes_dir, ctx.brand.slug, locale)
    overrides = live.translations.get(locale, {}) if live is not None else {}
    return theme_translations.entries(
        found, overrides, search=search, overridden_only=overridden_only, after=after,
        first=first,
    )  # fmt: skip


def preview_path(ctx: Context, version_id: int) -> str:
    """The brand-host path of the home page in this version's look (a signed token)."""
    token = preview_token(ctx.settings.secret_key, ctx.brand.slug, version_id, clock.now())
    return f"/_theme-preview/{token}"
