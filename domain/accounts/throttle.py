"""Sign-in throttling per account identifier and per client address.

Failures are rows with a timestamp; a sliding window counts them. Unknown identifiers are
counted exactly like known ones, so throttling reveals nothing about which accounts exist.
"""

from __future__ import annotations

import hashlib
from datetime import timedelta

from sqlalchemy import delete, func, insert, select, text

from domain.accounts.errors import LoginThrottled
from domain.accounts.models import LoginFailure
from domain.kernel import clock
from domain.kernel.db import UnitOfWork
from domain.kernel.settings import get_settings

ACCOUNT = "account"
ADDRESS = "address"


def account_key(audience: str, identifier: str) -> str:
    """A fixed-size key for an identifier: hashed, so any input (very long, control
    characters) is safe to store and index. Callers pass the normalised identifier, so
    spelling variants of one phone number or email share one count."""
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
    if await is_throttled(uow, key, None):
        raise LoginThrottled()


async def is_throttled(uow: UnitOfWork, account: str, address: str | None) -> bool:
    settings = get_settings()
    since = clock.now() - timedelta(minutes=settings.login_throttle_window_minutes)
    counts = dict(
        (
            await uow.session.execute(
                select(LoginFailure.scope, func.count())
                .where(
                    LoginFailure.at > since,
                    ((LoginFailure.scope == ACCOUNT) & (LoginFailure.key == account))
                    | ((LoginFailure.scope == ADDRESS) & (LoginFailure.key == (address or ""))),
                )
                .group_by(LoginFailure.scope)
            )
        ).all()
    )
    return (
        counts.get(ACCOUNT, 0) >= settings.login_failures_per_account
        or counts.get(ADDRESS, 0) >= settings.login_failures_per_address
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


async def prune(uow: UnitOfWork) -> int:
    """Delete failures older than the window (run by the scheduler)."""
    settings = get_settings()
    since = clock.now() - timedelta(minutes=settings.login_throttle_window_minutes)
    result = await uow.session.execute(delete(LoginFailure).where(LoginFailure.at <= since))
    return int(getattr(result, "rowcount", 0) or 0)
