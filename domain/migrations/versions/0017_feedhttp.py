"""feed producers over HTTP: per-producer sequence and recovery

Revision ID: 0017_feedhttp
Revises: 0016_trading
Create Date: 2026-12-07 04:40:00

- `sportsbook_feed_producers.applied_sequence`: the producer sequence of the last message
  applied from that producer (0 before the first), so a gap is seen on receipt.
- `sportsbook_feed_producers.recovering_since`: set from a gap until the producer's
  `snapshot_complete`; its markets are held suspended meanwhile.
- `sportsbook_markets.suspended_by` gains `recovery` (a suspension only the recovery lifts).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017_feedhttp"
down_revision: str | Sequence[str] | None = "0016_trading"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

REASONS_BEFORE = "suspended_by IS NULL OR suspended_by IN ('feed', 'heartbeat', 'trader')"
REASONS_AFTER = (
    "suspended_by IS NULL OR suspended_by IN ('feed', 'heartbeat', 'trader', 'recovery')"
)


def upgrade() -> None:
    op.add_column(
        "sportsbook_feed_producers",
        sa.Column("applied_sequence", sa.BigInteger(), server_default="0", nullable=False),
    )
    op.add_column(
        "sportsbook_feed_producers",
        sa.Column("recovering_since", sa.DateTime(timezone=True), nullable=True),
    )
    op.drop_constraint(
        op.f("ck_sportsbook_markets_suspended_by"), "sportsbook_markets", type_="check"
    )
    op.create_check_constraint(
        op.f("ck_sportsbook_markets_suspended_by"), "sportsbook_markets", REASONS_AFTER
    )


def downgrade() -> None:
    op.execute(
        "UPDATE sportsbook_markets SET suspended_by = 'feed' WHERE suspended_by = 'recovery'"
    )
    op.drop_constraint(
        op.f("ck_sportsbook_markets_suspended_by"), "sportsbook_markets", type_="check"
    )
    op.create_check_constraint(
        op.f("ck_sportsbook_markets_suspended_by"), "sportsbook_markets", REASONS_BEFORE
    )
    op.drop_column("sportsbook_feed_producers", "recovering_since")
    op.drop_column("sportsbook_feed_producers", "applied_sequence")
