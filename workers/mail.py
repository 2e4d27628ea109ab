"""Rendering e-mails from the brands' templates, and what the e-mail actor sends with.

Templates live in `themes/<brand>/mail/` over `themes/base/mail/`: `<kind>.subject.txt`,
`<kind>.txt` and `<kind>.html` (extending `layout.html`); text messages in
`themes/<brand>/sms/` over `themes/base/sms/`: `<kind>.txt`. HTML is autoescaped, text is not
(it is not HTML). Words are translated through the base theme's gettext catalogues (and a
brand's own, which win), in the message's locale. The HTML takes the brand's colour and
font tokens, inlined (mail clients drop style sheets).
"""

from __future__ import annotations

import functools
import re
from datetime import datetime
from pathlib import Path
from typing import Any

import jinja2
from babel.dates import format_datetime
from babel.numbers import format_currency
from babel.support import Translations

from domain.brands.service import Brand, BrandRegistry
from domain.brands.translations import translations
from domain.integrations.mail import Mailer, SmtpMailer
from domain.kernel.money import from_minor
from domain.kernel.settings import get_settings
from domain.messaging.mail import Draft, Rendered, Sender

_LINE_BREAKS = re.compile(r"[ \t\r\n]+")


class _ThemeTemplates:
    """A brand's message templates in one theme folder (`mail`, `sms`), over the base
    theme's, translated in the reader's language. Environments and catalogues are built
    once per brand and language."""

    folder = "mail"

    def __init__(self, registry: BrandRegistry, themes_dir: Path) -> None:
        self.registry = registry
        self.themes_dir = themes_dir

    @functools.cache  # noqa: B019 (one renderer per process: workers keep it for good)
    def _environment(self, brand: str, language: str) -> jinja2.Environment:
        """One environment per brand and language, its translations installed once
        (worker threads render concurrently: nothing is swapped per message)."""
        loader = jinja2.ChoiceLoader(
            [
                jinja2.FileSystemLoader(self.themes_dir / brand / self.folder),
                jinja2.FileSystemLoader(self.themes_dir / "base" / self.folder),
            ]
        )
        environment = jinja2.Environment(
            loader=loader,
            # HTML templates escape every value; text templates are not HTML.
            autoescape=jinja2.select_autoescape(["html"], default_for_string=True),
            extensions=["jinja2.ext.i18n"],
            undefined=jinja2.StrictUndefined,
            keep_trailing_newline=True,
        )
        environment.install_gettext_translations(  # type: ignore[attr-defined]
            self._translations(brand, language), newstyle=True
        )
        # Amounts and moments as the reader's language writes them.
        environment.globals["money"] = lambda amount_minor, currency: format_currency(
            from_minor(int(amount_minor), currency), currency, locale=language
        )
        environment.globals["moment"] = lambda text: format_datetime(
            datetime.fromisoformat(text), "long", locale=language
        )
        return environment

    def _translations(self, brand: str, language: str) -> Translations:
        return translations(self.themes_dir, brand, language)

    def _render(self, draft: Draft, name: str) -> str:
        brand = self.registry.get(draft.brand)
        environment = self._environment(draft.brand, draft.locale.split("_")[0])
        values: dict[str, Any] = {
            "brand": brand,
            "colour": brand.tokens.colour,
            "font": brand.tokens.font,
            **draft.parameters,
        }
        return environment.get_template(name).render(values)


class MailRenderer(_ThemeTemplates):
    """Renders an e-mail Draft (subject, text, HTML) for its brand and locale."""

    def __call__(self, draft: Draft) -> Rendered:
        def render(name: str) -> str:
            return self._render(draft, name)

        return Rendered(
            # One line; the no-break spaces of formatted amounts stay.
            subject=_LINE_BREAKS.sub(" ", render(f"{draft.kind}.subject.txt")).strip(),
            text=render(f"{draft.kind}.txt"),
            html=render(f"{draft.kind}.html"),
        )


class SmsRenderer(_ThemeTemplates):
    """Renders a text message from `themes/<brand>/sms/<kind>.txt` over the base theme's
    (not HTML: nothing is escaped; the SMS port takes plain text)."""

    folder = "sms"

    def __call__(self, draft: Draft) -> str:
        return self._render(draft, f"{draft.kind}.txt").strip()


def sender_of(brand: Brand) -> Sender:
    domain = get_settings().mail_from_domain or brand.domains[0]
    return Sender(address=f"{brand.name} <no-reply@{domain}>", domain=domain)


@functools.cache
def renderer() -> MailRenderer:
    from workers.runtime import brands  # noqa: PLC0415 (runtime imports the broker setup)

    return MailRenderer(brands(), get_settings().themes_dir)


def mailer() -> Mailer:
    return SmtpMailer.from_settings(get_settings())


@functools.cache
def sms_renderer() -> SmsRenderer:
    from workers.runtime import brands  # noqa: PLC0415 (runtime imports the broker setup)

    return SmsRenderer(brands(), get_settings().themes_dir)
