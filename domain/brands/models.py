from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, Text, func
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
