"""A strict check of the HTML the site sends: every page and fragment a site test receives
goes through `check_html` (tests/web/site/support.py), so a template that runs attributes
together, repeats one, leaves a tag open or nests tags wrongly fails the test that rendered
it, not a player's browser (which repairs such markup silently, and differently: an
attribute lost after `autocomplete="new-password"required` is a `required` that never was).

Python's HTMLParser is lenient like a browser; this wraps it with the checks a validator
would make for the markup our templates write: every non-void element closed explicitly,
in order."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from typing import Final

VOID_ELEMENTS: Final = frozenset(
    [
        "area",
        "base",
        "br",
        "col",
        "embed",
        "hr",
        "img",
        "input",
        "link",
        "meta",
        "source",
        "track",
        "wbr",
    ]
)
# An attribute: a name, then optionally = and a quoted or unquoted value. After it, the
# tag needs white space, `/` or `>`: `a="1"b` runs two attributes together.
_ATTRIBUTE = re.compile(r"""\s*([^\s"'>/=]+)(?:\s*=\s*("[^"]*"|'[^']*'|[^\s"'=<>`]+))?""")
_TAG_NAME = re.compile(r"<[a-zA-Z][^\s/>]*")
_ID: Final = "id"
# Elements that swap content: by their own request or by a server-sent event.
_SWAPPERS: Final = ("hx-get", "hx-post", "hx-put", "hx-patch", "hx-delete", "sse-swap")
# Where and how they swap: htmx looks these up on the ancestors too, so a form's
# `hx-target="#bet-slip"` would also aim every price button's odds update at the slip.
_INHERITED: Final = ("hx-target", "hx-swap", "hx-select")


class HtmlProblem(AssertionError):
    pass


def _attribute_problems(raw: str) -> list[str]:
    """What is wrong with the attributes of one start tag as written."""
    problems: list[str] = []
    match = _TAG_NAME.match(raw)
    position = match.end() if match else 0
    end = len(raw) - (2 if raw.endswith("/>") else 1)
    seen: set[str] = set()
    while position < end:
        if not raw[position].isspace():
            problems.append(f"attributes run together at {raw[position : position + 30]!r}")
            break
        found = _ATTRIBUTE.match(raw, position)
        if found is None or found.end() == position:
            break
        name = found.group(1).lower()
        if name in seen:
            problems.append(f"attribute {name!r} twice")
        seen.add(name)
        position = found.end()
    return problems


class _StrictParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.open: list[tuple[str, int]] = []
        self.attributes: list[dict[str, str]] = []
        self.ids: set[str] = set()
        self.problems: list[str] = []

    def _where(self) -> str:
        line, column = self.getpos()
        return f"line {line}, column {column}"

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        raw = self.get_starttag_text() or ""
        for problem in _attribute_problems(raw):
            self.problems.append(f"{self._where()}: <{tag}>: {problem}: {raw[:120]}")
        for name, value in attrs:
            if name == _ID and value is not None:
                if value in self.ids:
                    self.problems.append(f"{self._where()}: id {value!r} twice")
                self.ids.add(value)
        own = {name: value or "" for name, value in attrs}
        self._check_inheritance(tag, own)
        if tag not in VOID_ELEMENTS:
            self.open.append((tag, self.getpos()[0]))
            self.attributes.append(own)

    def _check_inheritance(self, tag: str, own: dict[str, str]) -> None:
        """A swapping element takes no hx-target/hx-swap/hx-select by inheritance: it says
        its own, or the ancestor that has one disinherits it."""
        if not any(name in own for name in _SWAPPERS):
            return
        for name in _INHERITED:
            if name in own:
                continue
            holder = next((a for a in reversed(self.attributes) if name in a), None)
            if holder is None:
                continue
            disinherited = holder.get("hx-disinherit", "").split()
            if "*" not in disinherited and name not in disinherited:
                self.problems.append(
                    f"{self._where()}: <{tag}> inherits {name}={holder[name]!r} from an "
                    "ancestor (set it on the element or hx-disinherit it on the ancestor)"
                )

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in VOID_ELEMENTS:
            self.problems.append(f"{self._where()}: <{tag}/> is not a void element")
        raw = self.get_starttag_text() or ""
        for problem in _attribute_problems(raw):
            self.problems.append(f"{self._where()}: <{tag}>: {problem}: {raw[:120]}")

    def handle_endtag(self, tag: str) -> None:
        if tag in VOID_ELEMENTS:
            self.problems.append(f"{self._where()}: </{tag}> closes a void element")
            return
        if not self.open:
            self.problems.append(f"{self._where()}: </{tag}> closes nothing")
            return
        self._close(tag)

    def _close(self, tag: str) -> None:
        expected, line = self.open[-1]
        if expected != tag:
            self.problems.append(
                f"{self._where()}: </{tag}> while <{expected}> (line {line}) is open"
            )
            if any(name == tag for name, _ in self.open):
                while self.open and self.open[-1][0] != tag:
                    self._pop()
                self._pop()
            return
        self._pop()

    def _pop(self) -> None:
        self.open.pop()
        self.attributes.pop()


def check_html(body: str, *, source: str = "") -> None:
    """Raise HtmlProblem listing every problem of `body` (a page or a fragment)."""
    parser = _StrictParser()
    parser.feed(body)
    parser.close()
    problems = parser.problems + [
        f"<{tag}> opened at line {line} is never closed" for tag, line in parser.open
    ]
    if problems:
        raise HtmlProblem(f"invalid HTML in {source or 'a response'}:\n" + "\n".join(problems))
