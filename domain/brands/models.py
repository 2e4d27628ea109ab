from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Integer,
    LargeBinary,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.orm import Mapped, mapped_column

from domain.kernel.db import Base


class BrandRow(Base):
    """The database's record of a brand, so other tables can reference it.

    The theme folder is the source of truth; `sync_brands` upserts these rows.
    """

    __tablename__ = "brands"

    slug: Mapped[str] = mapped_column(Text, primary_key=True)
    name: Mapped[str] = mapped_column(Text)
    jurisdiction: Mapped[str] = mapped_column(Text)
    # The brand's IANA time zone: reporting cuts its days there.
    time_zone: Mapped[str] = mapped_column(Text, server_default="UTC")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class ThemeVersion(Base):
    """A saved palette of a brand (append-only): drafts are versions nobody published yet.
    Only palettes that pass the contrast rules are saved."""

    __tablename__ = "theme_versions"
    __table_args__ = (UniqueConstraint("brand", "number"),)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    brand: Mapped[str] = mapped_column(Text, ForeignKey("brands.slug"))
    # 1, 2, 3… per brand.
    number: Mapped[int] = mapped_column(Integer)
    # Colour token name -> #rrggbb, every token of ColourTokens.
    colours: Mapped[dict[str, Any]] = mapped_column(JSONB)
    # FontTokens and RadiusTokens as dicts; NULL: the theme folder's.
    fonts: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    radius: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    # Legal/content page -> Markdown; a page absent: the theme folder's.
    pages: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    # Locale -> {msgid: the operator's text}, checked against the shipped catalogues;
    # NULL or a message absent: the catalogue's.
    translations: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    # Uploaded files; NULL: the theme folder's.
    logo_asset_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("theme_assets.id"))
    favicon_asset_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("theme_assets.id"))
    author_id: Mapped[uuid.UUID] = mapped_column(UUID)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class ThemePublication(Base):
    """A version put live on a brand (append-only): the brand shows the version of its
    latest publication; a rollback publishes an older version again."""

    __tablename__ = "theme_publications"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    brand: Mapped[str] = mapped_column(Text, ForeignKey("brands.slug"))
    version_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("theme_versions.id"))
    publisher_id: Mapped[uuid.UUID] = mapped_column(UUID)
    reason: Mapped[str] = mapped_column(Text)
    published_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )


class ThemeAsset(Base):
    """A logo or favicon uploaded in the theme editor (append-only), already checked: a
    PNG or WebP by its magic bytes, within its size. Versions name the ones they use."""

    __tablename__ = "theme_assets"
    __table_args__ = (
        CheckConstraint("kind IN ('logo', 'favicon')", name="kind"),
        CheckConstraint("media_type IN ('image/png', 'image/webp')", name="media_type"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    brand: Mapped[str] = mapped_column(Text, ForeignKey("brands.slug"))
    kind: Mapped[str] = mapped_column(Text)
    media_type: Mapped[str] = mapped_column(Text)
    content: Mapped[bytes] = mapped_column(LargeBinary)
    # SHA-256 of the content, hex: the file's URL carries its start (cached for a year).
    digest: Mapped[str] = mapped_column(Text)
    author_id: Mapped[uuid.UUID] = mapped_column(UUID)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
