"""Tamper evidence of the ledger and the audit log, checked from the stored rows.

What it detects, against anyone who can write the tables (the owner role; the application
role cannot, domain/kernel/roles.py):
- an audit row edited, inserted or removed: its chain breaks there (domain/kernel/audit.py);
- a ledger transaction's header (brand, kind, key, metadata, time) or any of its entries'
  account or amount edited, an entry added to or removed from it, or moved to another:
  its digest (stakehouse_ledger_digest) no longer matches its rows;
- a whole transaction removed or inserted below the verifier's watermark: the checkpoint
  that sealed it no longer matches (`integrity_checkpoints`, a chain of sealed batches).
Not detected: an owner who recomputes every digest and checkpoint after the edit (the
evidence is in the same database: export the checkpoints' digests elsewhere to close
that), a transaction removed after commit but before the next checkpoint, and an entry's
balance_after or currency (copies checked by the ledger invariants instead). A transaction
that commits more than SETTLE_DEFAULT after it started, below a checkpoint that passed its
id, shows as "added" at that checkpoint: a false alarm to look at, not silence.

`verify` re-checks everything (`stakehouse audit verify`); `advance` verifies only what is
new since the last checkpoint and appends one (the scheduler's job).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import timedelta
from typing import Final

from sqlalchemy import bindparam, text
from sqlalchemy.dialects.postgresql import JSONB

from domain.kernel.audit import verify_chain
from domain.kernel.db import UnitOfWork

GENESIS_DIGEST: Final = b"\x00" * 32
# A posting's row carries the time its database transaction started, and is visible only
# once it commits, so ids do not become visible in order: a checkpoint seals the rows in id
# order up to the first one younger than this (audit rows alike), so one still committing
# is not left behind a watermark that has already passed its id.
SETTLE_DEFAULT: Final = timedelta(minutes=2)
# Bounds one run's work; the next run continues from its checkpoint.
BATCH_ROWS_MAX: Final = 50_000

# The stored digest next to the one recomputed from the rows, for a range of transactions.
_LEDGER_ROWS = text(
    """
    SELECT t.id, t.digest, t.created_at < now() - CAST(:settle AS interval) AS settled,
           stakehouse_ledger_digest(t.id, t.brand, t.kind, t.idempotency_scope,
                                    t.idempotency_key, t.metadata, t.created_at,
                                    l.accounts, l.amounts) AS expected
      FROM ledger_transactions t
      LEFT JOIN LATERAL (
        SELECT array_agg(s.account_id ORDER BY s.account_id) AS accounts,
               array_agg(s.amount ORDER BY s.account_id) AS amounts
          FROM (SELECT e.account_id, sum(e.amount)::bigint AS amount
                  FROM ledger_entries e WHERE e.transaction_id = t.id
                 GROUP BY e.account_id HAVING sum(e.amount) <> 0) AS s
      ) AS l ON true
     WHERE t.id > :after AND t.id <= :until
     ORDER BY t.id
     LIMIT :limit
    """
)
_AUDIT_ROWS = text(
    """
    SELECT id, chain, prev_hash, hash, at < now() - CAST(:settle AS interval) AS settled,
           stakehouse_audit_digest(prev_hash, at, actor_kind, actor_id, brand, action,
                                   subject_type, subject_id, reason, before, after) AS expected,
           scheme
      FROM audit_log WHERE id > :after ORDER BY id LIMIT :limit
    """
)
_LAST_CHECKPOINT = text(
    "SELECT id, audit_last_id, audit_heads, ledger_last_id, ledger_digest "
    "FROM integrity_checkpoints ORDER BY id DESC LIMIT 1"
)
_CHECKPOINTS = text(
    "SELECT id, ledger_last_id, ledger_transactions, ledger_digest "
    "FROM integrity_checkpoints ORDER BY id"
)
_APPEND = text(
    "INSERT INTO integrity_checkpoints (audit_last_id, audit_heads, ledger_last_id, "
    "ledger_transactions, ledger_digest) VALUES (:audit_last_id, :audit_heads, "
    ":ledger_last_id, :ledger_transactions, :ledger_digest) RETURNING id"
).bindparams(bindparam("audit_heads", type_=JSONB))
_MAX_ID = (1 << 63) - 1


@dataclass(frozen=True)
class Finding:
    """The first row that fails its evidence: table, id and what is wrong."""

    table: str
    row_id: int
    problem: str

    def __str__(self) -> str:
        return f"{self.table} row {self.row_id}: {self.problem}"


@dataclass(frozen=True)
class Progress:
    """One incremental run: rows verified, the first bad row (if any) and the new
    watermarks."""

    audit_rows: int
    ledger_transactions: int
    audit_finding: Finding | None
    ledger_finding: Finding | None
    audit_last_id: int
    ledger_last_id: int

    @property
    def finding(self) -> Finding | None:
        return self.audit_finding or self.ledger_finding


def seal(previous: bytes, digests: list[bytes]) -> bytes:
    """A checkpoint's ledger digest: the previous checkpoint's, then each transaction's
    digest in id order."""
    return hashlib.sha256(previous + b"".join(digests)).digest()


async def verify(uow: UnitOfWork) -> Finding | None:
    """Re-check every audit chain, every ledger digest and every checkpoint; return the
    first bad row, or None. Reads the whole ledger: for `stakehouse audit verify`."""
    broken = await verify_chain(uow)
    if broken is not None:
        return Finding("audit_log", broken, "its hash does not match its content or chain")
    previous, after = GENESIS_DIGEST, 0
    checkpoints = (await uow.session.execute(_CHECKPOINTS)).all()
    for checkpoint in checkpoints:
        _, digests, finding = await _ledger_digests(
            uow, after, checkpoint.ledger_last_id, timedelta(0)
        )
        if finding is not None:
            return finding
        if seal(previous, digests) != checkpoint.ledger_digest:
            return Finding(
                "integrity_checkpoints",
                checkpoint.id,
                f"ledger transactions {after + 1}..{checkpoint.ledger_last_id} were added "
                "or removed after this checkpoint sealed them",
            )
        previous, after = checkpoint.ledger_digest, checkpoint.ledger_last_id
    _, _, finding = await _ledger_digests(uow, after, _MAX_ID, timedelta(0))
    return finding


async def _ledger_digests(
    uow: UnitOfWork, after: int, until: int, settle: timedelta, limit: int | None = None
) -> tuple[int, list[bytes], Finding | None]:
    """The stored digests of the transactions in (after, until], in id order, up to the
    first that has not settled; or up to the first whose digest does not match its rows
    (the Finding). Returns the last id taken too."""
    rows = await uow.session.execute(
        _LEDGER_ROWS, {"after": after, "until": until, "settle": settle, "limit": limit}
    )
    last, digests = after, list[bytes]()
    for row in rows:
        if not row.settled:
            # A prefix in id order only: a lower id may still be committing.
            break
        if row.digest != row.expected:
            return (
                last,
                digests,
                Finding("ledger_transactions", row.id, "its digest does not match its entries"),
            )
        last = row.id
        digests.append(row.digest)
    return last, digests, None


async def advance(
    uow: UnitOfWork, *, settle: timedelta = SETTLE_DEFAULT, limit: int = BATCH_ROWS_MAX
) -> Progress:
    """Verify the audit rows and the settled ledger transactions after the last
    checkpoint, and append a checkpoint up to the last good row of each. A bad row stops
    its side there, so every later run reports it again until it is repaired."""
    last = (await uow.session.execute(_LAST_CHECKPOINT)).first()
    audit_after = last.audit_last_id if last else 0
    stored_heads: dict[str, str] = last.audit_heads if last else {}
    heads = {int(chain): bytes.fromhex(head) for chain, head in stored_heads.items()}
    ledger_after = last.ledger_last_id if last else 0
    previous = last.ledger_digest if last else GENESIS_DIGEST

    audit_last, audit_rows, audit_finding = await _advance_audit(
        uow, audit_after, heads, settle, limit
    )
    ledger_last, digests, ledger_finding = await _ledger_digests(
        uow, ledger_after, _MAX_ID, settle, limit
    )
    if audit_rows or digests:
        await uow.session.execute(
            _APPEND,
            {
                "audit_last_id": audit_last,
                "audit_heads": {str(chain): head.hex() for chain, head in heads.items()},
                "ledger_last_id": ledger_last,
                "ledger_transactions": len(digests),
                "ledger_digest": seal(previous, digests),
            },
        )
    return Progress(
        audit_rows, len(digests), audit_finding, ledger_finding, audit_last, ledger_last
    )


async def _advance_audit(
    uow: UnitOfWork, after: int, heads: dict[int, bytes], settle: timedelta, limit: int
) -> tuple[int, int, Finding | None]:
    """Follow each chain from its head at the watermark, in id order up to the first row
    that has not settled; `heads` is updated in place."""
    rows = await uow.session.execute(
        _AUDIT_ROWS, {"after": after, "settle": settle, "limit": limit}
    )
    last, count = after, 0
    for row in rows:
        if not row.settled:
            break
        # Rows older than the SQL digest (scheme 1) predate any checkpoint: `verify` checks
        # them; here a link is enough.
        linked = row.prev_hash == heads.get(row.chain, GENESIS_DIGEST)
        if not linked or (row.scheme == 2 and row.hash != row.expected):
            return (
                last,
                count,
                Finding("audit_log", row.id, "its hash does not match its content or chain"),
            )
        heads[row.chain] = row.hash
        last, count = row.id, count + 1
    return last, count, None
