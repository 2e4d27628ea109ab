"""bofin: back-office search indexes, theme assets and tokens, player notes

Revision ID: 0034_bofin
Revises: 0027_aml_registers
Create Date: 2026-12-07 18:00:00

- Audit-log search (back office): by actor and by subject (keyset on `id`, so those end
  with it), and a brand's rows over a range of time (or all of them).
- Deposit search: a brand's deposits newest first and a player's, keyset on
  (created_at, id), partial on deposits (withdrawals have the review queue's index).
- `theme_assets` (append-only): logos and favicons uploaded in the theme editor, checked
  PNG or WebP; `theme_versions` names them and carries fonts, radii and content pages.
- `player_notes` (append-only): staff notes on a player's profile.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0034_bofin"
down_revision: str | Sequence[str] | None = "0033_engage"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_audit_log_actor_id", "audit_log", ["actor_id", "id"])
    op.create_index("ix_audit_log_subject_id", "audit_log", ["subject_type", "subject_id", "id"])
    op.create_index("ix_audit_log_brand_at", "audit_log", ["brand", "at"])
    # A brand's newest page with no filter: the page's own order, read until the page is full.
    op.create_index("ix_audit_log_brand_id", "audit_log", ["brand", "id"])
    op.create_index(
        "ix_payments_deposit_search",
        "payments",
        ["brand", "created_at", "id"],
        postgresql_where=sa.text("kind = 'deposit'"),
    )
    op.create_index(
        "ix_payments_player_deposits",
        "payments",
        ["player_id", "created_at", "id"],
        postgresql_where=sa.text("kind = 'deposit'"),
    )
    op.create_table(
        "theme_assets",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("brand", sa.Text(), nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("media_type", sa.Text(), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("digest", sa.Text(), nullable=False),
        sa.Column("author_id", sa.UUID(), nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.CheckConstraint("kind IN ('logo', 'favicon')", name=op.f("ck_theme_assets_kind")),
        sa.CheckConstraint(
            "media_type IN ('image/png', 'image/webp')", name=op.f("ck_theme_assets_media_type")
        ),
        sa.ForeignKeyConstraint(
            ["brand"], ["brands.slug"], name=op.f("fk_theme_assets_brand_brands")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_theme_assets")),
    )
    op.add_column("theme_versions", sa.Column("fonts", postgresql.JSONB(), nullable=True))
    op.add_column("theme_versions", sa.Column("radius", postgresql.JSONB(), nullable=True))
    op.add_column("theme_versions", sa.Column("pages", postgresql.JSONB(), nullable=True))
    op.add_column("theme_versions", sa.Column("logo_asset_id", sa.BigInteger(), nullable=True))
    op.add_column("theme_versions", sa.Column("favicon_asset_id", sa.BigInteger(), nullable=True))
    op.create_foreign_key(
        op.f("fk_theme_versions_logo_asset_id_theme_assets"),
        "theme_versions", "theme_assets", ["logo_asset_id"], ["id"],
    )  # fmt: skip
    op.create_foreign_key(
        op.f("fk_theme_versions_favicon_asset_id_theme_assets"),
        "theme_versions", "theme_assets", ["favicon_asset_id"], ["id"],
    )  # fmt: skip
    op.create_table(
        "player_notes",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("brand", sa.Text(), nullable=False),
        sa.Column("player_id", sa.UUID(), nullable=False),
        sa.Column("author_id", sa.UUID(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["player_id"], ["players.id"], name=op.f("fk_player_notes_player_id_players")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_player_notes")),
    )
    op.create_index("ix_player_notes_player", "player_notes", ["brand", "player_id", "id"])


def downgrade() -> None:
    op.drop_index("ix_player_notes_player", table_name="player_notes")
    op.drop_table("player_notes")
    for column in ("favicon_asset_id", "logo_asset_id", "pages", "radius", "fonts"):
        op.drop_column("theme_versions", column)
    op.drop_table("theme_assets")
    op.drop_index("ix_payments_player_deposits", table_name="payments")
    op.drop_index("ix_payments_deposit_search", table_name="payments")
    for name in (
        "ix_audit_log_brand_id", "ix_audit_log_brand_at", "ix_audit_log_subject_id",
        "ix_audit_log_actor_id",
    ):  # fmt: skip
        op.drop_index(name, table_name="audit_log")
