"""reporting: the daily read model, its applied-source claims, player activity and first
deposits; brands get a time zone

Revision ID: 0019_reporting
Revises: 0018_jurisdiction
Create Date: 2026-12-07 04:40:00

- `brands.time_zone` (IANA name, default UTC): reports cut the brand's business day there;
  `sync_brands` fills it from theme.toml.
- `reporting_daily`: additive figures per day x brand x product x game/provider or
  sport/competition/market type x currency (domain/reporting/models.py).
- `reporting_applied`: one claim per ledger transaction or registration counted.
- `reporting_player_daily`: each player's money figures per day (player value).
- `reporting_signals`: when each brand's last `reporting.updated` went out (throttle).
- `reporting_player_activity`, `reporting_first_deposits`: distinct active players and
  first-time depositors.
- A BRIN index on `ledger_transactions.created_at` for rebuilds and reconciliation by day.
- An index on `sportsbook_bets.stake_transaction_id`: the reporting actor finds a stake's
  bet by it (one index probe per stake, after commit, never in the stake's transaction).
Nothing is backfilled here: `stakehouse reports rebuild --from --to` fills past days.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0019_reporting"
down_revision: str | Sequence[str] | None = "0018_jurisdiction"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

DIMENSIONS = ("product", "game", "provider", "sport", "competition", "market_type", "currency")
FIGURES = (
    "bets",
    "stakes_minor",
    "wins_minor",
    "bonus_granted_minor",
    "bonus_converted_minor",
    "bonus_forfeited_minor",
    "jackpot_contributions_minor",
    "provider_fees_minor",
    "taxes_minor",
    "deposits",
    "deposits_minor",
    "withdrawals",
    "withdrawals_minor",
    "active_players",
    "registrations",
    "first_depositors",
)


def _cell_columns() -> list[sa.Column]:  # type: ignore[type-arg]
    return [
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("brand", sa.Text(), nullable=False),
        *(sa.Column(name, sa.Text(), nullable=False) for name in DIMENSIONS),
    ]


def upgrade() -> None:
    op.add_column("brands", sa.Column("time_zone", sa.Text(), server_default="UTC", nullable=False))
    keys = ["day", "brand", *DIMENSIONS]
    op.create_table(
        "reporting_daily",
        *_cell_columns(),
        *(
            sa.Column(name, sa.BigInteger(), server_default=sa.text("0"), nullable=False)
            for name in FIGURES
        ),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint(*keys, name=op.f("pk_reporting_daily")),
    )  # fmt: skip
    op.create_index("ix_reporting_daily_brand_day", "reporting_daily", ["brand", "day"])
    op.create_table(
        "reporting_applied",
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("brand", sa.Text(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.PrimaryKeyConstraint("source", name=op.f("pk_reporting_applied")),
    )
    op.create_index("ix_reporting_applied_brand_day", "reporting_applied", ["brand", "day"])
    op.create_table(
        "reporting_player_activity",
        *_cell_columns(),
        sa.Column("player_id", postgresql.UUID(), nullable=False),
        sa.PrimaryKeyConstraint(*keys, "player_id", name=op.f("pk_reporting_player_activity")),
    )
    player_figures = (
        "stakes_minor", "wins_minor", "bonus_granted_minor", "bonus_converted_minor",
        "bonus_forfeited_minor", "jackpot_contributions_minor", "provider_fees_minor",
        "taxes_minor", "deposits_minor", "withdrawals_minor",
    )  # fmt: skip
    op.create_table(
        "reporting_player_daily",
        sa.Column("brand", sa.Text(), nullable=False),
        sa.Column("player_id", postgresql.UUID(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("currency", sa.Text(), nullable=False),
        *(
            sa.Column(name, sa.BigInteger(), server_default=sa.text("0"), nullable=False)
            for name in player_figures
        ),
        sa.Column("last_activity_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint(
            "brand", "player_id", "day", "currency", name=op.f("pk_reporting_player_daily")
        ),
    )
    op.create_table(
        "reporting_signals",
        sa.Column("brand", sa.Text(), nullable=False),
        sa.Column("signalled_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("brand", name=op.f("pk_reporting_signals")),
    )
    op.create_table(
        "reporting_first_deposits",
        sa.Column("brand", sa.Text(), nullable=False),
        sa.Column("player_id", postgresql.UUID(), nullable=False),
        sa.Column("transaction_id", sa.BigInteger(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("currency", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("brand", "player_id", name=op.f("pk_reporting_first_deposits")),
    )
    op.create_index(
        "ix_ledger_transactions_created_at",
        "ledger_transactions",
        ["created_at"],
        postgresql_using="brin",
    )
    op.create_index(
        "ix_sportsbook_bets_stake_transaction_id", "sportsbook_bets", ["stake_transaction_id"]
    )


def downgrade() -> None:
    op.drop_index("ix_ledger_transactions_created_at", table_name="ledger_transactions")
    op.drop_index("ix_sportsbook_bets_stake_transaction_id", table_name="sportsbook_bets")
    op.drop_table("reporting_first_deposits")
    op.drop_table("reporting_signals")
    op.drop_table("reporting_player_daily")
    op.drop_table("reporting_player_activity")
    op.drop_index("ix_reporting_applied_brand_day", table_name="reporting_applied")
    op.drop_table("reporting_applied")
    op.drop_index("ix_reporting_daily_brand_day", table_name="reporting_daily")
    op.drop_table("reporting_daily")
    op.drop_column("brands", "time_zone")
