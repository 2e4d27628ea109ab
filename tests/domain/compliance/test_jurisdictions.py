"""Jurisdiction packs: every shipped pack loads, a broken one stops the boot with the file
and field named, and the rules the code enforces come from the brand's pack."""

from __future__ import annotations

import shutil
from datetime import date, timedelta
from pathlib import Path

import pytest

from domain.brands.service import BrandRegistry
from domain.compliance.errors import InvalidPack
from domain.compliance.jurisdictions import check_packs, load_packs, pack_for
from domain.compliance.jurisdictions.rules import PACKS_DIR
from domain.kernel.settings import get_settings
from web.app import create_app

TODAY = date(2026, 12, 7)


def test_every_brand_has_a_pack_and_the_five_required_jurisdictions_ship() -> None:
    packs = load_packs()

    assert sorted(packs) == ["CA-ON", "CW", "GB", "MT", "SE"]
    check_packs(["MT", "SE", "CW", "GB"])


def test_the_uk_slot_cap_is_two_pounds_to_24_and_five_pounds_from_25() -> None:
    uk = pack_for("GB")

    assert uk.max_stake_minor("GBP", date(2002, 12, 8), TODAY) == 200  # 23
    assert uk.max_stake_minor("GBP", date(2001, 12, 7), TODAY) == 500  # 25 today
    assert uk.max_stake_minor("GBP", date(2001, 12, 8), TODAY) == 200  # 24 until tomorrow
    assert uk.max_stake_minor("EUR", date(1990, 1, 1), TODAY) is None
    assert pack_for("MT").max_stake_minor("EUR", date(2005, 1, 1), TODAY) is None


def test_the_packs_differ_where_the_licences_do() -> None:
    uk, malta, sweden, ontario = (pack_for(c) for c in ("GB", "MT", "SE", "CA-ON"))

    assert (uk.self_exclusion.at_end, malta.self_exclusion.at_end) == ("on_request", "at_date")
    assert uk.self_exclusion.end_cooling_off == timedelta(hours=24)
    assert "permanent" not in uk.self_exclusion.lengths_days
    assert sweden.limits.increase_cooling_off == timedelta(hours=72)
    assert ontario.minimum_age_years == 19
    assert (uk.bonus.max_wagering_multiplier, uk.bonus.mixed_product_offers) == (10, False)
    assert malta.bonus.max_wagering_multiplier is None
    assert sweden.self_exclusion.national_register == "Spelpaus"
    assert uk.aml.cumulative_deposits_30d == {"GBP": 200000}


def _broken(tmp_path: Path, old: str, new: str) -> Path:
    folder = tmp_path / "packs"
    shutil.copytree(PACKS_DIR, folder)
    path = folder / "GB.toml"
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")
    return folder


@pytest.mark.parametrize(
    ("old", "new", "named"),
    [
        ('{ GBP = "2.00" }', '{ GBP = "2.001" }', "slots.stake_bands.0.max_stake"),
        ("six_months = 183", "six_months = 90", "self_exclusion.lengths_days"),
        ('at_end = "on_request"', 'at_end = "never"', "self_exclusion.at_end"),
        ("minimum_age_years = 18", "minimum_age_years = 12", "minimum_age_years"),
        ('url = "https://www.gamcare.org.uk/"', 'url = "http://x"', "help.url"),
        ("[display]\n", "[display]\nfont = 1\n", "display.font"),
        ('code = "GB"', 'code = "MT"', "code"),
    ],
)
def test_a_broken_pack_is_refused_naming_the_file_and_the_field(
    tmp_path: Path, old: str, new: str, named: str
) -> None:
    folder = _broken(tmp_path, old, new)

    with pytest.raises(InvalidPack) as refused:
        load_packs(folder)

    assert str(folder / "GB.toml") in refused.value.message
    assert named in refused.value.message


def test_the_app_does_not_boot_for_a_brand_whose_jurisdiction_has_no_pack(
    registry: BrandRegistry,
) -> None:
    aurora = registry.get("aurora").model_copy(update={"jurisdiction": "XX"})
    broken = BrandRegistry.from_brands([aurora])

    with pytest.raises(InvalidPack, match="no jurisdiction pack for XX"):
        create_app(get_settings(), broken)
