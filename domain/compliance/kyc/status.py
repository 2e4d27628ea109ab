"""What a player's verification stands at: the tier, the recent checks, and for each step
(deposit, play, withdrawal) the tier the brand's jurisdiction asks for and whether the
player holds it — what a verification unlocks."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace

from domain.accounts.permissions import Permission
from domain.accounts.principal import Principal, require_permission, require_player
from domain.compliance.kyc import gates
from domain.compliance.kyc.checks import CheckView, checks_of
from domain.compliance.kyc.models import KycTier
from domain.kernel.db import UnitOfWork


@dataclass(frozen=True)
class StepRequirement:
    step: gates.Step
    tier: KycTier
    met: bool


@dataclass(frozen=True)
class Verification:
    tier: KycTier
    checks: list[CheckView]
    steps: list[StepRequirement]
    # Whether this deployment refuses the steps whose tier is not met.
    enforced: bool

    @property
    def next_tier(self) -> KycTier | None:
        """The lowest tier that would meet a step not met yet (None: all met)."""
        missing = [req.tier for req in self.steps if not req.met]
        return min(missing, key=lambda tier: tier.rank) if missing else None


async def verification_of(
    uow: UnitOfWork, actor: Principal | None, brand: str, player_id: uuid.UUID
) -> Verification:
    """The player's own, or any of the brand's for staff with player.read (three
    statements). Errors: NotAuthenticated, PermissionDenied, TwoFactorRequired,
    PlayerNotFound."""
    own = actor is not None and actor.is_player and actor.id == player_id
    if own:
        require_player(actor, withdraw_only_allowed=True)
    else:
        require_permission(actor, Permission.PLAYER_READ, brand)
    facts = await gates.gate_facts(uow, brand, player_id)
    steps = []
    for step in gates.Step:
        needed = await gates.required_tier(uow, brand, player_id, facts, step)
        steps.append(StepRequirement(step, needed, facts.tier.covers(needed)))
    found = await checks_of(uow, brand, player_id)
    if not own:
        # The hosted flow's link acts for the player at the provider: staff never get it.
        found = [replace(check, flow_url="") for check in found]
    return Verification(facts.tier, found, steps, gates.gates_enforced())
