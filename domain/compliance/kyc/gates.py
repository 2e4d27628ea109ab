"""The KYC gates: which tier the brand's jurisdiction pack asks for before a deposit, play
or a withdrawal (`[kyc]` of the pack), and the refusal naming the step when the player's
tier falls short.

    tier_before_<step>           the tier needed before each step
    grace_days                   (Malta) deposits and play are open for this many days after
                                 registration; from then they need the withdrawal tier too
    enhanced_after_deposits_30d  a deposit taking the player's deposits of the last 30 days
                                 past this amount (per currency) needs the enhanced tier

The guard in front of every deposit, withdrawal and wager (`compliance.service`) calls
`check_gate` with the row it already read; the 30-day sum is one statement, read only when
the pack has a threshold in the player's currency and the player is not enhanced yet.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import select, text

from domain.accounts.errors import PlayerNotFound
from domain.accounts.models import Player
from domain.brands.models import BrandRow
from domain.compliance.jurisdictions import JurisdictionPack, pack_for
from domain.compliance.kyc.errors import VerificationRequired
from domain.compliance.kyc.models import KycTier
from domain.kernel import clock
from domain.kernel.db import UnitOfWork
from domain.kernel.settings import get_settings

DEPOSIT_WINDOW = timedelta(days=30)


class Step(StrEnum):
    DEPOSIT = "deposit"
    PLAY = "play"
    WITHDRAWAL = "withdrawal"


def gates_enforced() -> bool:
    """Whether this deployment refuses steps below the pack's tier (settings.kyc_gates)."""
    return get_settings().kyc_gates_enforced


def base_tier(
    pack: JurisdictionPack, step: Step, registered_at: datetime, now: datetime
) -> KycTier:
    """The tier a step needs before any deposit threshold."""
    rules = pack.kyc
    needed = KycTier(
        {
            Step.DEPOSIT: rules.tier_before_deposit,
            Step.PLAY: rules.tier_before_play,
            Step.WITHDRAWAL: rules.tier_before_withdrawal,
        }[step]
    )
    grace_over = rules.grace_days and now >= registered_at + timedelta(days=rules.grace_days)
    if grace_over and step is not Step.WITHDRAWAL:
        later = KycTier(rules.tier_before_withdrawal)
        needed = later if later.rank > needed.rank else needed
    return needed


def check_play(
    jurisdiction: str, tier: str, registered_at: datetime, *, field: str | None = None
) -> None:
    """The play gate for the wager paths that read the player in their own one-statement
    context (sportsbook placement, casino callbacks): no statement of its own, since play
    has no deposit threshold. Does nothing where the gates are not enforced.
    Errors: VerificationRequired."""
    if not gates_enforced():
        return
    needed = base_tier(pack_for(jurisdiction), Step.PLAY, registered_at, clock.now())
    if not KycTier(tier).covers(needed):
        raise VerificationRequired(tier=needed.value, step=Step.PLAY.value, field=field)


@dataclass(frozen=True)
class GateFacts:
    """What a gate needs to know of the player (read with the player's status)."""

    tier: KycTier
    registered_at: datetime
    currency: str
    jurisdiction: str


_DEPOSITS_30D = text("""
SELECT coalesce(sum(amount_minor), 0) FROM payments
WHERE player_id = :player AND brand = :brand AND kind = 'deposit'
  AND status IN ('initiated', 'pending', 'succeeded') AND created_at >= :since
  AND idempotency_key IS DISTINCT FROM :exclude_key
""")


async def deposits_30d(
    uow: UnitOfWork, brand: str, player_id: uuid.UUID, *, exclude_key: str | None = None
) -> int:
    """The player's deposits of the last 30 days (initiated, pending or succeeded), minor
    units; `exclude_key`: a retried deposit does not count against itself."""
    total = await uow.session.scalar(
        _DEPOSITS_30D,
        {
            "player": player_id,
            "brand": brand,
            "since": clock.now() - DEPOSIT_WINDOW,
            "exclude_key": exclude_key,
        },
    )
    return int(total or 0)


async def required_tier(
    uow: UnitOfWork,
    brand: str,
    player_id: uuid.UUID,
    facts: GateFacts,
    step: Step,
    *,
    amount_minor: int = 0,
    payment_key: str | None = None,
) -> KycTier:
    """The tier this step needs now for this player (and deposit amount)."""
    pack = pack_for(facts.jurisdiction)
    needed = base_tier(pack, step, facts.registered_at, clock.now())
    threshold = pack.kyc.enhanced_after_deposits_30d.get(facts.currency)
    if step is Step.DEPOSIT and threshold is not None and not facts.tier.covers(KycTier.ENHANCED):
        earlier = await deposits_30d(uow, brand, player_id, exclude_key=payment_key)
        if earlier + amount_minor > threshold:
            needed = KycTier.ENHANCED
    return needed


async def check_gate(
    uow: UnitOfWork,
    brand: str,
    player_id: uuid.UUID,
    facts: GateFacts,
    step: Step,
    *,
    amount_minor: int = 0,
    payment_key: str | None = None,
    field: str | None = None,
) -> None:
    """Errors: VerificationRequired (naming the tier and the step)."""
    needed = await required_tier(
        uow, brand, player_id, facts, step, amount_minor=amount_minor, payment_key=payment_key
    )
    if not facts.tier.covers(needed):
        raise VerificationRequired(tier=needed.value, step=step.value, field=field)


async def gate_facts(uow: UnitOfWork, brand: str, player_id: uuid.UUID) -> GateFacts:
    """The player's tier, registration, currency and jurisdiction (one statement).
    Errors: PlayerNotFound."""
    row = (
        await uow.session.execute(
            select(Player.kyc_tier, Player.created_at, Player.currency, BrandRow.jurisdiction)
            .join(BrandRow, BrandRow.slug == Player.brand)
            .where(Player.id == player_id, Player.brand == brand)
        )
    ).first()
    if row is None:
        raise PlayerNotFound(field="playerId")
    return GateFacts(KycTier(row.kyc_tier), row.created_at, row.currency, row.jurisdiction)
