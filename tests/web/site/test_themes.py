"""Themes as data: validation (schema, assets, catalogs, contrast), Markdown legal pages,
template overrides, languages, static files."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from domain.brands.errors import InvalidTheme
from domain.brands.service import BrandRegistry
from domain.brands.theme import ColourTokens, contrast_problems, contrast_ratio
from domain.kernel.settings import get_settings
from tests.conftest import REPO_ROOT
from tests.support import AURORA, NORTHSTAR
from tests.web.site.support import SiteClient
from web.app import create_app
from web.cli import app as cli
from web.site.themes import load_site_theme, theme_problems


@pytest.fixture
def themes(tmp_path: Path) -> Path:
    """A copy of the shipped themes to break."""
    copy = tmp_path / "themes"
    shutil.copytree(REPO_ROOT / "themes", copy)
    return copy


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")


def test_the_shipped_themes_are_valid() -> None:
    result = CliRunner().invoke(cli, ["themes", "validate"])

    assert result.exit_code == 0, result.stderr
    assert result.stdout == "Themes valid: aurora, kumo, northstar\n"


def test_contrast_follows_wcag() -> None:
    assert round(contrast_ratio("#000000", "#ffffff"), 2) == 21.0
    assert round(contrast_ratio("#777777", "#ffffff"), 2) == 4.48
    assert contrast_problems(ColourTokens()) == []


def test_an_inaccessible_palette_fails_naming_the_pair_and_its_ratio(themes: Path) -> None:
    _edit(themes / "aurora" / "theme.toml", 'muted = "#c3c7e6"', 'muted = "#3a3f66"')

    result = CliRunner().invoke(cli, ["themes", "validate", "--themes-dir", str(themes)])

    assert result.exit_code == 1
    assert "1 theme problem(s)" in result.stderr
    assert "aurora/theme.toml: tokens: " in result.stderr
    assert "muted (#3a3f66) on background (#0f1226) has contrast 1.8" in result.stderr
    assert "below WCAG 2.2 AA 4.5:1 (normal text)" in result.stderr


def test_missing_assets_catalogs_and_bad_tokens_are_named(themes: Path) -> None:
    (themes / "northstar" / "static" / "logo.svg").unlink()
    shutil.rmtree(themes / "base" / "locale" / "de")
    _edit(themes / "kumo" / "theme.toml", 'small = "999px"', 'small = "1px;} body{x:y"')

    problems = theme_problems(themes)

    assert len(problems) == 3, problems
    assert any("aurora" in p and "no catalog for 'de'" in p for p in problems)
    assert any(
        "assets.logo" in p and "northstar/static/logo.svg does not exist" in p for p in problems
    )
    assert any("kumo/theme.toml: tokens.radius.small" in p for p in problems)


def test_the_app_refuses_to_start_on_an_invalid_theme(themes: Path) -> None:
    (themes / "aurora" / "static" / "favicon.svg").unlink()
    registry = BrandRegistry.load(themes)
    settings = get_settings().model_copy(update={"themes_dir": themes})

    with pytest.raises(InvalidTheme, match=r"assets\.favicon: .*favicon\.svg does not exist"):
        create_app(settings, registry)


def test_legal_markdown_escapes_html_and_script_links(themes: Path) -> None:
    (themes / "aurora" / "content" / "en" / "privacy.md").write_text(
        "# Privacy\n\n<script>alert(1)</script>\n\n[click](javascript:alert(2))\n",
        encoding="utf-8",
    )
    brand = BrandRegistry.load(themes).get("aurora")

    page = load_site_theme(brand, themes).legal_page("privacy", "en")

    assert page is not None
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<script>" not in page and 'href="javascript:' not in page


async def test_legal_pages_per_brand_and_language(server: str) -> None:
    aurora, northstar = SiteClient(server, AURORA), SiteClient(server, NORTHSTAR)

    terms = await aurora.get("/legal/terms")
    await aurora.get("/language/de")
    german = await aurora.get("/legal/terms")
    swedish = await northstar.get("/responsible-gambling")
    missing = await northstar.get("/legal/cookies")
    await aurora.aclose()
    await northstar.aclose()

    assert "Malta Gaming Authority" in terms.text and '<html lang="en">' in terms.text
    assert "Allgemeine Geschäftsbedingungen" in german.text and '<html lang="de">' in german.text
    assert "Spelpaus.se" in swedish.text and "Ansvarsfullt spelande" in swedish.text
    assert missing.status_code == 404


async def test_a_brand_template_extends_the_base_one(server: str) -> None:
    northstar = SiteClient(server, NORTHSTAR)
    home = await northstar.get("/")
    await northstar.aclose()

    assert "Spel, sport och schyssta villkor \u2013 i din valuta. \u2605" in home.text
    assert "Välkommen till Northstar Sports" in home.text


async def test_static_files_come_from_the_brand_then_base_never_outside(
    server: str, site_assets: bool
) -> None:
    site = SiteClient(server, AURORA)

    logo = await site.get("/static/logo.svg")
    base_css = await site.get("/static/base.css")
    escape = await site.get("/static/%2e%2e/theme.toml")
    htmx = await site.get("/static/vendor/htmx.min.js")
    unknown_vendor = await site.get("/static/vendor/evil.js")
    await site.aclose()

    assert logo.status_code == 200 and "Aurora Casino" in logo.text
    assert base_css.status_code == 200 and "var(--colour-background)" in base_css.text
    assert escape.status_code == 404
    assert site_assets, "npm could not install htmx"
    assert htmx.status_code == 200 and "htmx" in htmx.text[:2000]
    assert unknown_vendor.status_code == 404
