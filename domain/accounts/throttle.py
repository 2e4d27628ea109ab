"""Throttling of guesses (sign-in passwords, codes) and of registrations.

Each counted event is a row with a timestamp in `login_failures`; a sliding window counts
them and the scheduler prunes what left the window, so the table stays bounded (a refused
attempt writes nothing). Unknown identifiers are counted exactly like known ones, so
throttling reveals nothing about which accounts exist.

Sign-in counts per *account* (whatever identifier named it) and per client address. The
address count never refuses a correct password on its own: many customers can share one
address (an office, a mobile carrier's NAT, an ingress without forwarded headers). Once an
address is over its limit it gets one guess per account per window: an account with a
recent failure is refused from there, so spraying passwords over many accounts from one
address yields one guess each, while a customer who types their password right still gets in.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, insert, select, text

from domain.accounts.errors import LoginThrottled, RegistrationThrottled
from domain.accounts.models import LoginFailure
from domain.kernel import clock
from domain.kernel.db import UnitOfWork
from domain.kernel.settings import get_settings

ACCOUNT = "account"
ADDRESS = "address"
REGISTRATION_ADDRESS = "registration_address"
REGISTRATION_IDENTIFIER = "registration_identifier"


def account_key(audience: str, identifier: str) -> str:
    """A fixed-size key for an identifier: hashed, so any input (very long, control
    characters) is safe to store and index. Callers pass the normalised identifier (or
    the account's id), so every way of naming one account shares one count."""
    return hashlib.sha256(f"{audience}:{identifier.strip().lower()}".encode()).hexdigest()


async def serialise(uow: UnitOfWork, key: str) -> None:
    """Hold a transaction-scoped lock on `key`, so parallel attempts on one account are
    checked and counted one at a time (no burst slips under the limit)."""
    await uow.session.execute(
        text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))"), {"key": key}
    )


async def guard_secret(uow: UnitOfWork, key: str) -> None:
    """Before checking a password or code of a signed-in account: take the key's lock and
    refuse while too many recent guesses failed. The caller counts a wrong guess with
    `record_failure(uow, key, None)` and commits even though it then raises.
    Errors: LoginThrottled."""
    await serialise(uow, key)
    if (await recent_failures(uow, key, None)).account_locked():
        raise LoginThrottled()


@dataclass(frozen=True)
class Failures:
    """Failed guesses within the window, for one account and one client address."""

    account: int
    address: int

    def account_locked(self) -> bool:
        """Whether a guess at this account from this address is refused unchecked."""
        settings = get_settings()
        if self.account >= settings.login_failures_per_account:
            return True
        address_over = self.address >= settings.login_failures_per_address
        return address_over and self.account > 0


def _since() -> datetime:
    return clock.now() - timedelta(minutes=get_settings().login_throttle_window_minutes)


async def _counts(uow: UnitOfWork, pairs: Iterable[tuple[str, str]]) -> dict[tuple[str, str], int]:
    """Rows within the window per (scope, key), in one statement."""
    wanted = list(pairs)
    condition = None
    for scope, key in wanted:
        pair = (LoginFailure.scope == scope) & (LoginFailure.key == key)
        condition = pair if condition is None else condition | pair
    rows = await uow.session.execute(
        select(LoginFailure.scope, LoginFailure.key, func.count())
        .where(LoginFailure.at > _since(), condition)  # type: ignore[arg-type]
        .group_by(LoginFailure.scope, LoginFailure.key)
    )
    found = {(scope, key): int(count) for scope, key, count in rows.all()}
    return {pair: found.get(pair, 0) for pair in wanted}


async def recent_failures(uow: UnitOfWork, account: str, address: str | None) -> Failures:
    counts = await _counts(uow, [(ACCOUNT, account), (ADDRESS, address or "")])
    return Failures(
        account=counts[ACCOUNT, account], address=counts[ADDRESS, address or ""] if address else 0
    )


async def record_failure(uow: UnitOfWork, account: str, address: str | None) -> None:
    rows = [{"scope": ACCOUNT, "key": account}]
    if address:
        rows.append({"scope": ADDRESS, "key": address})
    await uow.session.execute(insert(LoginFailure), rows)


async def clear_account(uow: UnitOfWork, account: str) -> None:
    await uow.session.execute(
        delete(LoginFailure).where(LoginFailure.scope == ACCOUNT, LoginFailure.key == account)
    )


async def count_registration(
    uow: UnitOfWork, address: str | None, identifier_keys: Iterable[str]
) -> None:
    """Count one registration attempt per client address and per identifier it names, or
    refuse it (counting nothing) when either is over its limit within the window. Whether
    an identifier is taken is visible to whoever registers it, so probing must be slow.
    Locks are taken in sorted order, so parallel attempts never deadlock and a burst is
    counted one by one. The caller commits even when registration then fails.
    Errors: RegistrationThrottled."""
    settings = get_settings()
    pairs = sorted({(REGISTRATION_IDENTIFIER, key) for key in identifier_keys})
    if address:
        pairs.insert(0, (REGISTRATION_ADDRESS, address))
    for scope, key in sorted(pairs):
        await serialise(uow, f"{scope}:{key}")
    counts = await _counts(uow, pairs)
    limits = {
        REGISTRATION_ADDRESS: settings.registrations_per_address,
        REGISTRATION_IDENTIFIER: settings.registrations_per_identifier,
    }
    if any(count >= limits[scope] for (scope, _), count in counts.items()):
        raise RegistrationThrottled()
    await uow.session.execute(
        insert(LoginFailure), [{"scope": scope, "key": key} for scope, key in pairs]
    )


async def prune(uow: UnitOfWork) -> int:
    """Delete rows older than the window (run by the scheduler)."""
    result = await uow.session.execute(delete(LoginFailure).where(LoginFailure.at <= _since()))
    return int(getattr(result, "rowcount", 0) or 0)


async def count_request(
    uow: UnitOfWork, counted: Iterable[tuple[str, str, int]], refusal: Exception
) -> None:
    """Count one request under each `(scope, key, limit)`, or raise `refusal` (counting
    nothing) when any of them already reached its limit within the window. For requests
    that send something (a recovery e-mail): each costs the recipient, so each is counted.
    Locks in sorted order, as count_registration."""
    limits = {(scope, key): limit for scope, key, limit in counted}
    pairs = sorted(limits)
    for scope, key in pairs:
        await serialise(uow, f"{scope}:{key}")
    counts = await _counts(uow, pairs)
    if any(count >= limits[pair] for pair, count in counts.items()):
        raise refusal
    await uow.session.execute(
        insert(LoginFailure), [{"scope": scope, "key": key} for scope, key in pairs]
    )
