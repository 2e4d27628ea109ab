"""Register answers bind the subject, the question's nonce and the time: a captured answer
cannot be replayed for the same person later, for another person, or after it went stale."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import replace
from datetime import date

import pytest

from domain.integrations.registers import (
    ANSWER_AGE_MAX_S,
    DEV_REGISTER_SECRET,
    RegisterAnswer,
    RegisterSubject,
    RegisterUnavailable,
    SandboxRegister,
    ask,
    sign,
)

BORN = date(1988, 3, 9)
LISTED = RegisterSubject(email="replayed@example.com", phone=None, date_of_birth=BORN)
CLEAR = RegisterSubject(email="clear@example.com", phone=None, date_of_birth=BORN)


class CapturingRegister:
    """A man in the middle: answers every question with the first answer it captured."""

    def __init__(self) -> None:
        self.inner = SandboxRegister("GAMSTOP")
        self.name = "GAMSTOP"
        self.captured: RegisterAnswer | None = None

    async def check(self, subject: RegisterSubject, nonce: str) -> RegisterAnswer:
        if self.captured is None:
            self.captured = await self.inner.check(subject, nonce)
        return self.captured


async def test_a_fresh_answer_about_the_subject_is_accepted() -> None:
    SandboxRegister.exclude("GAMSTOP", "replayed@example.com", BORN)
    try:
        answer = await ask(SandboxRegister("GAMSTOP"), LISTED, DEV_REGISTER_SECRET)
    finally:
        SandboxRegister.remove("GAMSTOP", "replayed@example.com", BORN)
    assert (answer.excluded, answer.subject_digest) == (True, LISTED.digest())


async def test_a_captured_answer_replayed_to_a_later_question_is_no_answer() -> None:
    register = CapturingRegister()
    first = await ask(register, CLEAR, DEV_REGISTER_SECRET)
    assert first.excluded is False

    # The same person asked again: the old "not listed" must not stand in for a new answer.
    with pytest.raises(RegisterUnavailable):
        await ask(register, CLEAR, DEV_REGISTER_SECRET)


async def test_an_answer_about_someone_else_is_no_answer() -> None:
    register = CapturingRegister()
    await ask(register, CLEAR, DEV_REGISTER_SECRET)

    with pytest.raises(RegisterUnavailable):
        await ask(register, LISTED, DEV_REGISTER_SECRET)


class StaleRegister:
    name = "GAMSTOP"

    def __init__(self, age_s: int) -> None:
        self.age_s = age_s

    async def check(self, subject: RegisterSubject, nonce: str) -> RegisterAnswer:
        unsigned = RegisterAnswer(
            "GAMSTOP", False, None, subject.digest(), nonce, int(time.time()) - self.age_s, ""
        )
        return replace(unsigned, signature=sign(DEV_REGISTER_SECRET, unsigned))


async def test_a_signed_answer_older_than_the_window_is_no_answer() -> None:
    fresh = await ask(StaleRegister(age_s=5), CLEAR, DEV_REGISTER_SECRET)
    assert fresh.excluded is False

    with pytest.raises(RegisterUnavailable):
        await ask(StaleRegister(age_s=ANSWER_AGE_MAX_S + 30), CLEAR, DEV_REGISTER_SECRET)


class TamperingRegister:
    """A man in the middle who edits one field of the register's genuine, fresh answer
    (keeping its signature): e.g. a listed player made to look clear."""

    name = "GAMSTOP"

    def __init__(self, edit: Callable[[RegisterAnswer], RegisterAnswer]) -> None:
        self.inner = SandboxRegister("GAMSTOP")
        self.edit = edit

    async def check(self, subject: RegisterSubject, nonce: str) -> RegisterAnswer:
        return self.edit(await self.inner.check(subject, nonce))


@pytest.mark.parametrize(
    "edit",
    [
        lambda a: replace(a, excluded=False),
        lambda a: replace(a, reference=None),
        lambda a: replace(a, answered_at=a.answered_at + 1),
        lambda a: replace(a, signature=a.signature[:-4] + "0000"),
    ],
    ids=["cleared", "reference", "time", "signature"],
)
async def test_a_tampered_answer_is_no_answer(
    edit: Callable[[RegisterAnswer], RegisterAnswer],
) -> None:
    SandboxRegister.exclude("GAMSTOP", "replayed@example.com", BORN)
    try:
        genuine = await ask(SandboxRegister("GAMSTOP"), LISTED, DEV_REGISTER_SECRET)
        with pytest.raises(RegisterUnavailable):
            await ask(TamperingRegister(edit), LISTED, DEV_REGISTER_SECRET)
    finally:
        SandboxRegister.remove("GAMSTOP", "replayed@example.com", BORN)
    assert genuine.excluded is True
