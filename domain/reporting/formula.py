"""GGR and NGR from a cell's (or a range's summed) figures, by a configurable formula.

    GGR = stakes - wins
    bonus cost = converted                      (STAKEHOUSE_REPORT_BONUS_COST=converted)
               | granted - forfeited            (=granted)
    NGR = GGR - the deductions configured in STAKEHOUSE_REPORT_NGR_DEDUCTIONS, by default
          bonus_cost, jackpot_contributions, provider_fees, taxes

Jackpot contributions, provider fees and taxes are columns of the read model that no
ledger kind fills yet: they are zero until the flows that produce them map their kinds
(domain/reporting/kinds.py), and the formula needs no change when they do.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Final


class BonusCost(StrEnum):
    CONVERTED = "converted"
    GRANTED = "granted"


class Deduction(StrEnum):
    BONUS_COST = "bonus_cost"
    JACKPOT_CONTRIBUTIONS = "jackpot_contributions"
    PROVIDER_FEES = "provider_fees"
    TAXES = "taxes"


DEFAULT_DEDUCTIONS: Final = tuple(Deduction)
# The figure each deduction other than bonus cost subtracts.
_DEDUCTION_FIGURES: Final = {
    Deduction.JACKPOT_CONTRIBUTIONS: "jackpot_contributions_minor",
    Deduction.PROVIDER_FEES: "provider_fees_minor",
    Deduction.TAXES: "taxes_minor",
}


@dataclass(frozen=True)
class Formula:
    bonus_cost: BonusCost = BonusCost.CONVERTED
    deductions: tuple[Deduction, ...] = DEFAULT_DEDUCTIONS

    @classmethod
    def of(cls, bonus_cost: str, deductions: Collection[str]) -> Formula:
        return cls(BonusCost(bonus_cost), tuple(Deduction(d) for d in deductions))

    def ggr_minor(self, figures: Mapping[str, int]) -> int:
        return figures["stakes_minor"] - figures["wins_minor"]

    def bonus_cost_minor(self, figures: Mapping[str, int]) -> int:
        if self.bonus_cost is BonusCost.GRANTED:
            return figures["bonus_granted_minor"] - figures["bonus_forfeited_minor"]
        return figures["bonus_converted_minor"]

    def ngr_minor(self, figures: Mapping[str, int]) -> int:
        # Run for every line of a report page: no mapping built per call.
        deducted = 0
        for deduction in self.deductions:
            if deduction is Deduction.BONUS_COST:
                deducted += self.bonus_cost_minor(figures)
            else:
                deducted += figures[_DEDUCTION_FIGURES[deduction]]
        return self.ggr_minor(figures) - deducted

    def net_deposits_minor(self, figures: Mapping[str, int]) -> int:
        return figures["deposits_minor"] - figures["withdrawals_minor"]
