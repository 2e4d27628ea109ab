"""Jurisdiction packs: the player-protection rules of one licence, as data.

One TOML file per jurisdiction in `packs/`, named by the code brands give as their
`jurisdiction` (theme.toml). `pack_for(code)` returns the validated pack; `check_packs`
runs at start-up and refuses to boot when a pack is broken or a brand's jurisdiction has
none, naming the file and the field. Nothing in code knows a jurisdiction: the limits,
exclusion, registration and slot rules read what the pack says.
"""

from domain.compliance.jurisdictions.rules import (
    AgeBand,
    JurisdictionPack,
    brand_pack,
    check_packs,
    load_packs,
    pack_for,
)

__all__ = ["AgeBand", "JurisdictionPack", "brand_pack", "check_packs", "load_packs", "pack_for"]
