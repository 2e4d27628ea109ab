"""audit: sharded hash chains appended by one SQL function

Revision ID: 0008
Revises: 0004
Create Date: 2026-11-24 13:55:00

A single global chain serialised every audited action of the platform on one advisory lock
held until commit, and took three round trips (lock, read the head, insert). Rows now belong
to one of AUDIT_CHAINS chains chosen by their subject (one player's history stays in one
chain, in order), and `stakehouse_audit_record` appends in one call: lock the chain, read
its head with a fresh snapshot, insert with the digest computed in SQL. Existing rows stay
chain 0, scheme 1 (digest computed in Python); chain 0 continues from them.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The digest of a scheme-2 row: SHA-256 over the previous hash and a JSON array of the
# row's fields. json_build_array renders deterministically (jsonb values in canonical
# form) and the timestamp is formatted in UTC, so the text does not depend on the session.
DIGEST = r"""
CREATE FUNCTION stakehouse_audit_digest(
    prev bytea, at timestamptz, actor_kind text, actor_id text, brand text, action text,
    subject_type text, subject_id text, reason text, before jsonb, after jsonb
) RETURNS bytea LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT sha256(prev || convert_to(json_build_array(
        to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US'),
        actor_kind, actor_id, brand, action, subject_type, subject_id, reason, before, after
    )::text, 'UTF8'))
$$
"""

RECORD = r"""
CREATE FUNCTION stakehouse_audit_record(
    p_chain integer, p_at timestamptz, p_actor_kind text, p_actor_id text, p_brand text,
    p_action text, p_subject_type text, p_subject_id text, p_reason text,
    p_before jsonb, p_after jsonb
) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
    v_prev bytea;
    v_id bigint;
BEGIN
    -- One lock per chain, held to commit: appends to a chain are serial, chains are not.
    PERFORM pg_advisory_xact_lock(7301001, p_chain);
    -- A new statement, hence a new snapshot: sees the head the previous holder committed.
    SELECT hash INTO v_prev FROM audit_log WHERE chain = p_chain ORDER BY id DESC LIMIT 1;
    v_prev := coalesce(v_prev, '\x0000000000000000000000000000000000000000000000000000000000000000'::bytea);
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
    op.add_column(
        "audit_log", sa.Column("chain", sa.SmallInteger(), server_default="0", nullable=False)
    )
    op.add_column(
        "audit_log", sa.Column("scheme", sa.SmallInteger(), server_default="1", nullable=False)
    )
    op.create_index("ix_audit_log_chain_id", "audit_log", ["chain", "id"])
    op.execute(DIGEST)
    op.execute(RECORD)


def downgrade() -> None:
    op.execute("DROP FUNCTION stakehouse_audit_record")
    op.execute("DROP FUNCTION stakehouse_audit_digest")
    op.drop_index("ix_audit_log_chain_id", table_name="audit_log")
    op.drop_column("audit_log", "scheme")
    op.drop_column("audit_log", "chain")
