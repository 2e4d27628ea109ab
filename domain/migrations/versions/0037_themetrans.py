"""themetrans: a theme version's translation overrides

Revision ID: 0037_themetrans
Revises: 0036_segfix
Create Date: 2026-12-07 21:10:00

- `theme_versions.translations`: locale -> {msgid: the operator's text}, the player-facing
  strings a version overrides over the shipped catalogues (NULL: none).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0037_themetrans"
down_revision: str | Sequence[str] | None = "0036_segfix"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "theme_versions",
        sa.Column("translations", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
    )


def downgrade() -> None:
    op.drop_column("theme_versions", "translations")
