"""What makes a page "still in English" on a German or Swedish site, derived from the code
rather than hand-picked: every message the site's templates and page modules mark for
translation (the English catalogue, extracted with Babel as `pybabel extract` would), the
domain's English error messages (what the API's `message` says), and the raw codes of the
API's enums and ledger kinds.

`english_left(body, locale)` lists every visible text (text nodes, and the aria-label,
title, alt and placeholder a screen reader or a tooltip shows) that is one of those: a
message equal to its English msgid (where the locale's translation differs), a sentence
containing an English message or a domain error message, or a value put into a translated
pattern ("Status: open") that is itself English or a code.
"""

from __future__ import annotations

import ast
import functools
import importlib
import pkgutil
import re
from collections.abc import Iterator
from html.parser import HTMLParser

from babel.messages.extract import extract_from_dir
from babel.support import Translations
from graphql import EnumTypeDefinitionNode, parse

import domain
from domain.kernel.errors import DomainError
from tests.conftest import REPO_ROOT
from web.site.themes import _compile_catalog

KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "N_": None}
SHOWN_ATTRIBUTES = ("aria-label", "title", "alt", "placeholder")
# The enums whose values a page could print raw instead of their label.
SHOWN_ENUMS = ("BetType", "BetStatus", "LegResult", "WalletKind", "LimitKind", "LimitPeriod")
# A sentence: long enough that finding it inside a text is not a coincidence.
SENTENCE_WORDS_MIN = 3
_PLACEHOLDER = re.compile(r"%\([a-z_]+\)[sd]")
_SPACE = re.compile(r"\s+")
_SEPARATOR = re.compile(r"\s+·\s+|:\s+")


@functools.cache
def site_messages() -> dict[str | tuple[str, str], str]:
    """Every message marked for translation in the base templates and web/site, with
    where it is (file:line)."""
    found: dict[str | tuple[str, str], str] = {}
    sources = (
        ("themes/base/templates", [("**.html", "jinja2.ext:babel_extract")]),
        ("web/site", [("**.py", "python")]),
    )
    for folder, method_map in sources:
        options = {"**.html": {"extensions": "jinja2.ext.i18n"}}
        for filename, line, message, *_ in extract_from_dir(
            REPO_ROOT / folder, method_map, options_map=options, keywords=KEYWORDS
        ):
            found.setdefault(message, f"{folder}/{filename}:{line}")
    return found


@functools.cache
def catalogue(language: str) -> Translations:
    return _compile_catalog(
        REPO_ROOT / "themes" / "base" / "locale" / language / "LC_MESSAGES" / "messages.po"
    )


def normalise(text: str) -> str:
    return _SPACE.sub(" ", text.replace("\xa0", " ").replace("\u202f", " ")).strip()


def _pattern(message: str) -> re.Pattern[str]:
    parts = _PLACEHOLDER.split(normalise(message))
    return re.compile("(.+?)".join(re.escape(part) for part in parts))


@functools.cache
def domain_messages() -> frozenset[str]:
    """The English `message` of every domain error class (what the API says)."""
    for module in pkgutil.walk_packages(domain.__path__, "domain."):
        if module.name.endswith(".errors"):
            importlib.import_module(module.name)
    found: set[str] = set()
    pending: list[type[DomainError]] = [DomainError]
    while pending:
        error = pending.pop()
        pending.extend(error.__subclasses__())
        found.add(normalise(error.message))
    return frozenset(found)


@functools.cache
def schema_enum_values(*names: str) -> dict[str, frozenset[str]]:
    document = parse((REPO_ROOT / "schema.graphql").read_text())
    return {
        node.name.value: frozenset(value.name.value for value in node.values or ())
        for node in document.definitions
        if isinstance(node, EnumTypeDefinitionNode) and node.name.value in names
    }


@functools.cache
def ledger_kinds() -> frozenset[str]:
    """Every transaction kind the domain posts to the ledger, read from its source: a
    `kind=` string given to a call in a module that uses the wallets context, a `kind`
    parameter's default in the wallets context, a `*KIND` constant, or the kind named to
    `shift`/`request_hash`."""
    kinds: set[str] = set()
    for path in (REPO_ROOT / "domain").rglob("*.py"):
        if "migrations" in path.parts:
            continue
        source = path.read_text()
        if "domain.wallets" not in source and "wallets" not in path.parts:
            continue
        for node in ast.walk(ast.parse(source)):
            kinds.update(_kinds_in(node, in_wallets="wallets" in path.parts))
    return frozenset(kinds)


def _kinds_in(node: ast.AST, *, in_wallets: bool) -> Iterator[str]:
    def text(value: ast.AST | None) -> str | None:
        return (
            value.value
            if isinstance(value, ast.Constant) and isinstance(value.value, str)
            else None
        )

    if isinstance(node, ast.Call):
        for keyword in node.keywords:
            if keyword.arg == "kind" and (found := text(keyword.value)):
                yield found
        name = getattr(node.func, "attr", None) or getattr(node.func, "id", "")
        if name in ("shift", "request_hash"):
            yield from (found for arg in node.args if (found := text(arg)))
    elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and in_wallets:
        arguments = node.args
        positional = arguments.args[len(arguments.args) - len(arguments.defaults) :]
        pairs = list(zip(positional, arguments.defaults, strict=True))
        pairs += list(zip(arguments.kwonlyargs, arguments.kw_defaults, strict=True))
        yield from (
            found for arg, default in pairs if arg.arg == "kind" and (found := text(default))
        )
    elif isinstance(node, (ast.Assign, ast.AnnAssign)):
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        names = [t.id for t in targets if isinstance(t, ast.Name)]
        if any(name.endswith("KIND") for name in names) and (found := text(node.value)):
            yield found


class _Texts(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.texts: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style", "template"):
            self._hidden += 1
        for name, value in attrs:
            if name in SHOWN_ATTRIBUTES and value:
                self.texts.append(normalise(value))

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style", "template"):
            self._hidden = max(0, self._hidden - 1)

    def handle_data(self, data: str) -> None:
        if not self._hidden and normalise(data):
            self.texts.append(normalise(data))


def visible_texts(body: str) -> list[str]:
    parser = _Texts()
    parser.feed(body)
    parser.close()
    return parser.texts


@functools.cache
def _fingerprints(
    language: str,
) -> tuple[frozenset[str], tuple[re.Pattern[str], ...], tuple[re.Pattern[str], ...]]:
    """(English words and short messages matched whole, English sentences found inside a
    text, this locale's translated patterns with placeholders)."""
    translations = catalogue(language)
    whole: set[str] = set()
    sentences: list[re.Pattern[str]] = []
    patterns: list[re.Pattern[str]] = []
    for message in site_messages():
        singular = message if isinstance(message, str) else message[0]
        translated = translations.gettext(singular)
        if "%(" in singular:
            patterns.append(_pattern(translated))
        if translated == singular:
            continue  # the same word in both languages ("Tennis", "System")
        if "%(" in singular:
            sentences.append(re.compile(f"^{_pattern(singular).pattern}$"))
        elif len(singular.split()) >= SENTENCE_WORDS_MIN:
            sentences.append(re.compile(re.escape(normalise(singular))))
        else:
            whole.add(normalise(singular))
    sentences += [re.compile(re.escape(message)) for message in domain_messages()]
    return frozenset(whole), tuple(sentences), tuple(patterns)


@functools.cache
def codes() -> frozenset[str]:
    values: set[str] = set(ledger_kinds())
    for enum in schema_enum_values(*SHOWN_ENUMS).values():
        values.update(enum)
        values.update(value.lower() for value in enum if len(value) > 3)
    return frozenset(values)


def english_left(body: str, language: str) -> list[str]:
    """Every visible text of `body` that is English (or a raw code) on a `language` page."""
    whole, sentences, patterns = _fingerprints(language)
    found: list[str] = []
    for text in visible_texts(body):
        if text in whole or text in codes():
            found.append(text)
            continue
        if any(sentence.search(text) for sentence in sentences):
            found.append(text)
            continue
        # A text of parts ("Single · 2,00 €", "Home v Away · Match result: Draw"): each
        # part is checked, and a pattern fills a whole text or one part.
        parts = [text, *_SEPARATOR.split(text)]
        if any(part.strip(" .:()") in whole or part.strip(" .:()") in codes() for part in parts):
            found.append(text)
            continue
        filled = (pattern.fullmatch(part) for part in parts for pattern in patterns)
        values = {value.strip(" .:()") for match in filled if match for value in match.groups()}
        if any(value in whole or value in codes() for value in values):
            found.append(text)
    return found
