"""segments: rule and list segments kept from events, marketing consent, campaigns

Revision ID: 0032_segments
Revises: 0027_aml_registers
Create Date: 2026-12-07 17:41:42

- `segments`, `segment_members` (now) and `segment_membership_changes` (append-only
  history: who entered or left when);
- `segment_activity_days`: per player, day, currency and measure, the behaviour facts
  rolling-window rules sum (kept from ledger events);
- `marketing_consents`: a player's consent per channel;
- `campaigns` and `campaign_recipients` (one row per player: each gets it once).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0032_segments"
down_revision: str | None = "0031_repperf"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "segments",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("brand", sa.Text(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("rule", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("created_by", sa.UUID(), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("archived_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "(kind = 'rule') = (rule IS NOT NULL)", name=op.f("ck_segments_rule_of_kind")
        ),
        sa.CheckConstraint("kind IN ('rule', 'static')", name=op.f("ck_segments_kind")),
        sa.ForeignKeyConstraint(["brand"], ["brands.slug"], name=op.f("fk_segments_brand_brands")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_segments")),
    )
    op.create_index("ix_segments_brand", "segments", ["brand", "created_at"], unique=False)
    op.create_table(
        "campaigns",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("brand", sa.Text(), nullable=False),
        sa.Column("segment_id", sa.UUID(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("channel", sa.Text(), nullable=False),
        sa.Column("content", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("send_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("throttle_per_minute", sa.Integer(), nullable=False),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("created_by", sa.UUID(), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("origin", sa.Text(), nullable=False),
        sa.Column("targeted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "channel IN ('email', 'sms', 'inbox', 'push')", name=op.f("ck_campaigns_channel")
        ),
        sa.CheckConstraint(
            "status IN ('scheduled', 'sending', 'done', 'cancelled')",
            name=op.f("ck_campaigns_status"),
        ),
        sa.CheckConstraint("throttle_per_minute > 0", name=op.f("ck_campaigns_throttle_positive")),
        sa.ForeignKeyConstraint(["brand"], ["brands.slug"], name=op.f("fk_campaigns_brand_brands")),
        sa.ForeignKeyConstraint(
            ["segment_id"], ["segments.id"], name=op.f("fk_campaigns_segment_id_segments")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_campaigns")),
    )
    op.create_index(
        "ix_campaigns_due",
        "campaigns",
        ["send_at"],
        unique=False,
        postgresql_where=sa.text("status IN ('scheduled', 'sending')"),
    )
    op.create_table(
        "marketing_consents",
        sa.Column("player_id", sa.UUID(), nullable=False),
        sa.Column("channel", sa.Text(), nullable=False),
        sa.Column("brand", sa.Text(), nullable=False),
        sa.Column("granted", sa.Boolean(), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "channel IN ('email', 'sms', 'inbox', 'push')",
            name=op.f("ck_marketing_consents_channel"),
        ),
        sa.ForeignKeyConstraint(
            ["brand"], ["brands.slug"], name=op.f("fk_marketing_consents_brand_brands")
        ),
        sa.ForeignKeyConstraint(
            ["player_id"], ["players.id"], name=op.f("fk_marketing_consents_player_id_players")
        ),
        sa.PrimaryKeyConstraint("player_id", "channel", name=op.f("pk_marketing_consents")),
    )
    op.create_table(
        "segment_activity_days",
        sa.Column("player_id", sa.UUID(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("currency", sa.Text(), nullable=False),
        sa.Column("measure", sa.Text(), nullable=False),
        sa.Column("brand", sa.Text(), nullable=False),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("last_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["brand"], ["brands.slug"], name=op.f("fk_segment_activity_days_brand_brands")
        ),
        sa.ForeignKeyConstraint(
            ["player_id"], ["players.id"], name=op.f("fk_segment_activity_days_player_id_players")
        ),
        sa.PrimaryKeyConstraint(
            "player_id", "day", "currency", "measure", name=op.f("pk_segment_activity_days")
        ),
    )
    op.create_index(
        "ix_segment_activity_days_brand_day",
        "segment_activity_days",
        ["brand", "day"],
        unique=False,
    )
    op.create_table(
        "segment_members",
        sa.Column("segment_id", sa.UUID(), nullable=False),
        sa.Column("player_id", sa.UUID(), nullable=False),
        sa.Column("since", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["player_id"], ["players.id"], name=op.f("fk_segment_members_player_id_players")
        ),
        sa.ForeignKeyConstraint(
            ["segment_id"], ["segments.id"], name=op.f("fk_segment_members_segment_id_segments")
        ),
        sa.PrimaryKeyConstraint("segment_id", "player_id", name=op.f("pk_segment_members")),
    )
    op.create_index("ix_segment_members_player", "segment_members", ["player_id"], unique=False)
    op.create_table(
        "segment_membership_changes",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("segment_id", sa.UUID(), nullable=False),
        sa.Column("player_id", sa.UUID(), nullable=False),
        sa.Column("entered", sa.Boolean(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["player_id"],
            ["players.id"],
            name=op.f("fk_segment_membership_changes_player_id_players"),
        ),
        sa.ForeignKeyConstraint(
            ["segment_id"],
            ["segments.id"],
            name=op.f("fk_segment_membership_changes_segment_id_segments"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_segment_membership_changes")),
    )
    op.create_index(
        "ix_segment_membership_changes_lookup",
        "segment_membership_changes",
        ["segment_id", "player_id", "at"],
        unique=False,
    )
    op.create_table(
        "campaign_recipients",
        sa.Column("campaign_id", sa.UUID(), nullable=False),
        sa.Column("player_id", sa.UUID(), nullable=False),
        sa.Column("outcome", sa.Text(), nullable=False),
        sa.Column("message_id", sa.UUID(), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "outcome IN ('pending', 'sent', 'failed', 'suppressed_consent', 'suppressed_protected')",
            name=op.f("ck_campaign_recipients_outcome"),
        ),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["campaigns.id"],
            name=op.f("fk_campaign_recipients_campaign_id_campaigns"),
        ),
        sa.ForeignKeyConstraint(
            ["player_id"], ["players.id"], name=op.f("fk_campaign_recipients_player_id_players")
        ),
        sa.PrimaryKeyConstraint("campaign_id", "player_id", name=op.f("pk_campaign_recipients")),
    )
    op.create_index(
        "ix_campaign_recipients_pending",
        "campaign_recipients",
        ["campaign_id"],
        unique=False,
        postgresql_where=sa.text("outcome = 'pending'"),
    )


def downgrade() -> None:
    op.drop_index(
        "ix_campaign_recipients_pending",
        table_name="campaign_recipients",
        postgresql_where=sa.text("outcome = 'pending'"),
    )
    op.drop_table("campaign_recipients")
    op.drop_index("ix_segment_membership_changes_lookup", table_name="segment_membership_changes")
    op.drop_table("segment_membership_changes")
    op.drop_index("ix_segment_members_player", table_name="segment_members")
    op.drop_table("segment_members")
    op.drop_index("ix_segment_activity_days_brand_day", table_name="segment_activity_days")
    op.drop_table("segment_activity_days")
    op.drop_table("marketing_consents")
    op.drop_index(
        "ix_campaigns_due",
        table_name="campaigns",
        postgresql_where=sa.text("status IN ('scheduled', 'sending')"),
    )
    op.drop_table("campaigns")
    op.drop_index("ix_segments_brand", table_name="segments")
    op.drop_table("segments")
