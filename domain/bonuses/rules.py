"""The bonus rules of a jurisdiction, read from its pack (domain/compliance/jurisdictions:
`[bonus]` holds `max_wagering_multiplier`, `mixed_product_offers` and
`forfeit_on_withdrawal`), so a new jurisdiction's caps are data, not code."""

from __future__ import annotations

from dataclasses import dataclass

from domain.compliance.jurisdictions import pack_for


@dataclass(frozen=True)
class BonusRules:
    # None: uncapped.
    max_wagering_multiplier: int | None
    # False: an offer's wagering may count one product only (a sportsbook qualifier cannot
    # unlock casino money).
    mixed_product_offers: bool
    # A withdrawal while wagering forfeits active bonuses, after a confirmation.
    forfeit_on_withdrawal: bool = True


def bonus_rules(jurisdiction: str) -> BonusRules:
    """The rules for a brand's `jurisdiction` code. Errors: InvalidPack (no such pack)."""
    rules = pack_for(jurisdiction).bonus
    return BonusRules(
        rules.max_wagering_multiplier, rules.mixed_product_offers, rules.forfeit_on_withdrawal
    )
