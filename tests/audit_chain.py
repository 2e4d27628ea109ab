"""The suite's guard on the audit chain. audit_log outlives each test (it is append-only),
so a test that leaves a row which does not link (written around stakehouse_audit_record,
tampered and not put back, put back differently) fails every later test of its process that
verifies the chain, far from the cause. After each test the rows it added and the head of
every chain are checked (index probes, not a pass over the log), and the test that broke
the chain is named; the whole log is verified once at the end of the session."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from domain.kernel.audit import AUDIT_CHAINS

# Rows above `since`, and each chain's newest row (what a tamper test edits); each must be
# a scheme-2 row (appended by stakehouse_audit_record) whose digest matches its content and
# whose prev_hash is the hash of the row before it in its chain. Legacy scheme-1 heads
# (digest computed in Python) are checked for their link only. A row's predecessor (and a
# chain's head) is the previous (chain, id) pair, one probe of ix_audit_log_chain_id: with
# `chain = x ORDER BY id DESC` the planner walked the primary key backwards instead, through
# the whole log for a chain with no rows.
_CHECK = text(
    """
    WITH checked AS (
        SELECT id FROM audit_log WHERE id > :since
        UNION
        SELECT head.id FROM generate_series(0, :chains - 1) AS c(chain)
        CROSS JOIN LATERAL (
            SELECT id, chain FROM audit_log
            WHERE (chain, id) <= (c.chain::smallint, 9223372036854775807)
            ORDER BY chain DESC, id DESC LIMIT 1
        ) AS head
        WHERE head.chain = c.chain
    )
    SELECT
        (SELECT max(id) FROM audit_log) AS newest,
        (SELECT min(a.id) FROM checked JOIN audit_log a USING (id)
         WHERE (a.id > :since AND a.scheme <> 2)
            OR (a.scheme = 2 AND a.hash IS DISTINCT FROM stakehouse_audit_digest(
                a.prev_hash, a.at, a.actor_kind, a.actor_id, a.brand, a.action,
                a.subject_type, a.subject_id, a.reason, a.before, a.after))
            OR a.prev_hash IS DISTINCT FROM coalesce(
                (SELECT CASE WHEN p.chain = a.chain THEN p.hash END FROM audit_log p
                 WHERE (p.chain, p.id) < (a.chain, a.id)
                 ORDER BY p.chain DESC, p.id DESC LIMIT 1),
                decode(repeat('00', 32), 'hex'))) AS broken
    """
)


@dataclass(frozen=True)
class ChainCheck:
    newest: int  # the log's newest id now: the next check's `since`
    broken: int | None  # the first row found that does not link, if any


async def check_audit_chain(connection: AsyncConnection, since: int) -> ChainCheck:
    """Checks the rows added after `since` and each chain's head (one round trip)."""
    row = (await connection.execute(_CHECK, {"since": since, "chains": AUDIT_CHAINS})).one()
    return ChainCheck(newest=int(row.newest or 0), broken=row.broken)
