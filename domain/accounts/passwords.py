"""Password hashing (argon2id) and the password policy."""

from __future__ import annotations

import asyncio
from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from domain.accounts.errors import PasswordTooLong, PasswordTooShort, PasswordTooWeak
from domain.kernel.errors import DomainError
from domain.kernel.settings import get_settings

PASSWORD_LENGTH_MIN = 10
PASSWORD_LENGTH_MAX = 128

# The most common passwords of public breach lists that pass the length rule.
_COMMON = frozenset(
    {
        "1234567890", "0123456789", "qwertyuiop", "password12", "password123", "password1234",
        "iloveyou12", "1q2w3e4r5t", "qwerty1234", "1qaz2wsx3edc", "passw0rd12", "abcdefghij",
        "aaaaaaaaaa", "letmein123", "welcome123", "football12", "monkey1234", "1111111111",
        "0987654321", "zaq12wsxcde", "princess12", "sunshine12", "dragon1234", "trustno1234",
    }
)  # fmt: skip


@lru_cache(maxsize=1)
def _hasher() -> PasswordHasher:
    settings = get_settings()
    return PasswordHasher(
        time_cost=settings.argon2_time_cost,
        memory_cost=settings.argon2_memory_kib,
        parallelism=settings.argon2_parallelism,
    )


def password_problem(password: str, *identifiers: str | None) -> DomainError | None:
    """The first way `password` breaks the policy, or None."""
    if len(password) < PASSWORD_LENGTH_MIN:
        return PasswordTooShort(field="password")
    if len(password) > PASSWORD_LENGTH_MAX:
        return PasswordTooLong(field="password")
    lowered = password.lower()
    if (
        lowered in _COMMON
        or len(set(lowered)) < 4
        or any(ident and ident.lower() in lowered for ident in identifiers)
    ):
        return PasswordTooWeak(field="password")
    return None


# argon2 spends tens of milliseconds of CPU (and 19 MiB) per call, releasing the GIL: run
# it in a worker thread so the event loop keeps serving other requests meanwhile.


async def hash_password(password: str) -> str:
    return await asyncio.to_thread(_hash, password)


async def verify_password(password_hash: str | None, password: str) -> bool:
    return await asyncio.to_thread(_verify, password_hash, password)


def _hash(password: str) -> str:
    return _hasher().hash(password)


# Verified against when no account matches, so unknown accounts cost the same time.
_DUMMY_HASH: list[str] = []


def _verify(password_hash: str | None, password: str) -> bool:
    if password_hash is None:
        if not _DUMMY_HASH:
            _DUMMY_HASH.append(_hash("stakehouse-timing-equaliser"))
        password_hash = _DUMMY_HASH[0]
        candidate_matches = False
    else:
        candidate_matches = True
    try:
        return _hasher().verify(password_hash, password) and candidate_matches
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher().check_needs_rehash(password_hash)
