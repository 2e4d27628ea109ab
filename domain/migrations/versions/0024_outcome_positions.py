"""sbfinish: a race runner's finishing position kept with its result

Revision ID: 0024_outcome_positions
Revises: 0023_otel
Create Date: 2026-12-07 14:20:00

- `sportsbook_outcomes.position`: the finishing position a race's result gave the runner
  (NULL until resulted, for a non-runner, and outside races), so bet history can say
  "Placed 2nd" and a race card can show the result; cleared with the result on rollback.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0024_outcome_positions"
down_revision: str | Sequence[str] | None = "0023_otel"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("sportsbook_outcomes", sa.Column("position", sa.SmallInteger(), nullable=True))


def downgrade() -> None:
    op.drop_column("sportsbook_outcomes", "position")
