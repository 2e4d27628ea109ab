"""player protection: limits, time-outs, reality checks

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-24 19:00:00

- `players` gains `protection_active` (true while the player has a limit or a time-out: the
  deposit and wager paths read it with the player they already read, so players without
  limits pay no extra statement), `time_out_until` and `reality_check_minutes`;
- `player_limits`: one row per (player, kind, period), an increase or removal pending in
  its own columns until confirmed after the cooling-off;
- `reality_checks`: the last reminder acknowledged per auth session.

Usage over a window sums `ledger_entries` by (account_id, created_at), which the index
`ix_ledger_entries_account_created` already serves; no new ledger index is needed.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | Sequence[str] | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "players",
        sa.Column(
            "protection_active", sa.Boolean(), server_default=sa.text("false"), nullable=False
        ),
    )
    op.add_column("players", sa.Column("time_out_until", sa.DateTime(timezone=True)))
    op.add_column("players", sa.Column("reality_check_minutes", sa.SmallInteger()))
    op.create_check_constraint(
        op.f("ck_players_reality_check_minutes"),
        "players",
        "reality_check_minutes IN (15, 30, 60)",
    )
    op.create_table(
        "player_limits",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("brand", sa.Text(), nullable=False),
        sa.Column("player_id", sa.UUID(), nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("period", sa.Text(), nullable=False),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.Text(), nullable=True),
        sa.Column("pending_amount_minor", sa.BigInteger(), nullable=True),
        sa.Column("pending_removal", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("pending_requested_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "kind IN ('deposit', 'loss', 'wager', 'session')", name=op.f("ck_player_limits_kind")
        ),
        sa.CheckConstraint(
            "period IN ('day', 'week', 'month', 'session')", name=op.f("ck_player_limits_period")
        ),
        sa.CheckConstraint(
            "(kind = 'session') = (period = 'session')",
            name=op.f("ck_player_limits_session_period"),
        ),
        sa.CheckConstraint(
            "(kind = 'session') = (currency IS NULL)",
            name=op.f("ck_player_limits_session_currency"),
        ),
        sa.CheckConstraint("amount_minor > 0", name=op.f("ck_player_limits_amount_positive")),
        sa.CheckConstraint(
            "pending_amount_minor > 0", name=op.f("ck_player_limits_pending_amount_positive")
        ),
        sa.CheckConstraint(
            "NOT (pending_removal AND pending_amount_minor IS NOT NULL)",
            name=op.f("ck_player_limits_one_pending_change"),
        ),
        sa.CheckConstraint(
            "(pending_requested_at IS NULL) = "
            "(pending_amount_minor IS NULL AND NOT pending_removal)",
            name=op.f("ck_player_limits_pending_requested"),
        ),
        sa.ForeignKeyConstraint(
            ["brand"], ["brands.slug"], name=op.f("fk_player_limits_brand_brands")
        ),
        sa.ForeignKeyConstraint(
            ["player_id"], ["players.id"], name=op.f("fk_player_limits_player_id_players")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_player_limits")),
        sa.UniqueConstraint(
            "player_id", "kind", "period", name=op.f("uq_player_limits_player_id_kind_period")
        ),
    )
    op.create_table(
        "reality_checks",
        sa.Column("session_id", sa.UUID(), nullable=False),
        sa.Column("brand", sa.Text(), nullable=False),
        sa.Column("player_id", sa.UUID(), nullable=False),
        sa.Column("acknowledged_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["brand"], ["brands.slug"], name=op.f("fk_reality_checks_brand_brands")
        ),
        sa.ForeignKeyConstraint(
            ["player_id"], ["players.id"], name=op.f("fk_reality_checks_player_id_players")
        ),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["auth_sessions.id"],
            name=op.f("fk_reality_checks_session_id_auth_sessions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("session_id", name=op.f("pk_reality_checks")),
    )


def downgrade() -> None:
    op.drop_table("reality_checks")
    op.drop_table("player_limits")
    op.drop_constraint(op.f("ck_players_reality_check_minutes"), "players", type_="check")
    op.drop_column("players", "reality_check_minutes")
    op.drop_column("players", "time_out_until")
    op.drop_column("players", "protection_active")
