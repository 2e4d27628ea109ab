"""The bonus rules of a jurisdiction. One small function until jurisdiction packs
(domain/compliance/jurisdictions) land; the integrator then points it at the pack's
`max_wagering_multiplier` and `mixed_product_offers`."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class BonusRules:
    # None: uncapped.
    max_wagering_multiplier: int | None
    # False: an offer's wagering may count one product only (a sportsbook qualifier cannot
    # unlock casino money).
    mixed_product_offers: bool


_UNCAPPED = BonusRules(max_wagering_multiplier=None, mixed_product_offers=True)
# UKGC: wagering at most 10x (from January 2026) and no mixed-product promotions.
_UKGC = BonusRules(max_wagering_multiplier=10, mixed_product_offers=False)


def bonus_rules(jurisdiction: str) -> BonusRules:
    """The rules for a brand's `jurisdiction` code ("GB", "UK", or a GB sub-code)."""
    country = jurisdiction.split("-", 1)[0]
    return _UKGC if country in ("GB", "UK") else _UNCAPPED
