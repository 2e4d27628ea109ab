from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, DateTime, ForeignKey, Integer, Text, UniqueConstraint, func
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
