"""otel: trace and log context carried with outbox events and placed bets

Revision ID: 0023_otel
Revises: 0022_bonuses
Create Date: 2026-12-07 05:20:00

- `outbox_events.context`: the W3C trace context (`traceparent`, `tracestate`) and the
  request id, brand and player of the request that emitted the event (NULL when there was
  none); the relay carries it in the Dramatiq message, so the actor's span is a child of
  that request's and its log lines carry the request id.
- `sportsbook_bets.trace_parent`: the `traceparent` of the placing request when it was
  traced (NULL otherwise), so the settlement actor that pays the bet links to it.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0023_otel"
down_revision: str | Sequence[str] | None = "0022_bonuses"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("outbox_events", sa.Column("context", postgresql.JSONB(), nullable=True))
    op.add_column("sportsbook_bets", sa.Column("trace_parent", sa.Text(), nullable=True))


def downgrade() -> None:
    op.drop_column("sportsbook_bets", "trace_parent")
    op.drop_column("outbox_events", "context")
