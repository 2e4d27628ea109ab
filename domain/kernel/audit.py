"""Append-only, hash-chained audit log of staff actions and state changes.

Each row's hash covers the previous row's hash and its own canonical content, so an edit or
deletion anywhere breaks every later link (`verify_chain`). Appends serialise on a
transaction-scoped advisory lock; audit volume is staff actions and status changes, not bets.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, DateTime, LargeBinary, Text, func, select, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from domain.kernel import clock
from domain.kernel.db import Base, UnitOfWork

_AUDIT_LOCK_KEY = 7_301_001
_GENESIS = b"\x00" * 32


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
) -> AuditEntry:
    session = uow.session
    await session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _AUDIT_LOCK_KEY})
    prev_hash = await session.scalar(
        select(AuditEntry.hash).order_by(AuditEntry.id.desc()).limit(1)
    )
    entry = AuditEntry(
        at=clock.now(),
        actor_kind=actor_kind,
        actor_id=str(actor_id) if actor_id is not None else None,
        brand=brand,
        action=action,
        subject_type=subject_type,
        subject_id=str(subject_id),
        reason=reason,
        before=before,
        after=after,
        prev_hash=prev_hash or _GENESIS,
    )
    entry.hash = _digest(entry.prev_hash, _content(entry))
    session.add(entry)
    await session.flush()
    return entry


async def verify_chain(uow: UnitOfWork) -> int | None:
    """Return the id of the first entry whose link is broken, or None when the chain holds."""
    expected_prev = _GENESIS
    for entry in await uow.session.scalars(select(AuditEntry).order_by(AuditEntry.id)):
        if entry.prev_hash != expected_prev or entry.hash != _digest(
            entry.prev_hash, _content(entry)
        ):
            return entry.id
        expected_prev = entry.hash
    return None
