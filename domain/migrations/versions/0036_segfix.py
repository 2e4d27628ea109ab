"""segfix: the daily segment refresh resumes and catches up; birthdays are indexed

Revision ID: 0036_segfix
Revises: 0035_bonusfin
Create Date: 2026-12-07 21:30:00

- `segment_refresh_runs`: per brand, the last day the refresh applied in full and, for a
  run in progress, its target day and the last player it evaluated (resume point);
- `players`: an index on (brand, month * 100 + day of the date of birth), so the players
  whose age changes on a day are found without a scan of the brand, and one on
  (brand, created_at) for the players registered on a day.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0036_segfix"
down_revision: str | Sequence[str] | None = "0035_bonusfin"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_BIRTHDAY = (
    "CAST(EXTRACT(month FROM date_of_birth) * 100 + EXTRACT(day FROM date_of_birth) AS INTEGER)"
)


def upgrade() -> None:
    op.create_table(
        "segment_refresh_runs",
        sa.Column("brand", sa.Text(), nullable=False),
        sa.Column("done_through", sa.Date(), nullable=False),
        sa.Column("target_day", sa.Date(), nullable=True),
        sa.Column("cursor", postgresql.UUID(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["brand"], ["brands.slug"], name=op.f("fk_segment_refresh_runs_brand_brands")
        ),
        sa.PrimaryKeyConstraint("brand", name=op.f("pk_segment_refresh_runs")),
    )
    op.execute(f"CREATE INDEX ix_players_brand_birthday ON players (brand, ({_BIRTHDAY}))")
    op.create_index("ix_players_brand_created_at", "players", ["brand", "created_at"])


def downgrade() -> None:
    op.drop_index("ix_players_brand_created_at", table_name="players")
    op.drop_index("ix_players_brand_birthday", table_name="players")
    op.drop_table("segment_refresh_runs")
