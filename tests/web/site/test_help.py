"""The responsible-gambling pages are current (the limits are on the site, not "coming
soon") and link the help organisations of the brand's jurisdiction (themes/base/help.toml)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from domain.brands.errors import InvalidTheme
from domain.brands.service import load_theme
from tests.conftest import REPO_ROOT
from tests.web.site.support import SiteClient
from web.site.themes import load_site_theme

# brand host -> (a language of the brand, links it must show, links it must not)
BRANDS = {
    "aurora.localhost": ("en", {"https://www.rgf.org.mt/"}, {"https://www.gamcare.org.uk/"}),
    "northstar.localhost": ("sv", {"https://www.stodlinjen.se/"}, {"https://www.gamcare.org.uk/"}),
    "kumo.localhost": ("en", {"https://www.gamblingtherapy.org/"}, {"https://www.gamcare.org.uk/"}),
}
_LINKS = re.compile(r'<a href="(https://[^"]+)" rel="noopener noreferrer">')


@pytest.mark.parametrize("host", sorted(BRANDS))
async def test_the_help_links_come_from_the_brands_jurisdiction(server: str, host: str) -> None:
    language, present, absent = BRANDS[host]
    site = SiteClient(server, host)
    await site.get(f"/language/{language}")
    overview = await site.get("/responsible-gambling")
    legal = await site.get("/legal/responsible-gambling")
    await site.aclose()

    for page in (overview, legal):
        links = set(_LINKS.findall(page.text))
        assert present <= links
        assert not absent & links
        assert "coming soon" not in page.text
        assert "kommer snart" not in page.text
        assert 'id="help-heading"' in page.text


def test_no_content_says_the_limits_are_coming_soon() -> None:
    for path in (REPO_ROOT / "themes").glob("*/content/*/responsible-gambling.md"):
        text = path.read_text(encoding="utf-8").lower()
        assert "coming soon" not in text, path
        assert "kommer snart" not in text, path
        assert " bald " not in text, path


def test_a_help_entry_without_https_is_refused(tmp_path: Path) -> None:
    themes = tmp_path / "themes"
    base = REPO_ROOT / "themes" / "base"
    (themes / "aurora").mkdir(parents=True)
    (themes / "base").symlink_to(base)
    source = REPO_ROOT / "themes" / "aurora" / "theme.toml"
    (themes / "aurora" / "theme.toml").write_text(source.read_text())
    (themes / "aurora" / "static").symlink_to(REPO_ROOT / "themes" / "aurora" / "static")
    (themes / "aurora" / "help.toml").write_text(
        '[jurisdictions]\nMT = [{ name = "Somewhere", url = "http://example.org/" }]\n'
    )

    with pytest.raises(InvalidTheme, match="not an https URL"):
        load_site_theme(load_theme(themes / "aurora"), themes)
