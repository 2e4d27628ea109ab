"""feed market results: what the feed says a market's results are, converged to by runs

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07 02:00:00

`sportsbook_feed_market_results` holds, per market, the results and the cancellation window
the feed's latest messages say (each with that message's sequence) and what the market's
runs have been started to apply; it replaces `sportsbook_markets.feed_result_sequence`.
Runs gain the kind `uncancel` (the feed's rollback_bet_cancel reinstates voided bets).

Markets the feed settled or cancelled before this revision get their registers from their
latest settle or cancel run, stamped with their old result sequence, so a late message
stays stale and a correction starts from what their bets really are. (Bets voided before
this revision do not record their cancel run, so a later rollback_bet_cancel leaves them
void, as it did before.)
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0014"
down_revision: str | Sequence[str] | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

KINDS_BEFORE = "kind IN ('settle', 'rollback', 'cancel')"
KINDS_AFTER = "kind IN ('settle', 'rollback', 'cancel', 'uncancel')"
BACKFILL = """
INSERT INTO sportsbook_feed_market_results
       (market_id, results_sequence, results, applied_results,
        cancel_sequence, cancel_from, cancel_to, applied_cancel_run_id)
SELECT m.id, m.feed_result_sequence, s.request -> 'results', s.request -> 'results',
       CASE WHEN c.id IS NULL THEN 0 ELSE m.feed_result_sequence END,
       CAST(c.request ->> 'placed_from' AS timestamptz),
       CAST(c.request ->> 'placed_to' AS timestamptz), c.id
  FROM sportsbook_markets m
  LEFT JOIN LATERAL (
       SELECT r.request FROM sportsbook_settlement_runs r
        WHERE r.market_id = m.id AND r.kind = 'settle'
        ORDER BY r.created_at DESC LIMIT 1) s ON m.status = 'settled'
  LEFT JOIN LATERAL (
       SELECT r.id, r.request FROM sportsbook_settlement_runs r
        WHERE r.market_id = m.id AND r.kind = 'cancel'
        ORDER BY r.created_at DESC LIMIT 1) c ON m.status = 'cancelled'
 WHERE m.feed_result_sequence > 0 AND (s.request IS NOT NULL OR c.id IS NOT NULL)
"""


def upgrade() -> None:
    op.create_table(
        "sportsbook_feed_market_results",
        sa.Column("market_id", sa.BigInteger(), nullable=False),
        sa.Column("results_sequence", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("results", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("cancel_sequence", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("cancel_from", sa.DateTime(timezone=True), nullable=True),
        sa.Column("cancel_to", sa.DateTime(timezone=True), nullable=True),
        sa.Column("applied_results", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("applied_cancel_run_id", sa.UUID(), nullable=True),
        sa.CheckConstraint(
            "(cancel_from IS NULL) = (cancel_to IS NULL)",
            name=op.f("ck_sportsbook_feed_market_results_cancel_window_complete"),
        ),
        sa.ForeignKeyConstraint(
            ["market_id"],
            ["sportsbook_markets.id"],
            name=op.f("fk_sportsbook_feed_market_results_market_id_sportsbook_markets"),
        ),
        sa.PrimaryKeyConstraint("market_id", name=op.f("pk_sportsbook_feed_market_results")),
    )
    op.execute(BACKFILL)
    op.drop_column("sportsbook_markets", "feed_result_sequence")
    op.drop_constraint(
        op.f("ck_sportsbook_settlement_runs_kind"), "sportsbook_settlement_runs", type_="check"
    )
    op.create_check_constraint(
        op.f("ck_sportsbook_settlement_runs_kind"), "sportsbook_settlement_runs", KINDS_AFTER
    )


def downgrade() -> None:
    op.drop_constraint(
        op.f("ck_sportsbook_settlement_runs_kind"), "sportsbook_settlement_runs", type_="check"
    )
    op.create_check_constraint(
        op.f("ck_sportsbook_settlement_runs_kind"), "sportsbook_settlement_runs", KINDS_BEFORE
    )
    op.add_column(
        "sportsbook_markets",
        sa.Column("feed_result_sequence", sa.BigInteger(), server_default="0", nullable=False),
    )
    op.drop_table("sportsbook_feed_market_results")
