"""Keeping segments from committed events, one transaction per message (the actor's): a
relay batch of ledger events adds their behaviour facts and re-evaluates the players they
moved, once per brand; an account, consent or status event re-evaluates its player.
Re-evaluation is idempotent (it writes
only the difference with the current members), so a redelivered event changes nothing."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from typing import Any, Final

from domain.accounts.events import PlayerRegistered, PlayerStatusChanged
from domain.bonuses.events import LoyaltyTierChanged
from domain.compliance.events import LimitChanged, LimitIncreaseRequested
from domain.compliance.kyc.events import KycTierChanged
from domain.kernel.db import UnitOfWork
from domain.segments import facts, membership
from domain.segments.events import MarketingConsentChanged

# Events naming one player whose attributes a rule may test: registration, status
# (self-exclusion, suspension), consent, verification tier, a limit set, changed or
# removed (and one asked to be raised), the loyalty tier.
PLAYER_TOPICS: Final = frozenset(
    {
        PlayerRegistered.topic,
        PlayerStatusChanged.topic,
        MarketingConsentChanged.topic,
        KycTierChanged.topic,
        LimitIncreaseRequested.topic,
        LimitChanged.topic,
        LoyaltyTierChanged.topic,
    }
)


async def apply_ledger_event(
    uow: UnitOfWork, event_id: int, brand: str | None, payload: Mapping[str, Any]
) -> int:
    """A `wallets.balance_changed` event; returns how many memberships changed."""
    players = await facts.apply_balance_changed(uow, event_id, brand, payload)
    if not players or brand is None:
        return 0
    return await membership.evaluate_players(uow, brand, players)


async def apply_ledger_events(uow: UnitOfWork, events: Sequence[facts.LedgerEvent]) -> int:
    """A relay batch of `wallets.balance_changed` events: their facts in one upsert, then
    one re-evaluation per brand of every player they moved; returns how many memberships
    changed."""
    moved = await facts.apply_balance_changes(uow, events)
    changed = 0
    for brand in sorted(moved):
        changed += await membership.evaluate_players(uow, brand, moved[brand])
    return changed


async def apply_player_event(uow: UnitOfWork, brand: str | None, payload: Mapping[str, Any]) -> int:
    """An event naming one player (PLAYER_TOPICS)."""
    if brand is None or "player_id" not in payload:
        return 0
    return await membership.evaluate_players(uow, brand, {uuid.UUID(str(payload["player_id"]))})
