"""National self-exclusion registers (GAMSTOP, Spelpaus, ROFUS, OASIS style) as a port.

An operator asks a register whether a person is on it; the register answers with a signed
statement (HMAC over the canonical answer), which the caller verifies before acting on
it: an answer that does not verify is no answer. The signature covers a digest of the
subject asked about, the caller's fresh nonce and the time of the answer, so an answer
captured for one person or one question cannot be replayed for another person or later
(a replayed answer carries an old nonce; a stale one is older than ANSWER_AGE_MAX_S).
Every call is bounded by a timeout; a register that does not answer, answers an error or
answers unsigned is `RegisterUnavailable`, and the jurisdiction pack decides what that
means (fail closed in Great Britain).

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
import secrets
import time
from dataclasses import dataclass, replace
from datetime import date
from typing import ClassVar, Final, Protocol

from domain.kernel.errors import DomainError

REGISTER_CALL_TIMEOUT_S: Final = 3.0
DEV_REGISTER_SECRET: Final = "dev-only-national-register-secret"  # noqa: S105
# How old (or how far in the future, for clock skew) an answer may be when it arrives.
ANSWER_AGE_MAX_S: Final = 60


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

    def digest(self) -> str:
        """What the answer's signature binds it to (no identifier in clear)."""
        email = (self.email or "").strip().lower()
        body = f"{email}|{self.phone or ''}|{self.date_of_birth.isoformat()}"
        return hashlib.sha256(body.encode()).hexdigest()


@dataclass(frozen=True)
class RegisterAnswer:
    register: str
    excluded: bool
    # The register's reference of the entry (None when not listed).
    reference: str | None
    # The subject's digest, the asker's nonce and the answer's time (unix seconds), signed.
    subject_digest: str
    nonce: str
    answered_at: int
    signature: str

    def canonical(self) -> bytes:
        body = {
            "register": self.register,
            "excluded": self.excluded,
            "reference": self.reference,
            "subject": self.subject_digest,
            "nonce": self.nonce,
            "answered_at": self.answered_at,
        }
        return json.dumps(body, sort_keys=True, separators=(",", ":")).encode()


def sign(secret: str, answer: RegisterAnswer) -> str:
    return hmac.new(secret.encode(), answer.canonical(), hashlib.sha256).hexdigest()


def verified(secret: str, answer: RegisterAnswer) -> bool:
    return hmac.compare_digest(sign(secret, answer), answer.signature)


class NationalRegister(Protocol):
    name: str

    async def check(self, subject: RegisterSubject, nonce: str) -> RegisterAnswer:
        """The register's signed answer, echoing `nonce`. Errors: RegisterUnavailable."""
        ...


def acceptable(
    answer: RegisterAnswer, register: str, subject: RegisterSubject, nonce: str, secret: str
) -> bool:
    """Whether an answer is this register's, signed, about this subject, to this question
    (`nonce`) and fresh: anything else is no answer (a forgery, a replay, a stale one)."""
    age_s = abs(time.time() - answer.answered_at)
    return (
        answer.register == register
        and verified(secret, answer)
        and hmac.compare_digest(answer.subject_digest, subject.digest())
        and hmac.compare_digest(answer.nonce, nonce)
        and age_s <= ANSWER_AGE_MAX_S
    )


async def ask(
    register: NationalRegister,
    subject: RegisterSubject,
    secret: str,
    *,
    timeout_s: float = REGISTER_CALL_TIMEOUT_S,
) -> RegisterAnswer:
    """Ask within `timeout_s` with a fresh nonce and accept only a signed, fresh answer
    about this subject to this question.
    Errors: RegisterUnavailable (no answer in time, an error, or an answer that is not
    acceptable: forged, replayed, about someone else or stale)."""
    nonce = secrets.token_hex(16)
    try:
        async with asyncio.timeout(timeout_s):
            answer = await register.check(subject, nonce)
    except (TimeoutError, OSError):
        raise RegisterUnavailable() from None
    if not acceptable(answer, register.name, subject, nonce, secret):
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

    async def check(self, subject: RegisterSubject, nonce: str) -> RegisterAnswer:
        email = subject.email or ""
        await asyncio.sleep(self._delay_s)
        if "register-down" in email:
            raise RegisterUnavailable()
        if "register-slow" in email:
            await asyncio.sleep(REGISTER_CALL_TIMEOUT_S * 3)
        reference = self._listed.get(self.name, {}).get(_key(email, subject.date_of_birth))
        unsigned = RegisterAnswer(
            self.name, reference is not None, reference, subject.digest(), nonce,
            int(time.time()), "",
        )  # fmt: skip
        key = "forged-key" if "register-forged" in email else self._secret
        return replace(unsigned, signature=sign(key, unsigned))
