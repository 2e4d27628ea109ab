"""affiliates: affiliates with their plan, tracking codes, referrals, monthly statements,
CPA awards and postbacks

Revision ID: 0030_affiliates
Revises: 0027_aml_registers
Create Date: 2026-12-07 17:40:00

- `affiliates`: one brand's affiliate, its plan (cpa | revshare | hybrid), postback URL and
  secret, and the SHA-256 of its access key.
- `affiliate_tracking_codes`: btags, unique per brand.
- `affiliate_referrals`: the affiliate a player registered through (one per player).
- `affiliate_statements`: one per affiliate, month and currency (the job's idempotency).
- `affiliate_cpa_awards`: one CPA per player, ever.
- `affiliate_postbacks`: what is owed to affiliates' URLs, with attempts and backoff.
- `reporting_rates`: daily reference rates into the operator's reporting currency
  (`stakehouse reports rates`).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0030_affiliates"
down_revision: str | Sequence[str] | None = "0029_kycfin"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _now() -> sa.TextClause:
    return sa.text("now()")


def _brand(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["brand"], ["brands.slug"], name=op.f(f"fk_{table}_brand_brands")
    )


def _affiliate(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["affiliate_id"], ["affiliates.id"], name=op.f(f"fk_{table}_affiliate_id_affiliates")
    )


def _player(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["player_id"], ["players.id"], name=op.f(f"fk_{table}_player_id_players")
    )


def upgrade() -> None:
    op.create_table(
        "affiliates",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("brand", sa.Text(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("plan", sa.Text(), nullable=False),
        sa.Column("cpa_terms", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("revshare_percent", sa.Numeric(5, 2), nullable=False),
        sa.Column("negative_carry_over", sa.Boolean(), nullable=False),
        sa.Column("postback_url", sa.Text(), nullable=True),
        sa.Column("postback_secret", sa.Text(), nullable=False),
        sa.Column("access_key_sha256", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=_now(), nullable=False),
        sa.CheckConstraint(
            "plan IN ('cpa', 'revshare', 'hybrid')", name=op.f("ck_affiliates_plan")
        ),
        sa.CheckConstraint(
            "revshare_percent >= 0 AND revshare_percent <= 100",
            name=op.f("ck_affiliates_revshare_percent"),
        ),
        _brand("affiliates"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_affiliates")),
        sa.UniqueConstraint("access_key_sha256", name=op.f("uq_affiliates_access_key_sha256")),
    )
    op.create_index("ix_affiliates_brand", "affiliates", ["brand", "name"])
    op.create_table(
        "affiliate_tracking_codes",
        sa.Column("brand", sa.Text(), nullable=False),
        sa.Column("code", sa.Text(), nullable=False),
        sa.Column("affiliate_id", sa.UUID(), nullable=False),
        sa.Column("campaign", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=_now(), nullable=False),
        _brand("affiliate_tracking_codes"),
        _affiliate("affiliate_tracking_codes"),
        sa.PrimaryKeyConstraint("brand", "code", name=op.f("pk_affiliate_tracking_codes")),
    )
    op.create_index(
        op.f("ix_affiliate_tracking_codes_affiliate_id"),
        "affiliate_tracking_codes",
        ["affiliate_id"],
    )
    op.create_table(
        "affiliate_referrals",
        sa.Column("player_id", sa.UUID(), nullable=False),
        sa.Column("brand", sa.Text(), nullable=False),
        sa.Column("affiliate_id", sa.UUID(), nullable=False),
        sa.Column("code", sa.Text(), nullable=False),
        sa.Column(
            "registered_at", sa.DateTime(timezone=True), server_default=_now(), nullable=False
        ),
        _player("affiliate_referrals"),
        _brand("affiliate_referrals"),
        _affiliate("affiliate_referrals"),
        sa.PrimaryKeyConstraint("player_id", name=op.f("pk_affiliate_referrals")),
    )
    op.create_index(
        "ix_affiliate_referrals_affiliate", "affiliate_referrals", ["affiliate_id", "player_id"]
    )
    op.create_table(
        "affiliate_statements",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("brand", sa.Text(), nullable=False),
        sa.Column("affiliate_id", sa.UUID(), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("currency", sa.Text(), nullable=False),
        sa.Column("players", sa.Integer(), nullable=False),
        sa.Column("ngr_minor", sa.BigInteger(), nullable=False),
        sa.Column("carried_in_minor", sa.BigInteger(), nullable=False),
        sa.Column("revshare_minor", sa.BigInteger(), nullable=False),
        sa.Column("cpa_players", sa.Integer(), nullable=False),
        sa.Column("cpa_minor", sa.BigInteger(), nullable=False),
        sa.Column("total_minor", sa.BigInteger(), nullable=False),
        sa.Column("carried_out_minor", sa.BigInteger(), nullable=False),
        sa.Column("transaction_id", sa.BigInteger(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=_now(), nullable=False),
        sa.CheckConstraint(
            "revshare_minor >= 0 AND cpa_minor >= 0 AND total_minor = revshare_minor + cpa_minor "
            "AND carried_out_minor <= 0",
            name=op.f("ck_affiliate_statements_amounts"),
        ),
        _brand("affiliate_statements"),
        _affiliate("affiliate_statements"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_affiliate_statements")),
        sa.UniqueConstraint(
            "affiliate_id",
            "month",
            "currency",
            name=op.f("uq_affiliate_statements_affiliate_id_month_currency"),
        ),
    )
    op.create_index(
        "ix_affiliate_statements_brand_month", "affiliate_statements", ["brand", "month"]
    )
    op.create_table(
        "affiliate_cpa_awards",
        sa.Column("player_id", sa.UUID(), nullable=False),
        sa.Column("affiliate_id", sa.UUID(), nullable=False),
        sa.Column("statement_id", sa.BigInteger(), nullable=False),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
        _player("affiliate_cpa_awards"),
        _affiliate("affiliate_cpa_awards"),
        sa.ForeignKeyConstraint(
            ["statement_id"],
            ["affiliate_statements.id"],
            name=op.f("fk_affiliate_cpa_awards_statement_id_affiliate_statements"),
        ),
        sa.PrimaryKeyConstraint("player_id", name=op.f("pk_affiliate_cpa_awards")),
    )
    op.create_table(
        "affiliate_postbacks",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("brand", sa.Text(), nullable=False),
        sa.Column("affiliate_id", sa.UUID(), nullable=False),
        sa.Column("event", sa.Text(), nullable=False),
        sa.Column("body", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column(
            "next_attempt_at", sa.DateTime(timezone=True), server_default=_now(), nullable=False
        ),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.CheckConstraint(
            "status IN ('pending', 'delivered', 'failed')",
            name=op.f("ck_affiliate_postbacks_status"),
        ),
        _brand("affiliate_postbacks"),
        _affiliate("affiliate_postbacks"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_affiliate_postbacks")),
    )
    op.create_index(
        "ix_affiliate_postbacks_due",
        "affiliate_postbacks",
        ["next_attempt_at"],
        postgresql_where=sa.text("status = 'pending'"),
    )

    op.create_table(
        "reporting_rates",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("currency", sa.Text(), nullable=False),
        sa.Column("reporting_currency", sa.Text(), nullable=False),
        sa.Column("rate", sa.Numeric(24, 12), nullable=False),
        sa.Column("minor_rate", sa.Numeric(30, 15), nullable=False),
        sa.Column("loaded_at", sa.DateTime(timezone=True), server_default=_now(), nullable=False),
        sa.CheckConstraint("rate > 0 AND minor_rate > 0", name=op.f("ck_reporting_rates_positive")),
        sa.PrimaryKeyConstraint(
            "day", "currency", "reporting_currency", name=op.f("pk_reporting_rates")
        ),
    )


def downgrade() -> None:
    op.drop_table("reporting_rates")
    op.drop_index("ix_affiliate_postbacks_due", table_name="affiliate_postbacks")
    op.drop_table("affiliate_postbacks")
    op.drop_table("affiliate_cpa_awards")
    op.drop_index("ix_affiliate_statements_brand_month", table_name="affiliate_statements")
    op.drop_table("affiliate_statements")
    op.drop_index("ix_affiliate_referrals_affiliate", table_name="affiliate_referrals")
    op.drop_table("affiliate_referrals")
    op.drop_index(
        op.f("ix_affiliate_tracking_codes_affiliate_id"), table_name="affiliate_tracking_codes"
    )
    op.drop_table("affiliate_tracking_codes")
    op.drop_index("ix_affiliates_brand", table_name="affiliates")
    op.drop_table("affiliates")
