"""crmport: player events streamed to an outside CRM, in order per player; its audiences

Revision ID: 0038_crmport
Revises: 0037_themetrans
Create Date: 2026-12-07 21:30:00

- `crm_lanes`: per player, the last event sequence given and the delivering worker's lease;
- `crm_deliveries`: each event owed to the brand's CRM (body fixed when recorded), its
  attempts and back-off, delivered in sequence order per player;
- `segments.crm_audience`: the CRM's audience id a static segment mirrors (one per brand).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0038_crmport"
down_revision: str | Sequence[str] | None = "0037_themetrans"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("segments", sa.Column("crm_audience", sa.Text(), nullable=True))
    op.create_index(
        "uq_segments_crm_audience",
        "segments",
        ["brand", "crm_audience"],
        unique=True,
        postgresql_where=sa.text("crm_audience IS NOT NULL"),
    )
    op.create_table(
        "crm_lanes",
        sa.Column("player_id", postgresql.UUID(), nullable=False),
        sa.Column("brand", sa.Text(), nullable=False),
        sa.Column("last_sequence", sa.BigInteger(), nullable=False),
        sa.Column("leased_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("lease_token", postgresql.UUID(), nullable=True),
        sa.ForeignKeyConstraint(["brand"], ["brands.slug"], name=op.f("fk_crm_lanes_brand_brands")),
        sa.ForeignKeyConstraint(
            ["player_id"], ["players.id"], name=op.f("fk_crm_lanes_player_id_players")
        ),
        sa.PrimaryKeyConstraint("player_id", name=op.f("pk_crm_lanes")),
    )
    op.create_table(
        "crm_deliveries",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("event_id", postgresql.UUID(), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("brand", sa.Text(), nullable=False),
        sa.Column("player_id", postgresql.UUID(), nullable=False),
        sa.Column("sequence", sa.BigInteger(), nullable=False),
        sa.Column("type", sa.Text(), nullable=False),
        sa.Column("body", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "status IN ('pending', 'delivered')", name=op.f("ck_crm_deliveries_status")
        ),
        sa.ForeignKeyConstraint(
            ["brand"], ["brands.slug"], name=op.f("fk_crm_deliveries_brand_brands")
        ),
        sa.ForeignKeyConstraint(
            ["player_id"], ["players.id"], name=op.f("fk_crm_deliveries_player_id_players")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_crm_deliveries")),
        sa.UniqueConstraint("event_id", name=op.f("uq_crm_deliveries_event_id")),
        sa.UniqueConstraint("source", name=op.f("uq_crm_deliveries_source")),
    )
    op.create_index(
        "uq_crm_deliveries_lane", "crm_deliveries", ["player_id", "sequence"], unique=True
    )
    op.create_index(
        "ix_crm_deliveries_pending",
        "crm_deliveries",
        ["player_id", "sequence"],
        postgresql_where=sa.text("status = 'pending'"),
    )


def downgrade() -> None:
    op.drop_index("ix_crm_deliveries_pending", table_name="crm_deliveries")
    op.drop_index("uq_crm_deliveries_lane", table_name="crm_deliveries")
    op.drop_table("crm_deliveries")
    op.drop_table("crm_lanes")
    op.drop_index("uq_segments_crm_audience", table_name="segments")
    op.drop_column("segments", "crm_audience")
