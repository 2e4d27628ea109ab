"""reviewfix: the loyalty tier recalculation's progress per brand

Revision ID: 0041_reviewfix
Revises: 0040_repspeed
Create Date: 2026-12-08 00:50:00

- `loyalty_tier_runs`: per brand, the player id up to which a tier recalculation in
  progress has got (each batch commits on its own, so a run that stops resumes there).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0041_reviewfix"
down_revision: str | Sequence[str] | None = "0040_repspeed"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "loyalty_tier_runs",
        sa.Column("brand", sa.Text(), nullable=False),
        sa.Column("cursor", sa.UUID(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["brand"], ["brands.slug"], name=op.f("fk_loyalty_tier_runs_brand_brands")
        ),
        sa.PrimaryKeyConstraint("brand", name=op.f("pk_loyalty_tier_runs")),
    )


def downgrade() -> None:
    op.drop_table("loyalty_tier_runs")
