"""KYC and profile errors (stable codes)."""

from __future__ import annotations

from domain.compliance.errors import PlayerBlocked
from domain.kernel.errors import DomainError


class VerificationRequired(PlayerBlocked):
    """The brand's jurisdiction asks for a KYC tier before this step that the player does
    not hold. `tier` and `step` name what is needed (the site translates them)."""

    code = "VERIFICATION_REQUIRED"
    message = "Verify your identity first."

    def __init__(self, *, tier: str, step: str, field: str | None = None) -> None:
        self.tier = tier
        self.step = step
        super().__init__(
            f"Verify your identity first: {step} needs the {tier} verification.", field=field
        )


class InvalidProfile(DomainError):
    code = "INVALID_PROFILE"
    message = "A profile field is not valid."


class CheckNotFound(DomainError):
    code = "CHECK_NOT_FOUND"
    message = "No such verification check."


class CheckAlreadyDecided(DomainError):
    code = "CHECK_ALREADY_DECIDED"
    message = "This check is not waiting for a review any more."


class TierNotOffered(DomainError):
    code = "TIER_NOT_OFFERED"
    message = "Choose basic, full or enhanced verification."


class CheckRunning(DomainError):
    code = "CHECK_RUNNING"
    message = "A verification is already waiting for the provider's decision."


class DevOnly(DomainError):
    """A dev convenience (the demo players' verification) asked for in production."""

    code = "DEV_ONLY"
    message = "Demo data is never created in production."
