"""Market and outcome names from the catalogue in the page's language, lines included."""

from __future__ import annotations

from typing import Any

import pytest

from domain.brands.service import load_theme
from tests.conftest import REPO_ROOT
from web.site.site import NOBODY, Page
from web.site.themes import load_site_theme


def page(locale: str) -> Page:
    themes = REPO_ROOT / "themes"
    brand = "northstar" if locale == "sv" else "aurora"  # the brands offering the locale
    theme = load_site_theme(load_theme(themes / brand), themes)
    request: Any = None  # names need no request
    return Page(
        request=request, theme=theme, locale=locale, nonce="n", csrf_token="t",
        viewer=NOBODY, fresh_csrf_secret=None,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("locale", "name", "shown"),
    [
        ("de", "Total goals 2.5", "Tore gesamt 2,5"),
        ("de", "Both teams to score", "Beide Teams treffen"),
        ("sv", "Correct score", "Rätt resultat"),
        ("sv", "No", "Nej"),
        ("en", "Asian handicap -0.75", "Asian handicap -0.75"),
        ("de", "Reds v Blues", "Reds v Blues"),  # a team's name stays as it is
        ("de", "Total goals of the season", "Total goals of the season"),  # not a line
    ],
)
def test_generic_names_and_their_lines_are_written_for_the_locale(
    locale: str, name: str, shown: str
) -> None:
    assert page(locale).name(name) == shown
