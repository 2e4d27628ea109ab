"""repperf: the read model's brand index also orders by game and currency

Revision ID: 0031_repperf
Revises: 0028_affiliates
Create Date: 2026-12-07 18:50:00

"GGR by day x game for one brand" groups by (day, game, currency) within one brand's range
of days. On (brand, day) alone PostgreSQL read the range and sorted it (an incremental
sort) before it could group and stop at the page's limit; on (brand, day, game, currency)
the rows come in group order, so the aggregate streams and the LIMIT stops the scan after
one page of groups. The index replaces (brand, day), its prefix: writes keep one index.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0031_repperf"
down_revision: str | Sequence[str] | None = "0030_affiliates"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_reporting_daily_brand_day_game",
        "reporting_daily",
        ["brand", "day", "game", "currency"],
    )
    op.drop_index("ix_reporting_daily_brand_day", table_name="reporting_daily")


def downgrade() -> None:
    op.create_index("ix_reporting_daily_brand_day", "reporting_daily", ["brand", "day"])
    op.drop_index("ix_reporting_daily_brand_day_game", table_name="reporting_daily")
