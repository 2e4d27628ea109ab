from __future__ import annotations

from domain.kernel.errors import DomainError


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
