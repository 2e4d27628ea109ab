"""The password step of signing in, shared by players and staff.

Failures are returned, not raised: the failure row must commit for throttling to work, and
the caller owns the transaction. Unknown account and wrong password give the same result
after the same argon2 work.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from domain.accounts import passwords, sessions, throttle
from domain.accounts.errors import InvalidCredentials, LoginThrottled
from domain.accounts.models import PrincipalKind, SessionState, SessionTransport
from domain.kernel.db import UnitOfWork
from domain.kernel.errors import DomainError


@dataclass(frozen=True)
class SignInResult:
    issued: sessions.IssuedSession | None = None
    error: DomainError | None = None

    @property
    def two_factor_required(self) -> bool:
        return (
            self.issued is not None and self.issued.session.state == SessionState.PENDING_TWO_FACTOR
        )


@dataclass(frozen=True)
class Candidate:
    """The account an identifier names, as the password step needs it."""

    kind: PrincipalKind
    id: uuid.UUID
    brand: str | None
    password_hash: str
    # Second factor owed after the password: enabled 2FA, or any staff (enrolment owed).
    second_factor_owed: bool
    # Why this account may not sign in even with the right password (closed, suspended,
    # self-excluded), or None.
    refusal: DomainError | None


@dataclass(frozen=True)
class Attempt:
    # Names the account whose failures count (players.login and staff.login set it).
    throttle_key: str
    password: str
    transport: SessionTransport
    ip_address: str | None
    user_agent: str | None
    # The session being replaced (the cookie sent with the sign-in): rotated on success.
    previous_token: str | None = None


async def sign_in(uow: UnitOfWork, candidate: Candidate | None, attempt: Attempt) -> SignInResult:
    """Check the password against the account's throttle (`attempt.throttle_key` names the
    account, not the identifier typed) and issue a session. A busy client address alone
    never refuses a correct password (throttle's docstring says why and what it limits)."""
    await throttle.serialise(uow, attempt.throttle_key)
    recent = await throttle.recent_failures(uow, attempt.throttle_key, attempt.ip_address)
    if recent.account_locked():
        return SignInResult(error=LoginThrottled())
    password_hash = candidate.password_hash if candidate else None
    if not await passwords.verify_password(password_hash, attempt.password) or candidate is None:
        await throttle.record_failure(uow, attempt.throttle_key, attempt.ip_address)
        return SignInResult(error=InvalidCredentials())
    if candidate.refusal is not None:
        return SignInResult(error=candidate.refusal)
    await throttle.clear_account(uow, attempt.throttle_key)
    if attempt.previous_token:
        previous = await sessions.find_live(uow, attempt.previous_token)
        if previous is not None:
            await sessions.revoke(uow, previous, "rotated")
    issued = await sessions.issue(
        uow,
        kind=candidate.kind,
        principal_id=candidate.id,
        brand=candidate.brand,
        transport=attempt.transport,
        state=SessionState.PENDING_TWO_FACTOR
        if candidate.second_factor_owed
        else SessionState.ACTIVE,
        ip_address=attempt.ip_address,
        user_agent=attempt.user_agent,
    )
    return SignInResult(issued=issued)
