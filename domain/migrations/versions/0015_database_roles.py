"""database roles and tamper evidence: ledger digests, integrity checkpoints, SQL
functions loaded from their files

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-07 02:10:00

- `ledger_transactions.digest`: each transaction's digest over its header and entries
  (stakehouse_ledger_digest), written at insert by stakehouse_apply and
  stakehouse_post_many. Existing transactions get theirs computed from their rows now:
  evidence starts here, it cannot vouch for what happened before.
- `integrity_checkpoints`: the scheduled verifier's watermark and sealed batches.
- Every SQL function is (re)defined from `domain/<context>/sql/*.sql`
  (domain/kernel/sql_functions.py), which from now on holds the current definitions.
- The application role's grants are not here: the Alembic environment converges them after
  every upgrade (domain/kernel/roles.py).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from domain.kernel import sql_functions

revision: str = "0015"
down_revision: str | Sequence[str] | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BACKFILL = """
UPDATE ledger_transactions t
   SET digest = stakehouse_ledger_digest(
       t.id, t.brand, t.kind, t.idempotency_scope, t.idempotency_key, t.metadata, t.created_at,
       e.accounts, e.amounts)
  FROM (
    SELECT x.id,
           (SELECT array_agg(s.account_id ORDER BY s.account_id) FROM (
              SELECT account_id, sum(amount)::bigint AS amount FROM ledger_entries
               WHERE transaction_id = x.id GROUP BY account_id HAVING sum(amount) <> 0) s)
             AS accounts,
           (SELECT array_agg(s.amount ORDER BY s.account_id) FROM (
              SELECT account_id, sum(amount)::bigint AS amount FROM ledger_entries
               WHERE transaction_id = x.id GROUP BY account_id HAVING sum(amount) <> 0) s)
             AS amounts
      FROM ledger_transactions x
  ) AS e
 WHERE e.id = t.id
"""


def upgrade() -> None:
    op.add_column("ledger_transactions", sa.Column("digest", sa.LargeBinary(), nullable=True))
    op.create_table(
        "integrity_checkpoints",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("audit_last_id", sa.BigInteger(), nullable=False),
        sa.Column("audit_heads", postgresql.JSONB(), nullable=False),
        sa.Column("ledger_last_id", sa.BigInteger(), nullable=False),
        sa.Column("ledger_transactions", sa.BigInteger(), nullable=False),
        sa.Column("ledger_digest", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_integrity_checkpoints")),
    )
    sql_functions.load_all(op.execute)
    op.execute(BACKFILL)
    op.alter_column("ledger_transactions", "digest", nullable=False)


def downgrade() -> None:
    # The posting functions now write the digest: dropping the column would break every
    # posting. Going back means restoring a backup taken before this revision.
    raise NotImplementedError("0014_database_roles cannot be downgraded")
