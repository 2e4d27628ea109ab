"""Rendering e-mails: per brand and locale, HTML autoescaped, text as written."""

from __future__ import annotations

from domain.brands.service import BrandRegistry
from domain.messaging.mail import Draft
from tests.conftest import REPO_ROOT
from workers.mail import MailRenderer

LINK = "https://aurora.localhost/reset-password?token=abc&next=<b>"


def test_html_is_escaped_and_text_keeps_the_link_as_it_is(registry: BrandRegistry) -> None:
    renderer = MailRenderer(registry, REPO_ROOT / "themes")

    rendered = renderer(Draft("aurora", "password_reset", "en", {"link": LINK}))

    assert LINK in rendered.text
    assert LINK not in rendered.html
    assert "token=abc&amp;next=&lt;b&gt;" in rendered.html
    assert rendered.subject == "Reset your password for Aurora Casino"


def test_each_locale_gets_its_language_and_each_brand_its_colours(
    registry: BrandRegistry,
) -> None:
    renderer = MailRenderer(registry, REPO_ROOT / "themes")

    swedish = renderer(Draft("northstar", "password_reset", "sv", {"link": LINK}))
    german = renderer(Draft("aurora", "password_reset", "de", {"link": LINK}))

    northstar = registry.get("northstar")
    assert swedish.subject == f"Återställ ditt lösenord för {northstar.name}"
    assert german.subject == "Setzen Sie Ihr Passwort für Aurora Casino zurück"
    assert northstar.tokens.colour.primary in swedish.html
    assert registry.get("aurora").tokens.colour.primary in german.html
    assert "Reset" not in swedish.text


def test_a_campaign_puts_the_staffs_words_in_the_brands_look_with_an_unsubscribe_link(
    registry: BrandRegistry,
) -> None:
    renderer = MailRenderer(registry, REPO_ROOT / "themes")
    unsubscribe = "https://aurora.localhost/unsubscribe?token=abc.def"
    words = {
        "subject": "Doppelte Punkte <heute>",
        "text": "Erster Absatz & mehr.\n\nZweiter Absatz.",
        "unsubscribe_url": unsubscribe,
    }

    german = renderer(Draft("aurora", "campaign", "de", words))

    assert german.subject == "Doppelte Punkte <heute>"
    assert "Doppelte Punkte &lt;heute&gt;" in german.html
    assert '<p style="white-space:pre-line;">Erster Absatz &amp; mehr.</p>' in german.html
    assert '<p style="white-space:pre-line;">Zweiter Absatz.</p>' in german.html
    assert f'href="{unsubscribe}"' in german.html
    assert ">Abmelden</a>" in german.html
    assert f"Abmelden: {unsubscribe}" in german.text
    assert "Sie erhalten diese E-Mail, weil Sie Neuigkeiten und Angeboten von Aurora Casino" in (
        german.text
    )
    assert registry.get("aurora").tokens.colour.primary in german.html
