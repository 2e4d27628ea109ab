"""The strict HTML check every site test's responses go through (support.SiteClient): it
must catch each kind of markup error a browser would silently repair."""

from __future__ import annotations

import pytest

from tests.web.site.strict_html import HtmlProblem, check_html


@pytest.mark.parametrize(
    ("markup", "problem"),
    [
        ('<input autocomplete="new-password"required aria-describedby="x">', "run together"),
        ("<input name='a'type=\"text\">", "run together"),
        ('<p class="a" class="b">x</p>', "'class' twice"),
        ("<div><p>x</div>", "while <p>"),
        ("<section><p>x</p>", "never closed"),
        ("</div>", "closes nothing"),
        ('<p id="a">1</p><p id="a">2</p>', "id 'a' twice"),
        ("<div/>", "not a void element"),
        ("<br></br>", "closes a void element"),
        (
            '<form hx-post="/s" hx-target="#bet-slip"><ul><li sse-swap="odds-1">x</li></ul></form>',
            "inherits hx-target='#bet-slip'",
        ),
        ('<div hx-swap="outerHTML"><p hx-get="/a" hx-target="this">x</p></div>', "hx-swap"),
    ],
)
def test_the_check_refuses_markup_a_browser_would_repair(markup: str, problem: str) -> None:
    with pytest.raises(HtmlProblem, match=problem):
        check_html(markup)


def test_the_check_accepts_well_formed_pages_and_fragments() -> None:
    check_html(
        '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>t</title></head>'
        '<body><form><input id="a" required aria-invalid="true"><input type="checkbox" checked>'
        '<select><option value="1" selected>x</option></select></form><br><img src="a" alt="">'
        "<p>a &amp; b</p></body></html>"
    )
    check_html('<li class="outcome"><button type="submit">2.50</button></li>')
    check_html(
        '<form hx-post="/s" hx-target="#slip" hx-disinherit="*">'
        '<p sse-swap="odds-1">x</p></form>'
        '<form hx-post="/s" hx-target="#slip" hx-swap="outerHTML">'
        '<input hx-post="/p" hx-target="#ret" hx-swap="outerHTML"></form>'
    )
