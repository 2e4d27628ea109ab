"""Wagering progress. A stake counts inside its own SQL call (sql/stakehouse_bonus_wager.sql,
called by the casino and sportsbook stake functions), which puts what it counted in the
stake's ledger metadata under "bonus"; a rollback of that stake takes it back here, in the
rollback's transaction."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from sqlalchemy import text

from domain.kernel.db import UnitOfWork

_UNWIND = text("""
UPDATE bonus_grants
   SET wagered_minor = greatest(0, wagered_minor - :counted),
       staked_by_contribution = staked_by_contribution || jsonb_build_object(
           CAST(:percent_key AS text),
           greatest(0, coalesce((staked_by_contribution ->> CAST(:percent_key AS text))::bigint, 0)
                       - :staked))
 WHERE id = :grant AND brand = :brand AND state = 'active'
""")


async def unwind(uow: UnitOfWork, brand: str, counted: Mapping[str, Any] | None) -> bool:
    """Take back what a rolled-back stake counted toward its grant (`counted` is the stake's
    ledger metadata "bonus", None when it counted toward none). A grant that has ended
    keeps its outcome. True when a grant's progress went back."""
    if not counted:
        return False
    result = await uow.session.execute(
        _UNWIND,
        {
            "grant": uuid.UUID(str(counted["grant"])),
            "brand": brand,
            "counted": int(counted["counted"]),
            "percent_key": str(int(counted["percent"])),
            "staked": int(counted["staked"]),
        },
    )
    return bool(getattr(result, "rowcount", 0))
