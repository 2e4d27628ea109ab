"""The brands' shipped gettext catalogues, for words the domain and the workers write to
players outside a page (inbox notices, e-mails, text messages): the base theme's
`locale/<language>/LC_MESSAGES/messages.po`, with the brand's own entries winning.

Catalogues are compiled in memory once per brand and language (the `.po` files ship with
the code; a change needs a new release, as the templates that use them do).
"""

from __future__ import annotations

import functools
import io
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations


def _catalog(path: Path) -> Translations | None:
    if not path.exists():
        return None
    with path.open("rb") as source:
        catalog = read_po(source, ignore_obsolete=True)
    compiled = io.BytesIO()
    write_mo(compiled, catalog, use_fuzzy=False)
    compiled.seek(0)
    return Translations(compiled, domain="messages")


@functools.cache
def translations(themes_dir: Path, brand: str, language: str) -> Translations:
    """The brand's words in `language` (a language code such as "de"; a locale's region is
    the caller's to drop); an unknown language gives the messages as written (English)."""
    found = Translations()
    for folder in (themes_dir / "base", themes_dir / brand):
        catalog = _catalog(folder / "locale" / language / "LC_MESSAGES" / "messages.po")
        if catalog is not None:
            found.merge(catalog)
    return found
