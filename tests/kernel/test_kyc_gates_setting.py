"""The KYC gates are on by default in every environment; only outside production can a
deployment switch them to report-only."""

from __future__ import annotations

import pytest

from domain.kernel.settings import Environment, Settings


@pytest.mark.parametrize("env", list(Environment))
def test_the_gates_are_enforced_by_default_in_every_environment(
    env: Environment, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("STAKEHOUSE_KYC_GATES", raising=False)
    assert Settings(env=env).kyc_gates_enforced is True


def test_only_outside_production_can_the_gates_be_report_only() -> None:
    assert Settings(env=Environment.DEV, kyc_gates=False).kyc_gates_enforced is False
    assert Settings(env=Environment.PRODUCTION, kyc_gates=False).kyc_gates_enforced is True
