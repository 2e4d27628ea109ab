"""The theme editor's domain: palettes (colour tokens) saved as versions, checked against
WCAG 2.2 AA contrast before anything is stored, and published (or rolled back: an older
version published again) on one brand. Both tables are append-only; the live palette of a
brand is the version of its latest publication, announced to every replica through the
outbox (ThemePublished), so no restart is needed. The files in `themes/` stay the shipped
defaults: a brand without a publication shows its theme folder's palette.

`brands` sits below `accounts` (pyproject's layers), so these functions take the acting
staff member as plain values: the caller (resolvers/brands) first checks the
`theme.manage` permission over the brand with `require_permission`."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Final

from pydantic import ValidationError
from sqlalchemy import func, select

from domain.brands import theme_content, theme_translations
from domain.brands.errors import (
    InvalidColour,
    LowContrast,
    ThemeAssetNotFound,
    ThemeVersionNotFound,
)
from domain.brands.events import ThemePublished
from domain.brands.models import ThemeAsset, ThemePublication, ThemeVersion
from domain.brands.theme import ColourTokens, contrast_problems
from domain.kernel import audit
from domain.kernel.db import UnitOfWork
from domain.kernel.outbox import emit

VERSIONS_LISTED_MAX: Final = 50


@dataclass(frozen=True)
class Editor:
    """Who acts (already holding theme.manage over the brand)."""

    kind: str
    id: uuid.UUID


@dataclass(frozen=True)
class AssetRef:
    """An uploaded file as pages link it: `/theme-assets/<id>.<digest>.<ext>`."""

    id: int
    kind: str
    media_type: str
    digest: str

    @property
    def path(self) -> str:
        extension = "png" if self.media_type == "image/png" else "webp"
        return f"/theme-assets/{self.id}.{self.digest[:12]}.{extension}"


@dataclass(frozen=True)
class Version:
    id: int
    number: int
    colours: dict[str, str]
    created_at: str
    live: bool
    # None: the theme folder's (fonts, radius, logo, favicon); pages absent likewise.
    fonts: dict[str, str] | None = None
    radius: dict[str, str] | None = None
    pages: dict[str, str] = field(default_factory=dict)
    logo: AssetRef | None = None
    favicon: AssetRef | None = None
    # Locale -> {msgid: the operator's text}; a message absent: the catalogue's.
    translations: dict[str, dict[str, str]] = field(default_factory=dict)


@dataclass(frozen=True)
class Draft:
    """What a draft sets beside its palette; None: the live version's (else the folder's).
    `fonts` by name (theme_content.FONT_CHOICES), `radius` by slot, `pages` by name (a page
    given as empty text goes back to the folder's), assets by upload id, translations by
    locale then msgid (an empty text goes back to the catalogue's). `based_on`: the version
    whose settings the draft starts from (None: the live one)."""

    fonts: Mapping[str, str] | None = None
    radius: Mapping[str, str] | None = None
    pages: Mapping[str, str] | None = None
    logo_asset_id: int | None = None
    favicon_asset_id: int | None = None
    translations: Mapping[str, Mapping[str, str]] | None = None
    based_on: int | None = None


def checked_palette(colours: Mapping[str, str]) -> ColourTokens:
    """The palette if every colour is a known token in #rrggbb and every text/background
    pair meets WCAG 2.2 AA. Errors: InvalidColour, LowContrast (its message names each
    failing pair with its ratio)."""
    try:
        palette = ColourTokens(**dict(colours))
    except (ValidationError, TypeError):
        raise InvalidColour(field="colours") from None
    problems = contrast_problems(palette)
    if problems:
        raise LowContrast("; ".join(problems), field="colours")
    return palette


async def save_draft(
    uow: UnitOfWork,
    staff: Editor,
    brand: str,
    colours: Mapping[str, str],
    draft: Draft = Draft(),  # frozen: one shared default is safe
    *,
    catalogues: Mapping[str, theme_translations.Catalogue] | None = None,
) -> Version:
    """Save a theme as the brand's next version (not live until published): the palette,
    and what `draft` sets over the base version's (the live one unless `draft.based_on`)
    fonts, radii, pages, assets and translations (checked against `catalogues`, the
    brand's shipped messages per locale). Errors: InvalidColour, LowContrast, InvalidFont,
    InvalidRadius, InvalidPage, ThemeAssetNotFound, ThemeVersionNotFound (based_on),
    UnknownLocale, UnknownMessage, PlaceholderMismatch, TranslationTooLong,
    MarkupInTranslation: nothing is stored then."""
    palette = checked_palette(colours)
    fonts = theme_content.font_tokens(draft.fonts) if draft.fonts is not None else None
    radius = theme_content.radius_tokens(draft.radius) if draft.radius is not None else None
    pages = theme_content.checked_pages(draft.pages) if draft.pages is not None else None
    texts = (
        theme_translations.checked_overrides(catalogues or {}, draft.translations)
        if draft.translations is not None
        else {}
    )
    for asset_id, kind in ((draft.logo_asset_id, "logo"), (draft.favicon_asset_id, "favicon")):
        if asset_id is not None and await _asset_row(uow, brand, asset_id, kind) is None:
            raise ThemeAssetNotFound(field=kind)
    live = await _base_row(uow, brand, draft.based_on)
    # Numbered in order per brand; two saves at the same instant meet the unique
    # (brand, number) and the second fails whole, saving nothing.
    last = await uow.session.scalar(
        select(func.max(ThemeVersion.number)).where(ThemeVersion.brand == brand)
    )
    kept_pages = dict(live.pages or {}) if live is not None else {}
    if pages is not None:
        kept_pages = {k: v for k, v in {**kept_pages, **pages}.items() if v.strip()}
    kept_texts = _merged_translations(live.translations if live is not None else None, texts)
    version = ThemeVersion(
        brand=brand, number=(last or 0) + 1, colours=palette.model_dump(), author_id=staff.id,
        fonts=fonts.model_dump() if fonts else (live.fonts if live else None),
        radius=radius.model_dump() if radius else (live.radius if live else None),
        pages=kept_pages or None,
        translations=kept_texts or None,
        logo_asset_id=draft.logo_asset_id or (live.logo_asset_id if live else None),
        favicon_asset_id=draft.favicon_asset_id or (live.favicon_asset_id if live else None),
    )  # fmt: skip
    uow.session.add(version)
    await uow.flush()
    await audit.record(
        uow, actor_kind=staff.kind, actor_id=staff.id, action="brand.theme.draft",
        subject_type="brand", subject_id=brand, brand=brand,
        after={"version": version.number, "colours": version.colours, "fonts": version.fonts,
               "radius": version.radius, "pages": sorted(kept_pages),
               "logo": version.logo_asset_id, "favicon": version.favicon_asset_id,
               "translations": texts, "based_on": live.number if live else None},
    )  # fmt: skip
    return await _version(uow, version, live=False)


async def save_translations(
    uow: UnitOfWork,
    staff: Editor,
    brand: str,
    catalogues: Mapping[str, theme_translations.Catalogue],
    texts: Mapping[str, Mapping[str, str]],
    *,
    based_on: int | None,
    folder_colours: Mapping[str, str],
) -> Version:
    """Save the base version (`based_on`, else the live one, else the theme folder's look:
    `folder_colours`) with these translation overrides as the brand's next version.
    Errors: as save_draft."""
    base = await _base_row(uow, brand, based_on)
    colours = dict(base.colours) if base is not None else dict(folder_colours)
    draft = Draft(translations=texts, based_on=base.id if base is not None else None)
    return await save_draft(uow, staff, brand, colours, draft, catalogues=catalogues)


def _merged_translations(
    kept: Mapping[str, Mapping[str, str]] | None, texts: Mapping[str, Mapping[str, str]]
) -> dict[str, dict[str, str]]:
    """The base's overrides with `texts` over them; an empty text drops one."""
    merged = {locale: dict(values) for locale, values in (kept or {}).items()}
    for locale, values in texts.items():
        merged.setdefault(locale, {}).update(values)
    return {
        locale: {msgid: text for msgid, text in sorted(values.items()) if text}
        for locale, values in sorted(merged.items())
        if any(values.values())
    }


async def _base_row(uow: UnitOfWork, brand: str, based_on: int | None) -> ThemeVersion | None:
    """The version a draft starts from: `based_on` (the brand's), else the live one.
    Errors: ThemeVersionNotFound."""
    if based_on is None:
        live_id = await _live_version_id(uow, brand)
        return await uow.session.get(ThemeVersion, live_id) if live_id is not None else None
    row = await uow.session.scalar(
        select(ThemeVersion).where(ThemeVersion.id == based_on, ThemeVersion.brand == brand)
    )
    if row is None:
        raise ThemeVersionNotFound(field="version")
    return row


async def upload_asset(
    uow: UnitOfWork, staff: Editor, brand: str, kind: str, content: bytes
) -> AssetRef:
    """Keep an uploaded logo or favicon for the brand's drafts. Errors: InvalidAsset
    (not a PNG or WebP by its bytes, SVG, or too large): nothing is stored then."""
    checked = theme_content.checked_asset(kind, content)
    row = ThemeAsset(
        brand=brand, kind=kind, media_type=checked.media_type, content=checked.content,
        digest=checked.digest, author_id=staff.id,
    )  # fmt: skip
    uow.session.add(row)
    await uow.flush()
    await audit.record(
        uow, actor_kind=staff.kind, actor_id=staff.id, action="brand.theme.asset",
        subject_type="brand", subject_id=brand, brand=brand,
        after={"asset": row.id, "kind": kind, "media_type": checked.media_type,
               "bytes": len(content), "sha256": checked.digest},
    )  # fmt: skip
    return AssetRef(row.id, kind, row.media_type, row.digest)


@dataclass(frozen=True)
class AssetFile:
    media_type: str
    content: bytes
    digest: str


async def asset_file(uow: UnitOfWork, brand: str, asset_id: int) -> AssetFile | None:
    """An uploaded file of the brand, for the site to serve."""
    row = await _asset_row(uow, brand, asset_id, None)
    return AssetFile(row.media_type, row.content, row.digest) if row is not None else None


async def version(uow: UnitOfWork, brand: str, version_id: int) -> Version | None:
    """One version of the brand (a draft to preview), or None."""
    row = await uow.session.scalar(
        select(ThemeVersion).where(ThemeVersion.id == version_id, ThemeVersion.brand == brand)
    )
    if row is None:
        return None
    live = await _live_version_id(uow, brand)
    return (await _with_assets(uow, [row], {live} if live is not None else set()))[0]


async def _asset_row(
    uow: UnitOfWork, brand: str, asset_id: int, kind: str | None
) -> ThemeAsset | None:
    query = select(ThemeAsset).where(ThemeAsset.id == asset_id, ThemeAsset.brand == brand)
    if kind is not None:
        query = query.where(ThemeAsset.kind == kind)
    return await uow.session.scalar(query)


async def publish(
    uow: UnitOfWork, staff: Editor, brand: str, version_id: int | None, reason: str
) -> Version:
    """Put a saved version live on the brand (an older one: a rollback). Errors:
    ReasonRequired, DomainError (reason), ThemeVersionNotFound."""
    cleaned = audit.audit_reason(reason)
    version = None
    if version_id is not None:
        version = await uow.session.scalar(
            select(ThemeVersion).where(ThemeVersion.id == version_id, ThemeVersion.brand == brand)
        )
    if version is None:
        raise ThemeVersionNotFound(field="version")
    before = await live_version_number(uow, brand)
    uow.session.add(
        ThemePublication(brand=brand, version_id=version.id, publisher_id=staff.id, reason=cleaned)
    )
    await uow.flush()
    await audit.record(
        uow, actor_kind=staff.kind, actor_id=staff.id, action="brand.theme.publish",
        subject_type="brand", subject_id=brand, brand=brand, reason=cleaned,
        before={"version": before}, after={"version": version.number},
    )  # fmt: skip
    await emit(uow, ThemePublished(brand=brand, version=version.number), brand=brand)
    return await _version(uow, version, live=True)


async def versions(uow: UnitOfWork, brand: str) -> list[Version]:
    """The brand's versions, newest first, the live one marked."""
    live = await _live_version_id(uow, brand)
    rows = await uow.session.scalars(
        select(ThemeVersion)
        .where(ThemeVersion.brand == brand)
        .order_by(ThemeVersion.number.desc())
        .limit(VERSIONS_LISTED_MAX)
    )
    return await _with_assets(uow, list(rows), {live} if live is not None else set())


async def live_palettes(uow: UnitOfWork) -> dict[str, dict[str, str]]:
    """Brand -> the colours of its live (latest published) version; brands that never
    published are absent (their theme folder's palette applies)."""
    return {brand: version.colours for brand, version in (await live_versions(uow)).items()}


async def live_versions(uow: UnitOfWork) -> dict[str, Version]:
    """Brand -> its live (latest published) version, assets included (two statements);
    brands that never published are absent (their theme folder applies)."""
    latest = (
        select(func.max(ThemePublication.id).label("id"))
        .group_by(ThemePublication.brand)
        .subquery()
    )
    rows = list(
        await uow.session.scalars(
            select(ThemeVersion)
            .join(ThemePublication, ThemeVersion.id == ThemePublication.version_id)
            .join(latest, latest.c.id == ThemePublication.id)
        )
    )
    found = await _with_assets(uow, rows, {row.id for row in rows})
    return {version_row.brand: v for version_row, v in zip(rows, found, strict=True)}


async def live_version(uow: UnitOfWork, brand: str) -> Version | None:
    """The brand's live version, or None (the theme folder applies)."""
    live_id = await _live_version_id(uow, brand)
    row = await uow.session.get(ThemeVersion, live_id) if live_id is not None else None
    return (await _with_assets(uow, [row], {row.id}))[0] if row is not None else None


async def live_version_number(uow: UnitOfWork, brand: str) -> int | None:
    live = await _live_version_id(uow, brand)
    if live is None:
        return None
    return await uow.session.scalar(select(ThemeVersion.number).where(ThemeVersion.id == live))


async def _live_version_id(uow: UnitOfWork, brand: str) -> int | None:
    return await uow.session.scalar(
        select(ThemePublication.version_id)
        .where(ThemePublication.brand == brand)
        .order_by(ThemePublication.id.desc())
        .limit(1)
    )


async def _version(uow: UnitOfWork, row: ThemeVersion, *, live: bool) -> Version:
    await uow.session.refresh(row, ["created_at"])
    return (await _with_assets(uow, [row], {row.id} if live else set()))[0]


async def _with_assets(
    uow: UnitOfWork, rows: list[ThemeVersion], live_ids: set[int]
) -> list[Version]:
    """The versions with their assets' references (one statement for all of them)."""
    ids = {i for row in rows for i in (row.logo_asset_id, row.favicon_asset_id) if i}
    refs: dict[int, AssetRef] = {}
    if ids:
        found = await uow.session.execute(
            select(ThemeAsset.id, ThemeAsset.kind, ThemeAsset.media_type, ThemeAsset.digest).where(
                ThemeAsset.id.in_(ids)
            )
        )
        refs = {row.id: AssetRef(row.id, row.kind, row.media_type, row.digest) for row in found}
    return [
        Version(
            id=row.id,
            number=row.number,
            colours=dict(row.colours),
            created_at=row.created_at.isoformat(),
            live=row.id in live_ids,
            fonts=dict(row.fonts) if row.fonts else None,
            radius=dict(row.radius) if row.radius else None,
            pages=dict(row.pages or {}),
            logo=refs.get(row.logo_asset_id) if row.logo_asset_id else None,
            favicon=refs.get(row.favicon_asset_id) if row.favicon_asset_id else None,
            translations={k: dict(v) for k, v in (row.translations or {}).items()},
        )
        for row in rows
    ]
