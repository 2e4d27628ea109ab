"""theme editor: palette versions and their publications (append-only)

Revision ID: 0021_backoffice
Revises: 0020_messaging
Create Date: 2026-12-07 05:00:00

- `theme_versions`: each palette saved in the back office's theme editor, numbered per
  brand; only palettes that pass WCAG 2.2 AA contrast are saved.
- `theme_publications`: each version put live on a brand (a rollback publishes an older
  one again). A brand shows the version of its latest publication; without any, its
  theme folder's palette.
Both are append-only (domain/kernel/roles.APPEND_ONLY_TABLES): the application role may
only INSERT and SELECT them.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0021_backoffice"
down_revision: str | Sequence[str] | None = "0020_messaging"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "theme_versions",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("brand", sa.Text(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("colours", postgresql.JSONB(), nullable=False),
        sa.Column("author_id", postgresql.UUID(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["brand"], ["brands.slug"], name=op.f("fk_theme_versions_brand_brands")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_theme_versions")),
        sa.UniqueConstraint("brand", "number", name=op.f("uq_theme_versions_brand_number")),
    )
    op.create_table(
        "theme_publications",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("brand", sa.Text(), nullable=False),
        sa.Column("version_id", sa.BigInteger(), nullable=False),
        sa.Column("publisher_id", postgresql.UUID(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column(
            "published_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["brand"], ["brands.slug"], name=op.f("fk_theme_publications_brand_brands")
        ),
        sa.ForeignKeyConstraint(
            ["version_id"],
            ["theme_versions.id"],
            name=op.f("fk_theme_publications_version_id_theme_versions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_theme_publications")),
    )


def downgrade() -> None:
    op.drop_table("theme_publications")
    op.drop_table("theme_versions")
