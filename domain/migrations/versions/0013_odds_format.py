"""odds format: the player's preferred way of writing odds

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-24 19:40:00

`players` gains `odds_format` (decimal, fractional or american; decimal for every existing
player). The session look-up that runs on every request reads it with the player, so the
sportsbook writes odds in the viewer's format without a statement of its own.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | Sequence[str] | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "players",
        sa.Column("odds_format", sa.Text(), server_default=sa.text("'decimal'"), nullable=False),
    )
    op.create_check_constraint(
        op.f("ck_players_odds_format"),
        "players",
        "odds_format IN ('decimal', 'fractional', 'american')",
    )


def downgrade() -> None:
    op.drop_constraint(op.f("ck_players_odds_format"), "players", type_="check")
    op.drop_column("players", "odds_format")
