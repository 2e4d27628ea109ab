"""Passwords are hashed with argon2id at no less than OWASP's floor (m = 19 MiB, t = 2)."""

from __future__ import annotations

import pytest

from domain.accounts import passwords


@pytest.mark.usefixtures("production_password_hashing")
async def test_a_password_is_stored_as_argon2id_at_the_production_cost() -> None:
    stored = await passwords.hash_password("correct horse battery")

    assert stored.startswith("$argon2id$v=19$m=19456,t=2,p=1$")
    assert await passwords.verify_password(stored, "correct horse battery")
    assert not await passwords.verify_password(stored, "correct horse batterY")
    assert not passwords.needs_rehash(stored)


@pytest.mark.usefixtures("production_password_hashing")
async def test_a_hash_made_at_a_lower_cost_is_marked_for_rehashing() -> None:
    from argon2 import PasswordHasher

    cheap = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1).hash("correct horse battery")

    assert await passwords.verify_password(cheap, "correct horse battery")
    assert passwords.needs_rehash(cheap)
