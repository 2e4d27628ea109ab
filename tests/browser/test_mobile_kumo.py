"""Kumo on a phone: no key page scrolls sideways at 320 px, signed out or
in; each is photographed at 390x844 and 1280x800 (test-artifacts/screenshots). One file
per brand, each with its own seeded server, so the brands run on different workers."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from domain.brands.service import BrandRegistry
from domain.kernel.db import Database
from tests.browser.mobile import check_brand_on_a_phone, seed_demo_site


async def test_no_key_page_of_kumo_scrolls_sideways_at_320_px_and_each_is_photographed(
    browser: Any, server: str, artifacts: Path, db: Database, registry: BrandRegistry
) -> None:
    await seed_demo_site(db, registry)

    await check_brand_on_a_phone(browser, server, artifacts, "kumo")
