"""The theme editor's translations: an operator's own text for a brand's player-facing
strings, per locale, over the shipped catalogues (`themes/base/locale`, then the brand
folder's). Only the catalogues' messages can be overridden; the text keeps the message's
placeholders (`%(name)s`, `%s`, `{name}`), stays within a length bound and carries no markup
(the site renders it escaped all the same). Plural messages keep the catalogue's forms.

Pure functions over the catalogue: the versions that store the overrides are
theme_editor's."""

from __future__ import annotations

import bisect
import functools
import re
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from babel.messages.pofile import read_po

from domain.brands.errors import (
    InvalidTheme,
    MarkupInTranslation,
    PlaceholderMismatch,
    TranslationTooLong,
    UnknownLocale,
    UnknownMessage,
)

BASE_THEME: Final = "base"
CATALOG: Final = "messages.po"
SOURCE_LANGUAGE: Final = "en"
# An override may be a few times longer than the message (German runs long), never a page.
TEXT_CHARS_MIN: Final = 60
TEXT_LENGTH_FACTOR: Final = 3
TEXT_CHARS_MAX: Final = 1_000
SEARCH_CHARS_MAX: Final = 100
PAGE_SIZE_MAX: Final = 100

# printf-style placeholders as Python's `%` formats them; `%%` is a literal percent sign.
_PERCENT: Final = re.compile(
    r"%(?:\((?P<name>[^()]*)\))?[#0 +\-]*(?:\d+|\*)?(?:\.(?:\d+|\*))?"
    r"(?P<conversion>[diouxXeEfFgGcrsa])"
)
_BRACE: Final = re.compile(r"\{(?P<name>[A-Za-z_][A-Za-z0-9_]*)\}")
# A tag, a comment or a processing instruction: text, not markup, is overridden.
_MARKUP: Final = re.compile(r"<[A-Za-z/!?]")


@dataclass(frozen=True)
class Catalogue:
    """One locale's shipped messages of a brand: msgid -> the shipped text (the msgid
    itself in the source language), msgids in order for keyset pages."""

    locale: str
    messages: Mapping[str, str]
    ordered: tuple[str, ...]


@dataclass(frozen=True)
class Entry:
    """A row of the editor: the message, its shipped text and the override (or None)."""

    msgid: str
    shipped: str
    override: str | None


@dataclass(frozen=True)
class EntryPage:
    entries: list[Entry]
    has_next_page: bool


def catalogue(themes_dir: Path, brand: str, locale: str) -> Catalogue:
    """The brand's shipped messages in `locale` (base catalogue, the brand's over it).
    Errors: InvalidTheme (a catalogue that does not parse)."""
    folders = (themes_dir / BASE_THEME, themes_dir / brand)
    language = locale.split("_", maxsplit=1)[0]
    own = [folder / "locale" / language / "LC_MESSAGES" / CATALOG for folder in folders]
    # Every shipped catalogue names the messages; the source language has no catalogue
    # of its own (its text is the msgid).
    known = sorted((themes_dir / BASE_THEME / "locale").glob(f"*/LC_MESSAGES/{CATALOG}"))
    return _catalogue(locale, tuple(_state(path) for path in (*known, *own) if path.is_file()))


def _state(path: Path) -> tuple[str, int, int]:
    status = path.stat()
    return (str(path), status.st_mtime_ns, status.st_size)


@functools.lru_cache(maxsize=64)
def _catalogue(locale: str, files: tuple[tuple[str, int, int], ...]) -> Catalogue:
    """Read once per version of the files (an edited catalogue has a new key)."""
    language = locale.split("_", maxsplit=1)[0]
    messages: dict[str, str] = {}
    for path, _, _ in files:
        own = Path(path).parent.parent.name == language
        for msgid, text in _singular_messages(Path(path)).items():
            if own and text:
                messages[msgid] = text
            else:
                messages.setdefault(msgid, msgid)
    return Catalogue(locale=locale, messages=messages, ordered=tuple(sorted(messages)))


def _singular_messages(path: Path) -> dict[str, str]:
    try:
        with path.open("rb") as source:
            read = read_po(source, ignore_obsolete=True)
    except (OSError, ValueError) as error:
        raise InvalidTheme(f"{path}: {error}") from None
    return {
        message.id: str(message.string or "")
        for message in read
        if message.id and isinstance(message.id, str) and not message.context
    }


def text_chars_max(msgid: str) -> int:
    return min(TEXT_CHARS_MAX, max(TEXT_CHARS_MIN, TEXT_LENGTH_FACTOR * len(msgid)))


def checked_overrides(
    catalogues: Mapping[str, Catalogue], overrides: Mapping[str, Mapping[str, str]]
) -> dict[str, dict[str, str]]:
    """The overrides per locale as the version keeps them: an empty text (or the shipped
    text) means back to the catalogue's, and stays in the result as "" so a draft can
    drop an override it inherits. Errors: UnknownLocale, UnknownMessage,
    PlaceholderMismatch, TranslationTooLong, MarkupInTranslation (field: the msgid)."""
    checked: dict[str, dict[str, str]] = {}
    for locale, texts in overrides.items():
        found = catalogues.get(locale)
        if found is None:
            raise UnknownLocale(f"This brand has no locale {locale!r}.", field="locale")
        checked[locale] = {msgid: check_text(found, msgid, text) for msgid, text in texts.items()}
    return checked


def check_text(found: Catalogue, msgid: str, text: str) -> str:
    """The text to keep for `msgid` ("" for the catalogue's). Errors: as checked_overrides."""
    if msgid not in found.messages:
        raise UnknownMessage(
            f"{_quoted(msgid)} is not a message of the shipped catalogues.", field=msgid
        )
    text = text.strip()
    if not text or text == found.messages[msgid]:
        return ""
    limit = text_chars_max(msgid)
    if len(text) > limit:
        raise TranslationTooLong(
            f"The text for {_quoted(msgid)} has {len(text)} characters; at most {limit}.",
            field=msgid,
        )
    if _MARKUP.search(text):
        raise MarkupInTranslation(
            f"The text for {_quoted(msgid)} contains markup (<…>): write plain text.",
            field=msgid,
        )
    problem = placeholder_problem(msgid, text)
    if problem is not None:
        raise PlaceholderMismatch(f"The text for {_quoted(msgid)} {problem}.", field=msgid)
    return text


def placeholder_problem(msgid: str, text: str) -> str | None:
    """Why `text` cannot stand for `msgid` (its placeholders differ), or None."""
    wanted = _percent_placeholders(msgid)
    given = _percent_placeholders(text)
    if given is None:
        return "has a % that is no placeholder (write %% for a percent sign)"
    if "%" not in msgid and "%" in text:
        # Shown as it is written where the message is not formatted: no % at all.
        return "has a % sign, which this message cannot show"
    if wanted is not None and wanted != given:
        return "must keep the placeholders " + _listed(wanted)
    if _brace_placeholders(msgid) != _brace_placeholders(text) or (
        _brace_placeholders(msgid) and text.count("{") != len(_BRACE.findall(text))
    ):
        return "must keep the placeholders " + (
            ", ".join(sorted("{" + n + "}" for n in _brace_placeholders(msgid))) or "(none)"
        )
    return None


def _percent_placeholders(text: str) -> Counter[str] | None:
    """The `%` placeholders (not `%%`), or None when a `%` starts none."""
    found: Counter[str] = Counter()
    position = 0
    while (start := text.find("%", position)) >= 0:
        if text.startswith("%%", start):
            position = start + 2
            continue
        match = _PERCENT.match(text, start)
        if match is None:
            return None
        found[match.group(0)] += 1
        position = match.end()
    return found


def _brace_placeholders(text: str) -> set[str]:
    return {match["name"] for match in _BRACE.finditer(text)}


def _listed(placeholders: Counter[str]) -> str:
    names = sorted(placeholders.elements())
    return ", ".join(names) if names else "(none)"


def _quoted(msgid: str) -> str:
    return "“" + (msgid if len(msgid) <= 60 else msgid[:57] + "…") + "”"


def entries(
    found: Catalogue,
    overrides: Mapping[str, str],
    *,
    search: str = "",
    overridden_only: bool = False,
    after: str | None = None,
    first: int = 50,
) -> EntryPage:
    """The messages in msgid order after `after` (a keyset over the msgid), those whose
    msgid, shipped text or override contains `search` (case-insensitive)."""
    needle = search.strip().casefold()[:SEARCH_CHARS_MAX]
    first = max(1, min(first, PAGE_SIZE_MAX))
    start = 0
    if after is not None:
        start = _bisect_after(found.ordered, after)
    rows: list[Entry] = []
    for msgid in found.ordered[start:]:
        override = overrides.get(msgid) or None
        if overridden_only and override is None:
            continue
        shipped = found.messages[msgid]
        if needle and not any(
            needle in value.casefold() for value in (msgid, shipped, override or "")
        ):
            continue
        if len(rows) == first:
            return EntryPage(rows, has_next_page=True)
        rows.append(Entry(msgid=msgid, shipped=shipped, override=override))
    return EntryPage(rows, has_next_page=False)


def _bisect_after(ordered: tuple[str, ...], after: str) -> int:
    return bisect.bisect_right(ordered, after)
