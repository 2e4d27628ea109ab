"""merge the contexts developed side by side; harden the audit append

Revision ID: 0009
Revises: 0005, 0006, 0007, 0008
Create Date: 2026-11-24 14:15:00

Casino lobby (0005), Originals (0006), sportsbook (0007) and the sharded audit chains (0008)
each branched from 0004; this revision joins them. It also hardens stakehouse_audit_record:
- the genesis hash is built with decode(), not a bytea literal, whose parsing depends on
  the session's standard_conforming_strings;
- it refuses to run outside READ COMMITTED: under REPEATABLE READ the chain's head would be
  read from the transaction's old snapshot and the chain would fork;
- a unique (chain, prev_hash) index makes any fork fail loudly instead of being stored;
- both functions pin search_path.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0009"
down_revision: str | Sequence[str] | None = ("0005", "0006", "0007", "0008")
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

RECORD = r"""
CREATE OR REPLACE FUNCTION stakehouse_audit_record(
    p_chain integer, p_at timestamptz, p_actor_kind text, p_actor_id text, p_brand text,
    p_action text, p_subject_type text, p_subject_id text, p_reason text,
    p_before jsonb, p_after jsonb
) RETURNS bigint LANGUAGE plpgsql SET search_path = pg_catalog, public AS $$
DECLARE
    v_prev bytea;
    v_id bigint;
BEGIN
    IF current_setting('transaction_isolation') <> 'read committed' THEN
        RAISE EXCEPTION 'audit rows are appended under READ COMMITTED only'
            USING ERRCODE = 'SH500';
    END IF;
    -- One lock per chain, held to commit: appends to a chain are serial, chains are not.
    PERFORM pg_advisory_xact_lock(7301001, p_chain);
    -- A new statement, hence a new snapshot: sees the head the previous holder committed.
    SELECT hash INTO v_prev FROM audit_log WHERE chain = p_chain ORDER BY id DESC LIMIT 1;
    v_prev := coalesce(v_prev, decode(repeat('00', 32), 'hex'));
    INSERT INTO audit_log (
        at, actor_kind, actor_id, brand, action, subject_type, subject_id, reason,
        before, after, chain, scheme, prev_hash, hash
    ) VALUES (
        p_at, p_actor_kind, p_actor_id, p_brand, p_action, p_subject_type, p_subject_id,
        p_reason, p_before, p_after, p_chain, 2, v_prev,
        stakehouse_audit_digest(v_prev, p_at, p_actor_kind, p_actor_id, p_brand, p_action,
                                p_subject_type, p_subject_id, p_reason, p_before, p_after)
    ) RETURNING id INTO v_id;
    RETURN v_id;
END
$$
"""


def upgrade() -> None:
    op.execute(RECORD)
    op.execute(
        "ALTER FUNCTION stakehouse_audit_digest(bytea, timestamptz, text, text, text, text, "
        "text, text, text, jsonb, jsonb) SET search_path = pg_catalog, public"
    )
    op.create_index(
        "uq_audit_log_chain_prev_hash", "audit_log", ["chain", "prev_hash"], unique=True
    )


def downgrade() -> None:
    # The hardened function stays: it is a drop-in replacement of 0008's.
    op.drop_index("uq_audit_log_chain_prev_hash", table_name="audit_log")
