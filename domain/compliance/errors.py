from __future__ import annotations

from datetime import datetime

from domain.kernel.errors import DomainError
from domain.kernel.money import from_minor


class PlayerBlocked(DomainError):
    code = "PLAYER_BLOCKED"
    message = "This account cannot do that right now."


class AccountSuspended(PlayerBlocked):
    code = "ACCOUNT_SUSPENDED"
    message = "This account is suspended. Contact support."


class SelfExcluded(PlayerBlocked):
    code = "SELF_EXCLUDED"
    message = "This account is self-excluded."


class AccountClosed(PlayerBlocked):
    code = "ACCOUNT_CLOSED"
    message = "This account is closed."


class TimedOut(PlayerBlocked):
    code = "TIMED_OUT"
    message = "This account is taking a break (time-out) until it ends."


class LimitReached(PlayerBlocked):
    """A limit the player set refuses this amount. `remaining_minor` is what is left in
    the limit's window (0 when nothing is)."""

    code = "LIMIT_REACHED"
    message = "This is over one of your limits."
    noun = "limit"

    def __init__(
        self, *, remaining_minor: int, currency: str | None, field: str | None = "amount"
    ) -> None:
        self.remaining_minor = remaining_minor
        self.currency = currency
        if currency is None:
            left = f"{remaining_minor} minutes"
        else:
            left = f"{from_minor(remaining_minor, currency)} {currency}"
        super().__init__(f"This is over your {self.noun}: {left} left.", field=field)


class DepositLimitReached(LimitReached):
    code = "DEPOSIT_LIMIT_REACHED"
    noun = "deposit limit"


class LossLimitReached(LimitReached):
    code = "LOSS_LIMIT_REACHED"
    noun = "loss limit"


class WagerLimitReached(LimitReached):
    code = "WAGER_LIMIT_REACHED"
    noun = "wager limit"


class SessionLimitReached(LimitReached):
    code = "SESSION_LIMIT_REACHED"
    noun = "session time limit"


class LimitNotFound(DomainError):
    code = "LIMIT_NOT_FOUND"
    message = "You have no such limit."


class NoPendingChange(DomainError):
    code = "NO_PENDING_CHANGE"
    message = "This limit has no change waiting for confirmation."


class CoolingOff(DomainError):
    """An increase or removal confirmed before its 24-hour cooling-off ended."""

    code = "COOLING_OFF"
    message = "This change can only be confirmed once its cooling-off period ends."

    def __init__(self, can_confirm_at: datetime) -> None:
        super().__init__(
            f"This change can be confirmed from {can_confirm_at:%Y-%m-%d %H:%M} UTC.",
            field="kind",
        )
        self.can_confirm_at = can_confirm_at


class InvalidLimit(DomainError):
    code = "INVALID_LIMIT"
    message = "This limit is not valid."


class InvalidPack(DomainError):
    """A jurisdiction pack fails validation (at start-up: the process does not boot)."""

    code = "INVALID_PACK"
    message = "A jurisdiction pack is invalid."


class PeriodNotOffered(DomainError):
    code = "PERIOD_NOT_OFFERED"
    message = "This period is not offered under this brand's licence."


class NoExclusion(DomainError):
    code = "NO_EXCLUSION"
    message = "This account has no self-exclusion to end."


class ExclusionRunning(DomainError):
    """The exclusion's period is not over (or it ends at its date by itself)."""

    code = "EXCLUSION_RUNNING"
    message = "This self-exclusion has not reached its end."

    def __init__(self, ends_at: datetime | None) -> None:
        if ends_at is None:
            text = "This self-exclusion is permanent."
        else:
            text = f"This self-exclusion runs until {ends_at:%Y-%m-%d} and cannot end before."
        super().__init__(text)
        self.ends_at = ends_at
