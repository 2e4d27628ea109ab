"""sportsbook odds feed: processed messages, per-event sequences, producer heartbeats,
suspension reasons, feed and overridden odds, margins per market type

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-25 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | Sequence[str] | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "sportsbook_events",
        sa.Column("feed_sequence", sa.BigInteger(), server_default="0", nullable=False),
    )
    op.add_column("sportsbook_markets", sa.Column("feed_producer", sa.Text(), nullable=True))
    op.add_column("sportsbook_markets", sa.Column("suspended_by", sa.Text(), nullable=True))
    op.add_column(
        "sportsbook_markets",
        sa.Column("feed_result_sequence", sa.BigInteger(), server_default="0", nullable=False),
    )
    op.create_check_constraint(
        op.f("ck_sportsbook_markets_suspended_by"),
        "sportsbook_markets",
        "suspended_by IS NULL OR suspended_by IN ('feed', 'heartbeat', 'trader')",
    )
    op.create_index(
        "ix_sportsbook_markets_feed_producer_status",
        "sportsbook_markets",
        ["feed_producer", "status"],
    )
    op.add_column(
        "sportsbook_outcomes",
        sa.Column("feed_odds", sa.Numeric(precision=10, scale=4), nullable=True),
    )
    op.add_column(
        "sportsbook_outcomes",
        sa.Column("odds_overridden", sa.Boolean(), server_default=sa.text("false"), nullable=False),
    )
    op.create_table(
        "sportsbook_feed_messages",
        sa.Column("producer", sa.Text(), nullable=False),
        sa.Column("message_id", sa.Text(), nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column(
            "processed_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("producer", "message_id", name=op.f("pk_sportsbook_feed_messages")),
    )
    op.create_table(
        "sportsbook_feed_producers",
        sa.Column("producer", sa.Text(), nullable=False),
        sa.Column("last_alive_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("down_since", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("producer", name=op.f("pk_sportsbook_feed_producers")),
    )
    op.create_table(
        "sportsbook_market_margins",
        sa.Column("market_type", sa.Text(), nullable=False),
        sa.Column("margin", sa.Numeric(precision=6, scale=4), nullable=False),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "margin >= 0 AND margin < 1", name=op.f("ck_sportsbook_market_margins_margin_range")
        ),
        sa.PrimaryKeyConstraint("market_type", name=op.f("pk_sportsbook_market_margins")),
    )


def downgrade() -> None:
    op.drop_table("sportsbook_market_margins")
    op.drop_table("sportsbook_feed_producers")
    op.drop_table("sportsbook_feed_messages")
    op.drop_column("sportsbook_outcomes", "odds_overridden")
    op.drop_column("sportsbook_outcomes", "feed_odds")
    op.drop_index("ix_sportsbook_markets_feed_producer_status", "sportsbook_markets")
    op.drop_constraint(
        op.f("ck_sportsbook_markets_suspended_by"), "sportsbook_markets", type_="check"
    )
    op.drop_column("sportsbook_markets", "feed_result_sequence")
    op.drop_column("sportsbook_markets", "suspended_by")
    op.drop_column("sportsbook_markets", "feed_producer")
    op.drop_column("sportsbook_events", "feed_sequence")
