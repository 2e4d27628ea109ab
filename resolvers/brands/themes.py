"""The theme editor on the request's brand (theme.manage): save a theme, upload a logo or
favicon, publish or roll back a version, list versions. `domain.brands` sits below
`accounts`, so the permission is checked here, over the request's brand, before the domain
is called."""

from __future__ import annotations

from collections.abc import Mapping

from domain.accounts.permissions import Permission
from domain.accounts.principal import require_permission
from domain.brands import theme_editor
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


def preview_path(ctx: Context, version_id: int) -> str:
    """The brand-host path of the home page in this version's look (a signed token)."""
    token = preview_token(ctx.settings.secret_key, ctx.brand.slug, version_id, clock.now())
    return f"/_theme-preview/{token}"
