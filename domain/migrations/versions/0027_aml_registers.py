"""aml: national register screening, the risk queue's alerts and interactions, and the deposit hold they may set

Revision ID: 0027_aml_registers
Revises: 0026_kyc
Create Date: 2026-12-07 14:20:00

- `aml_alerts`: one row per rule, player and window (unique), with the evidence that crossed
  the rule, its place in the risk queue (open, taken, closed) and the outcome staff recorded;
- `aml_interactions`: what risk staff did about an alert (append-only);
- `players.deposits_held`: set when an alert holds the player's deposits (the pack's
  answer to the 30-day threshold), cleared by the outcome; read by the deposit guard with
  the player's status.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0027_aml_registers"
down_revision: str | Sequence[str] | None = "0026_kyc"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_RULES = (
    "'cumulative_deposits', 'large_deposit', 'rapid_deposits', 'payment_methods', "
    "'little_play', 'rising_deposit_frequency', 'night_play', 'limit_increases'"
)


def _now() -> sa.TextClause:
    return sa.text("now()")


def upgrade() -> None:
    op.add_column(
        "players",
        sa.Column("deposits_held", sa.Boolean(), server_default=sa.text("false"), nullable=False),
    )
    op.add_column(
        "players", sa.Column("register_checked_at", sa.DateTime(timezone=True), nullable=True)
    )
    op.create_table(
        "aml_alerts",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("brand", sa.Text(), nullable=False),
        sa.Column("player_id", sa.UUID(), nullable=False),
        sa.Column("rule", sa.Text(), nullable=False),
        sa.Column("window_key", sa.Text(), nullable=False),
        sa.Column("evidence", postgresql.JSONB(), nullable=False),
        sa.Column("holds_deposits", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("status", sa.Text(), server_default=sa.text("'open'"), nullable=False),
        sa.Column("taken_by", sa.UUID(), nullable=True),
        sa.Column("taken_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("outcome", sa.Text(), nullable=True),
        sa.Column("closed_by", sa.UUID(), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("raised_at", sa.DateTime(timezone=True), server_default=_now(), nullable=False),
        sa.CheckConstraint(f"rule IN ({_RULES})", name=op.f("ck_aml_alerts_rule")),
        sa.CheckConstraint(
            "status IN ('open', 'taken', 'closed')", name=op.f("ck_aml_alerts_status")
        ),
        sa.CheckConstraint(
            "outcome IS NULL OR outcome IN ('cleared', 'referred')",
            name=op.f("ck_aml_alerts_outcome"),
        ),
        sa.CheckConstraint(
            "(status = 'closed') = (outcome IS NOT NULL)", name=op.f("ck_aml_alerts_closed_outcome")
        ),
        sa.ForeignKeyConstraint(
            ["brand"], ["brands.slug"], name=op.f("fk_aml_alerts_brand_brands")
        ),
        sa.ForeignKeyConstraint(
            ["player_id"], ["players.id"], name=op.f("fk_aml_alerts_player_id_players")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_aml_alerts")),
        sa.UniqueConstraint(
            "player_id", "rule", "window_key", name=op.f("uq_aml_alerts_player_id_rule_window_key")
        ),
    )
    op.create_index(
        "ix_aml_alerts_queue",
        "aml_alerts",
        ["brand", "raised_at"],
        postgresql_where=sa.text("status <> 'closed'"),
    )
    op.create_index("ix_aml_alerts_player", "aml_alerts", ["player_id", "raised_at"])
    op.create_table(
        "aml_interactions",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("alert_id", sa.UUID(), nullable=False),
        sa.Column("brand", sa.Text(), nullable=False),
        sa.Column("staff_id", sa.UUID(), nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), server_default=_now(), nullable=False),
        sa.CheckConstraint(
            "kind IN ('note', 'player_contacted', 'documents_requested')",
            name=op.f("ck_aml_interactions_kind"),
        ),
        sa.ForeignKeyConstraint(
            ["alert_id"], ["aml_alerts.id"], name=op.f("fk_aml_interactions_alert_id_aml_alerts")
        ),
        sa.ForeignKeyConstraint(
            ["brand"], ["brands.slug"], name=op.f("fk_aml_interactions_brand_brands")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_aml_interactions")),
    )
    op.create_index(
        op.f("ix_aml_interactions_alert_id"), "aml_interactions", ["alert_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_aml_interactions_alert_id"), table_name="aml_interactions")
    op.drop_table("aml_interactions")
    op.drop_index("ix_aml_alerts_player", table_name="aml_alerts")
    op.drop_index("ix_aml_alerts_queue", table_name="aml_alerts")
    op.drop_table("aml_alerts")
    op.drop_column("players", "register_checked_at")
    op.drop_column("players", "deposits_held")
