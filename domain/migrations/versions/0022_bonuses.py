"""bonuses: offers with their versions, grants with snapshotted terms, wagering inside the
casino stake

Revision ID: 0022_bonuses
Revises: 0021_backoffice
Create Date: 2026-12-07 05:00:00

- `bonus_offers` (current terms) and `bonus_offer_versions` (every saved version,
  append-only);
- `bonus_grants`: a player's bonus with the offer's terms copied at grant time, its
  wagering progress (moved only inside the stake's transaction) and how it ended;
- `stakehouse_bonus_wager` (domain/bonuses/sql) and `stakehouse_casino_bet`, which now
  calls it before staking: both (re)defined from their files;
- `bonus_cashback_payouts`: one row per cashback paid (offer, player, ISO week), the claim
  that makes a period pay once (append-only);
- `payments.bonus_offer_id`: the offer a deposit's bonus code named, claimed when the
  deposit is credited.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from domain.kernel import sql_functions

revision: str = "0022_bonuses"
down_revision: str | Sequence[str] | None = "0021_backoffice"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _now() -> sa.TextClause:
    return sa.text("now()")


def upgrade() -> None:
    op.create_table(
        "bonus_offers",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("brand", sa.Text(), nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("code", sa.Text(), nullable=True),
        sa.Column("currency", sa.Text(), nullable=False),
        sa.Column("active", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column("version", sa.Integer(), server_default=sa.text("1"), nullable=False),
        sa.Column("terms", postgresql.JSONB(), nullable=False),
        sa.Column("eligibility", postgresql.JSONB(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=_now(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=_now(), nullable=False),
        sa.CheckConstraint(
            "kind IN ('deposit_match', 'sign_up', 'cashback')", name=op.f("ck_bonus_offers_kind")
        ),
        sa.ForeignKeyConstraint(
            ["brand"], ["brands.slug"], name=op.f("fk_bonus_offers_brand_brands")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bonus_offers")),
    )
    op.create_index(
        "uq_bonus_offers_code",
        "bonus_offers",
        ["brand", "code"],
        unique=True,
        postgresql_where=sa.text("code IS NOT NULL AND active"),
    )
    op.create_table(
        "bonus_offer_versions",
        sa.Column("offer_id", sa.UUID(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("code", sa.Text(), nullable=True),
        sa.Column("terms", postgresql.JSONB(), nullable=False),
        sa.Column("eligibility", postgresql.JSONB(), nullable=False),
        sa.Column("staff_id", sa.UUID(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=_now(), nullable=False),
        sa.ForeignKeyConstraint(
            ["offer_id"],
            ["bonus_offers.id"],
            name=op.f("fk_bonus_offer_versions_offer_id_bonus_offers"),
        ),
        sa.PrimaryKeyConstraint("offer_id", "version", name=op.f("pk_bonus_offer_versions")),
    )
    op.create_table(
        "bonus_grants",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("brand", sa.Text(), nullable=False),
        sa.Column("player_id", sa.UUID(), nullable=False),
        sa.Column("offer_id", sa.UUID(), nullable=False),
        sa.Column("offer_version", sa.Integer(), nullable=False),
        sa.Column("claim_key", sa.Text(), nullable=False),
        sa.Column("currency", sa.Text(), nullable=False),
        sa.Column("state", sa.Text(), nullable=False),
        sa.Column("terms", postgresql.JSONB(), nullable=False),
        sa.Column("bonus_minor", sa.BigInteger(), nullable=False),
        sa.Column("deposit_minor", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column("required_minor", sa.BigInteger(), nullable=False),
        sa.Column("wagered_minor", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column(
            "staked_by_contribution",
            postgresql.JSONB(),
            server_default=sa.text("'{}'::jsonb"),
            nullable=False,
        ),
        sa.Column("max_bet_minor", sa.BigInteger(), nullable=True),
        sa.Column("max_conversion_minor", sa.BigInteger(), nullable=True),
        sa.Column("payment_id", sa.UUID(), nullable=True),
        sa.Column("granted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("end_reason", sa.Text(), nullable=True),
        sa.Column("converted_minor", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column("forfeited_minor", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.CheckConstraint(
            "state IN ('active', 'converted', 'forfeited', 'expired', 'cancelled')",
            name=op.f("ck_bonus_grants_state"),
        ),
        sa.CheckConstraint(
            "bonus_minor > 0 AND required_minor >= 0", name=op.f("ck_bonus_grants_amounts")
        ),
        sa.ForeignKeyConstraint(
            ["brand"], ["brands.slug"], name=op.f("fk_bonus_grants_brand_brands")
        ),
        sa.ForeignKeyConstraint(
            ["offer_id"], ["bonus_offers.id"], name=op.f("fk_bonus_grants_offer_id_bonus_offers")
        ),
        sa.ForeignKeyConstraint(
            ["player_id"], ["players.id"], name=op.f("fk_bonus_grants_player_id_players")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bonus_grants")),
        sa.UniqueConstraint(
            "player_id", "claim_key", name=op.f("uq_bonus_grants_player_id_claim_key")
        ),
    )
    op.create_index(
        "ix_bonus_grants_active",
        "bonus_grants",
        ["player_id", "currency", "expires_at"],
        postgresql_where=sa.text("state = 'active'"),
    )
    op.create_index("ix_bonus_grants_brand_state", "bonus_grants", ["brand", "state", "expires_at"])
    op.create_table(
        "bonus_cashback_payouts",
        sa.Column("offer_id", sa.UUID(), nullable=False),
        sa.Column("player_id", sa.UUID(), nullable=False),
        sa.Column("period", sa.Text(), nullable=False),
        sa.Column("net_loss_minor", sa.BigInteger(), nullable=False),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=_now(), nullable=False),
        sa.ForeignKeyConstraint(
            ["offer_id"],
            ["bonus_offers.id"],
            name=op.f("fk_bonus_cashback_payouts_offer_id_bonus_offers"),
        ),
        sa.ForeignKeyConstraint(
            ["player_id"], ["players.id"], name=op.f("fk_bonus_cashback_payouts_player_id_players")
        ),
        sa.PrimaryKeyConstraint(
            "offer_id", "player_id", "period", name=op.f("pk_bonus_cashback_payouts")
        ),
    )
    op.add_column("payments", sa.Column("bonus_offer_id", sa.UUID(), nullable=True))
    sql_functions.load_all(op.execute)


def downgrade() -> None:
    op.drop_column("payments", "bonus_offer_id")
    op.drop_table("bonus_cashback_payouts")
    op.drop_table("bonus_grants")
    op.drop_table("bonus_offer_versions")
    op.drop_index("uq_bonus_offers_code", table_name="bonus_offers")
    op.drop_table("bonus_offers")
