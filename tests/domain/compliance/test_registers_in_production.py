"""In production no national register has an adapter yet (only the built-in test register
ships, and it is for dev and tests): screening must then follow the pack's rule for a
register that cannot answer, never the test register's empty list."""

from __future__ import annotations

from datetime import date
from types import SimpleNamespace

import pytest

from domain.compliance import registers
from domain.integrations.registers import RegisterUnavailable, SandboxRegister

BORN = date(1990, 1, 1)


def test_outside_production_the_test_register_answers_for_every_name() -> None:
    assert isinstance(registers.register_named("gamstop", production=False), SandboxRegister)


async def test_in_production_the_uk_refuses_and_sweden_lets_in_unscreened(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(registers, "get_settings", lambda: SimpleNamespace(is_production=True))

    with pytest.raises(RegisterUnavailable):
        await registers.screen("GB", "ann@example.com", None, BORN)
    screening = await registers.screen("SE", "ann@example.com", None, BORN)

    assert screening is not None
    assert screening.answer is None
