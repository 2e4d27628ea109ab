"""Append-only, hash-chained audit log of staff actions and state changes.

Each row's hash covers the previous row's hash (in its chain) and its own canonical content,
so an edit or deletion anywhere breaks every later link of that chain (`verify_chain`).

Rows are spread over AUDIT_CHAINS chains by subject, so one player's (or staff user's)
history is one ordered chain while unrelated actions do not queue behind each other. An
append is one call of the SQL function `stakehouse_audit_record` (kernel/sql/): it locks
the chain until commit, reads its head and inserts the row with its digest computed in SQL
(scheme 2). Rows written before that (scheme 1) carry a digest computed here in Python.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    DateTime,
    Index,
    LargeBinary,
    SmallInteger,
    Text,
    bindparam,
    func,
    select,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from domain.kernel import clock
from domain.kernel.db import Base, UnitOfWork
from domain.kernel.errors import DomainError, ReasonRequired

AUDIT_CHAINS = 16
# Staff give a reason for what they do; it is stored in the audit row and read later.
REASON_LENGTH_MAX = 500
_GENESIS = b"\x00" * 32
_SCHEME_SQL = 2
_RECORD = text(
    "SELECT stakehouse_audit_record(:chain, :at, :actor_kind, :actor_id, :brand, :action, "
    ":subject_type, :subject_id, :reason, :before, :after)"
).bindparams(bindparam("before", type_=JSONB), bindparam("after", type_=JSONB))
_SQL_DIGEST = func.stakehouse_audit_digest


class AuditEntry(Base):
    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    actor_kind: Mapped[str] = mapped_column(Text)  # staff | player | system
    actor_id: Mapped[str | None] = mapped_column(Text)
    brand: Mapped[str | None] = mapped_column(Text)
    action: Mapped[str] = mapped_column(Text)
    subject_type: Mapped[str] = mapped_column(Text)
    subject_id: Mapped[str] = mapped_column(Text)
    reason: Mapped[str | None] = mapped_column(Text)
    before: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    prev_hash: Mapped[bytes] = mapped_column(LargeBinary)
    hash: Mapped[bytes] = mapped_column(LargeBinary, unique=True)
    chain: Mapped[int] = mapped_column(SmallInteger, server_default="0")
    # 1: digest computed in Python (_digest); 2: in SQL (stakehouse_audit_digest).
    scheme: Mapped[int] = mapped_column(SmallInteger, server_default="1")

    __table_args__ = (
        Index("ix_audit_log_chain_id", "chain", "id"),
        # Two rows claiming the same predecessor would fork a chain: refused outright.
        Index("uq_audit_log_chain_prev_hash", "chain", "prev_hash", unique=True),
        # The back office's audit search: by actor, by subject (keyset on id, the page's
        # order), a brand's rows over a range of time, and a brand's newest page.
        Index("ix_audit_log_actor_id", "actor_id", "id"),
        Index("ix_audit_log_subject_id", "subject_type", "subject_id", "id"),
        Index("ix_audit_log_brand_at", "brand", "at"),
        Index("ix_audit_log_brand_id", "brand", "id"),
    )


def audit_reason(reason: str) -> str:
    """A staff action's reason, stripped: one printable line of at most REASON_LENGTH_MAX
    characters (the audit log is read by people later).
    Errors: ReasonRequired, DomainError (INVALID: too long or not one printable line)."""
    if not reason.strip():
        raise ReasonRequired(field="reason")
    if len(reason) > REASON_LENGTH_MAX or not reason.isprintable():
        raise DomainError(
            f"Give a reason of at most {REASON_LENGTH_MAX} printable characters.", field="reason"
        )
    return reason.strip()


def chain_of(subject_type: str, subject_id: str) -> int:
    """The chain a subject's rows go to: stable, and spread evenly."""
    digest = hashlib.sha256(f"{subject_type}:{subject_id}".encode()).digest()
    return int.from_bytes(digest[:4], "big") % AUDIT_CHAINS


def _digest(prev_hash: bytes, content: dict[str, Any]) -> bytes:
    canonical = json.dumps(content, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(prev_hash + canonical.encode()).digest()


def _content(entry: AuditEntry) -> dict[str, Any]:
    return {
        "at": entry.at.isoformat(),
        "actor_kind": entry.actor_kind,
        "actor_id": entry.actor_id,
        "brand": entry.brand,
        "action": entry.action,
        "subject_type": entry.subject_type,
        "subject_id": entry.subject_id,
        "reason": entry.reason,
        "before": entry.before,
        "after": entry.after,
    }


async def record(
    uow: UnitOfWork,
    *,
    actor_kind: str,
    actor_id: str | uuid.UUID | None,
    action: str,
    subject_type: str,
    subject_id: str | uuid.UUID,
    brand: str | None,
    reason: str | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> int:
    """Append an audit row in the caller's transaction (one round trip); returns its id."""
    entry_id = await uow.session.scalar(
        _RECORD,
        {
            "chain": chain_of(subject_type, str(subject_id)),
            "at": clock.now(),
            "actor_kind": actor_kind,
            "actor_id": str(actor_id) if actor_id is not None else None,
            "brand": brand,
            "action": action,
            "subject_type": subject_type,
            "subject_id": str(subject_id),
            "reason": reason,
            # Through JSON once, so values (UUIDs, dates) are stored as the text they read as.
            "before": _plain(before),
            "after": _plain(after),
        },
    )
    assert entry_id is not None
    return int(entry_id)


def _plain(value: dict[str, Any] | None) -> Any:
    return None if value is None else json.loads(json.dumps(value, default=str))


async def verify_chain(uow: UnitOfWork) -> int | None:
    """Return the id of the first entry whose link is broken, or None when every chain
    holds (each row's prev_hash is its chain's previous hash, and its digest matches)."""
    expected = _SQL_DIGEST(
        AuditEntry.prev_hash, AuditEntry.at, AuditEntry.actor_kind, AuditEntry.actor_id,
        AuditEntry.brand, AuditEntry.action, AuditEntry.subject_type, AuditEntry.subject_id,
        AuditEntry.reason, AuditEntry.before, AuditEntry.after,
    )  # fmt: skip
    heads: dict[int, bytes] = {}
    rows = await uow.session.execute(select(AuditEntry, expected).order_by(AuditEntry.id))
    entry: AuditEntry
    sql_digest: bytes
    for entry, sql_digest in rows:
        digest = (
            sql_digest if entry.scheme == _SCHEME_SQL else _digest(entry.prev_hash, _content(entry))
        )
        if entry.prev_hash != heads.get(entry.chain, _GENESIS) or entry.hash != digest:
            return entry.id
        heads[entry.chain] = entry.hash
    return None
