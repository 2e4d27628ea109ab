"""repspeed: late NGR corrections as an adjustment on the next affiliate statement

Revision ID: 0040_repspeed
Revises: 0039_channels
Create Date: 2026-12-07 21:40:00

- `affiliate_statements.adjustment_ngr_minor`: NGR of earlier, already stated months that
  the read model learnt of after their statement (a late event, a rebuild), settled on
  this statement instead of rewriting a paid one.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0040_repspeed"
down_revision: str | Sequence[str] | None = "0039_channels"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "affiliate_statements",
        sa.Column("adjustment_ngr_minor", sa.BigInteger(), server_default="0", nullable=False),
    )


def downgrade() -> None:
    op.drop_column("affiliate_statements", "adjustment_ngr_minor")
