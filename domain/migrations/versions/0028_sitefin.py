"""sitefin: a game's release date, for the lobby's "new" rail

Revision ID: 0028_sitefin
Revises: 0027_aml_registers
Create Date: 2026-12-07 17:45:00

- `casino_games.released_on`: the day the studio released the game, as its catalogue says
  (null when it does not say: the lobby then counts the day the game reached it,
  `created_at`). The home page's "new games" rail orders by it; the "top games" rail counts
  rounds (`casino_rounds`, by the brand's existing (brand, opened_at) index).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0028_sitefin"
down_revision: str | Sequence[str] | None = "0027_aml_registers"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("casino_games", sa.Column("released_on", sa.Date(), nullable=True))


def downgrade() -> None:
    op.drop_column("casino_games", "released_on")
