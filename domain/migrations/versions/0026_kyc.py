"""kyc: the player's profile, KYC checks at a provider and their decisions, the player's tier

Revision ID: 0026_kyc
Revises: 0025_free_play_loyalty
Create Date: 2026-12-07 14:20:00

- `player_profiles`: legal name, address, nationality and phone of a player (one row each,
  created at the first edit).
- `kyc_checks`: one verification at a provider for a tier, its status from the provider's
  latest decision (by the provider's sequence), document type and expiry.
- `kyc_decisions`: every decision received, once per provider event (append-only).
- `players.kyc_tier`: the tier the approved checks give; existing players start at none.
- `erasure_requests`: a player's erasure request and until when the regulated records stay.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0026_kyc"
down_revision: str | Sequence[str] | None = "0025_free_play_loyalty"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "players",
        sa.Column("kyc_tier", sa.Text(), server_default=sa.text("'none'"), nullable=False),
    )
    op.create_check_constraint(
        op.f("ck_players_kyc_tier"), "players", "kyc_tier IN ('none', 'basic', 'full', 'enhanced')"
    )
    op.create_table(
        "player_profiles",
        sa.Column("player_id", postgresql.UUID(), nullable=False),
        sa.Column("brand", sa.Text(), nullable=False),
        sa.Column("given_name", sa.Text(), nullable=True),
        sa.Column("family_name", sa.Text(), nullable=True),
        sa.Column("address_line1", sa.Text(), nullable=True),
        sa.Column("address_line2", sa.Text(), nullable=True),
        sa.Column("city", sa.Text(), nullable=True),
        sa.Column("postal_code", sa.Text(), nullable=True),
        sa.Column("address_country", sa.Text(), nullable=True),
        sa.Column("nationality", sa.Text(), nullable=True),
        sa.Column("phone", sa.Text(), nullable=True),
        sa.Column("phone_verified_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["brand"], ["brands.slug"], name=op.f("fk_player_profiles_brand_brands")
        ),
        sa.ForeignKeyConstraint(
            ["player_id"], ["players.id"], name=op.f("fk_player_profiles_player_id_players")
        ),
        sa.PrimaryKeyConstraint("player_id", name=op.f("pk_player_profiles")),
    )
    op.create_table(
        "kyc_checks",
        sa.Column("id", postgresql.UUID(), nullable=False),
        sa.Column("brand", sa.Text(), nullable=False),
        sa.Column("player_id", postgresql.UUID(), nullable=False),
        sa.Column("provider", sa.Text(), nullable=False),
        sa.Column("reference", sa.Text(), nullable=False),
        sa.Column("tier", sa.Text(), nullable=False),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("flow_url", sa.Text(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("document_type", sa.Text(), nullable=True),
        sa.Column("document_expires_on", sa.Date(), nullable=True),
        sa.Column("decision_sequence", sa.BigInteger(), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decided_by", sa.Text(), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "tier IN ('basic', 'full', 'enhanced')", name=op.f("ck_kyc_checks_tier")
        ),
        sa.CheckConstraint(
            "status IN ('pending', 'approved', 'rejected', 'resubmission_requested', "
            "'manual_review')",
            name=op.f("ck_kyc_checks_status"),
        ),
        sa.ForeignKeyConstraint(
            ["brand"], ["brands.slug"], name=op.f("fk_kyc_checks_brand_brands")
        ),
        sa.ForeignKeyConstraint(
            ["player_id"], ["players.id"], name=op.f("fk_kyc_checks_player_id_players")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_kyc_checks")),
        sa.UniqueConstraint("provider", "reference", name=op.f("uq_kyc_checks_provider_reference")),
    )
    op.create_index("ix_kyc_checks_player", "kyc_checks", ["player_id", "created_at"])
    op.create_index(
        "ix_kyc_checks_review",
        "kyc_checks",
        ["brand", "decided_at"],
        postgresql_where="status = 'manual_review'",
    )
    op.create_table(
        "kyc_decisions",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("check_id", postgresql.UUID(), nullable=False),
        sa.Column("event_id", sa.Text(), nullable=False),
        sa.Column("outcome", sa.Text(), nullable=False),
        sa.Column("sequence", sa.BigInteger(), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("applied", sa.Boolean(), nullable=False),
        sa.Column(
            "received_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["check_id"], ["kyc_checks.id"], name=op.f("fk_kyc_decisions_check_id_kyc_checks")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_kyc_decisions")),
        sa.UniqueConstraint("event_id", name=op.f("uq_kyc_decisions_event_id")),
    )
    op.create_index(op.f("ix_kyc_decisions_check_id"), "kyc_decisions", ["check_id"])
    op.create_table(
        "erasure_requests",
        sa.Column("player_id", postgresql.UUID(), nullable=False),
        sa.Column("brand", sa.Text(), nullable=False),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("retain_until", sa.DateTime(timezone=True), nullable=False),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["brand"], ["brands.slug"], name=op.f("fk_erasure_requests_brand_brands")
        ),
        sa.ForeignKeyConstraint(
            ["player_id"], ["players.id"], name=op.f("fk_erasure_requests_player_id_players")
        ),
        sa.PrimaryKeyConstraint("player_id", name=op.f("pk_erasure_requests")),
    )
    op.create_index(
        "ix_erasure_requests_due",
        "erasure_requests",
        ["retain_until"],
        postgresql_where="completed_at IS NULL",
    )


def downgrade() -> None:
    op.drop_index("ix_erasure_requests_due", table_name="erasure_requests")
    op.drop_table("erasure_requests")
    op.drop_table("kyc_decisions")
    op.drop_index("ix_kyc_checks_review", table_name="kyc_checks")
    op.drop_index("ix_kyc_checks_player", table_name="kyc_checks")
    op.drop_table("kyc_checks")
    op.drop_table("player_profiles")
    op.drop_constraint(op.f("ck_players_kyc_tier"), "players", type_="check")
    op.drop_column("players", "kyc_tier")
