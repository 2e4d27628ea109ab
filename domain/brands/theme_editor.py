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
from dataclasses import dataclass
from typing import Final

from pydantic import ValidationError
from sqlalchemy import func, select

from domain.brands.errors import InvalidColour, LowContrast, ThemeVersionNotFound
from domain.brands.events import ThemePublished
from domain.brands.models import ThemePublication, ThemeVersion
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
class Version:
    id: int
    number: int
    colours: dict[str, str]
    created_at: str
    live: bool


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
    uow: UnitOfWork, staff: Editor, brand: str, colours: Mapping[str, str]
) -> Version:
    """Save a palette as the brand's next version (not live until published). Errors:
    InvalidColour, LowContrast: nothing is stored then."""
    palette = checked_palette(colours)
    # Numbered in order per brand; two saves at the same instant meet the unique
    # (brand, number) and the second fails whole, saving nothing.
    last = await uow.session.scalar(
        select(func.max(ThemeVersion.number)).where(ThemeVersion.brand == brand)
    )
    version = ThemeVersion(
        brand=brand, number=(last or 0) + 1, colours=palette.model_dump(), author_id=staff.id
    )
    uow.session.add(version)
    await uow.flush()
    await audit.record(
        uow, actor_kind=staff.kind, actor_id=staff.id, action="brand.theme.draft",
        subject_type="brand", subject_id=brand, brand=brand,
        after={"version": version.number, "colours": version.colours},
    )  # fmt: skip
    return await _version(uow, version, live=False)


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
    return [_as_version(row, live=row.id == live) for row in rows]


async def live_palettes(uow: UnitOfWork) -> dict[str, dict[str, str]]:
    """Brand -> the colours of its live (latest published) version; brands that never
    published are absent (their theme folder's palette applies)."""
    latest = (
        select(func.max(ThemePublication.id).label("id"))
        .group_by(ThemePublication.brand)
        .subquery()
    )
    rows = await uow.session.execute(
        select(ThemePublication.brand, ThemeVersion.colours)
        .join(latest, latest.c.id == ThemePublication.id)
        .join(ThemeVersion, ThemeVersion.id == ThemePublication.version_id)
    )
    return {brand: dict(colours) for brand, colours in rows}


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
    return _as_version(row, live=live)


def _as_version(row: ThemeVersion, *, live: bool) -> Version:
    return Version(
        id=row.id,
        number=row.number,
        colours=dict(row.colours),
        created_at=row.created_at.isoformat(),
        live=live,
    )
