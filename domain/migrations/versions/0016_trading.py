"""trading: what the feed says beside a trader's word, and the match clock

Revision ID: 0016_trading
Revises: 0015
Create Date: 2026-12-07 05:00:00

`sportsbook_markets.feed_status` keeps the status the feed last sent a market, so a trader
who suspended it (or whose suspension the feed would have lifted) sees both. Each-way
place terms already have their columns (`each_way_*`, since the placement work); the feed
and traders now fill them. `sportsbook_events.clock` holds the match clock the feed or a
trader sends beside the score. Both are nullable or defaulted: existing rows need nothing,
and the app role's grants on these tables cover new columns.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0016_trading"
down_revision: str | Sequence[str] | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("sportsbook_markets", sa.Column("feed_status", sa.Text(), nullable=True))
    op.add_column(
        "sportsbook_events",
        sa.Column(
            "clock",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'::jsonb"),
            nullable=False,
        ),
    )


def downgrade() -> None:
    op.drop_column("sportsbook_events", "clock")
    op.drop_column("sportsbook_markets", "feed_status")
