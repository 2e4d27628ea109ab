"""National self-exclusion registers (GAMSTOP, Spelpaus, ROFUS, OASIS style) as a port.

An operator asks a register whether a person is on it; the register answers with a signed
statement (HMAC over the canonical answer), which the caller verifies before acting on
it: an answer that does not verify is no answer. Every call is bounded by a timeout; a
register that does not answer, answers an error or answers unsigned is `RegisterUnavailable`,
and the jurisdiction pack decides what that means (fail closed in Great Britain).

`SandboxRegister` is the built-in test register: it behaves like a remote one (a delay per
call, signed answers, errors and slowness on demand) and keeps the people it lists in
memory, listed and changed through `exclude`, `remove` and `listed` (tests and dev). An
e-mail address containing `register-down` makes it answer an error, `register-slow`
makes it answer after the caller's timeout, and `register-forged` makes it sign with the
wrong key.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import date
from typing import ClassVar, Final, Protocol

from domain.kernel.errors import DomainError

REGISTER_CALL_TIMEOUT_S: Final = 3.0
DEV_REGISTER_SECRET: Final = "dev-only-national-register-secret"  # noqa: S105


class RegisterUnavailable(DomainError):
    code = "REGISTER_UNAVAILABLE"
    message = (
        "We cannot check the national self-exclusion register right now. Please try again later."
    )


@dataclass(frozen=True)
class RegisterSubject:
    """Who is asked about: the identifiers a register matches on."""

    email: str | None
    phone: str | None
    date_of_birth: date


@dataclass(frozen=True)
class RegisterAnswer:
    register: str
    excluded: bool
    # The register's reference of the entry (None when not listed).
    reference: str | None
    signature: str

    def canonical(self) -> bytes:
        body = {"register": self.register, "excluded": self.excluded, "reference": self.reference}
        return json.dumps(body, sort_keys=True, separators=(",", ":")).encode()


def sign(secret: str, answer: RegisterAnswer) -> str:
    return hmac.new(secret.encode(), answer.canonical(), hashlib.sha256).hexdigest()


def verified(secret: str, answer: RegisterAnswer) -> bool:
    return hmac.compare_digest(sign(secret, answer), answer.signature)


class NationalRegister(Protocol):
    name: str

    async def check(self, subject: RegisterSubject) -> RegisterAnswer:
        """The register's signed answer. Errors: RegisterUnavailable."""
        ...


async def ask(
    register: NationalRegister,
    subject: RegisterSubject,
    secret: str,
    *,
    timeout_s: float = REGISTER_CALL_TIMEOUT_S,
) -> RegisterAnswer:
    """Ask within `timeout_s` and verify the answer's signature.
    Errors: RegisterUnavailable (no answer in time, an error, or an answer that does not
    verify)."""
    try:
        async with asyncio.timeout(timeout_s):
            answer = await register.check(subject)
    except (TimeoutError, OSError):
        raise RegisterUnavailable() from None
    if answer.register != register.name or not verified(secret, answer):
        raise RegisterUnavailable()
    return answer


def _key(email: str | None, date_of_birth: date) -> str:
    return f"{(email or '').strip().lower()}|{date_of_birth.isoformat()}"


class SandboxRegister:
    """The built-in test register (see the module's docstring)."""

    # Who each named register lists, shared by every instance in the process.
    _listed: ClassVar[dict[str, dict[str, str]]] = {}

    def __init__(
        self, name: str, secret: str = DEV_REGISTER_SECRET, *, delay_s: float = 0.01
    ) -> None:
        self.name = name
        self._secret = secret
        self._delay_s = delay_s

    @classmethod
    def exclude(cls, register: str, email: str, date_of_birth: date) -> str:
        """List a person on `register`; returns the entry's reference."""
        key = _key(email, date_of_birth)
        reference = f"{register}-{hashlib.sha256(key.encode()).hexdigest()[:12]}"
        cls._listed.setdefault(register, {})[key] = reference
        return reference

    @classmethod
    def remove(cls, register: str, email: str, date_of_birth: date) -> None:
        cls._listed.get(register, {}).pop(_key(email, date_of_birth), None)

    @classmethod
    def listed(cls, register: str) -> list[str]:
        """The entries of `register` (e-mail|date of birth), sorted."""
        return sorted(cls._listed.get(register, {}))

    async def check(self, subject: RegisterSubject) -> RegisterAnswer:
        email = subject.email or ""
        await asyncio.sleep(self._delay_s)
        if "register-down" in email:
            raise RegisterUnavailable()
        if "register-slow" in email:
            await asyncio.sleep(REGISTER_CALL_TIMEOUT_S * 3)
        reference = self._listed.get(self.name, {}).get(_key(email, subject.date_of_birth))
        unsigned = RegisterAnswer(self.name, reference is not None, reference, "")
        key = "forged-key" if "register-forged" in email else self._secret
        return RegisterAnswer(
            unsigned.register, unsigned.excluded, unsigned.reference, sign(key, unsigned)
        )
