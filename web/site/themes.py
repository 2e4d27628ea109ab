"""Brand themes for the website: one Jinja environment per brand, its translations, its
legal pages (Markdown) and its files, all read and checked once at start-up.

A brand folder may hold `templates/` (looked up before `themes/base/templates/`; a brand
template can extend the base one of the same name as `base/<name>`), `static/`,
`locale/<lang>/LC_MESSAGES/messages.po` (merged over the base catalog) and
`content/<lang>/<page>.md` (legal pages; the base theme's English pages are the fallback).
Catalogs are compiled from `.po` in memory at start-up, so no `.mo` file is committed.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import io
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import jinja2
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations
from markdown_it import MarkdownIt
from markupsafe import Markup, escape

from domain.brands.errors import InvalidTheme
from domain.brands.service import BASE_THEME, Brand, BrandRegistry
from domain.brands.theme import ColourTokens, FontTokens, RadiusTokens
from domain.brands.theme_editor import Version
from web.site.compression import CompressedBlock

SOURCE_LOCALE: Final = "en"
LEGAL_PAGES: Final = ("terms", "privacy", "responsible-gambling")
CATALOG: Final = "messages.po"
HELP_FILE: Final = "help.toml"
HELP_DEFAULT: Final = "default"
# Raw HTML in Markdown is escaped, never passed through (themes are data, not code).
_MARKDOWN = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
# A static file's URL carries the first characters of its content's SHA-256 before the
# extension (`logo.3f2a9c01b7de.svg`), so it may be cached for a year: new content, new name.
FINGERPRINT_CHARS: Final = 12
_FINGERPRINTED: Final = re.compile(
    rf"^(?P<stem>.+)\.(?P<digest>[0-9a-f]{{{FINGERPRINT_CHARS}}})(?P<suffix>\.[A-Za-z0-9]+)$"
)
_CSS_COMMENT: Final = re.compile(r"/\*.*?\*/", re.DOTALL)
_CSS_SPACE: Final = re.compile(r"\s*\n\s*")


@functools.lru_cache(maxsize=1024)
def _digest(path: str, mtime_ns: int, size: int) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()[:FINGERPRINT_CHARS]


def file_digest(path: Path) -> str:
    """The fingerprint of a file's content (read once per version of the file)."""
    status = path.stat()
    return _digest(str(path), status.st_mtime_ns, status.st_size)


def fingerprinted(relative: str, digest: str) -> str:
    """`vendor/htmx.min.js` -> `vendor/htmx.min.<digest>.js`."""
    stem, dot, suffix = relative.rpartition(".")
    return f"{stem}.{digest}.{suffix}" if dot and "/" not in suffix else f"{relative}.{digest}"


def split_fingerprint(relative: str) -> tuple[str, str | None]:
    """(`logo.svg`, digest) for `logo.<digest>.svg`; (name, None) for a plain name."""
    found = _FINGERPRINTED.match(relative)
    if found is None:
        return relative, None
    return found["stem"] + found["suffix"], found["digest"]


@functools.lru_cache(maxsize=16)
def _minified_css(path: str, mtime_ns: int, size: int) -> str:
    text = _CSS_COMMENT.sub("", Path(path).read_text(encoding="utf-8"))
    return _CSS_SPACE.sub("\n", text).strip() + "\n"


class OverriddenTranslations(Translations):
    """A catalogue with the operator's texts (the theme editor's published translations)
    over it: `gettext` answers an overridden message with the operator's text."""

    def __init__(self, shipped: Translations, overrides: Mapping[str, str]) -> None:
        super().__init__()
        self.merge(shipped)
        self.overrides = dict(overrides)

    def gettext(self, message: str) -> str:
        found = self.overrides.get(message)
        return found if found is not None else super().gettext(message)


@jinja2.pass_context
def _gettext(context: Any, message: str) -> str:
    translations: Translations = context["translations"]
    if isinstance(translations, OverriddenTranslations) and message in translations.overrides:
        # Jinja marks a template's translated text safe; an operator's text is data, so
        # it is escaped first (the editor refuses markup too).
        return escape(translations.overrides[message])
    return translations.gettext(message)


@jinja2.pass_context
def _ngettext(context: Any, singular: str, plural: str, count: int) -> str:
    translations: Translations = context["translations"]
    return translations.ngettext(singular, plural, count)


def _files_state(*folders: Path) -> tuple[tuple[str, int, int], ...]:
    """Each file below `folders` with its modification time and size: what a cached
    compilation of them is keyed by, so an edited file is compiled again."""
    found = []
    for folder in folders:
        if folder.is_dir():
            for path in sorted(folder.rglob("*")):
                if path.is_file():
                    status = path.stat()
                    found.append((str(path), status.st_mtime_ns, status.st_size))
    return tuple(found)


# Compiling every template of a theme takes seconds and a catalog tens of milliseconds; a
# process that builds several apps (the test suite, a dev reload) compiles each once.
_ENVIRONMENTS: dict[tuple[object, ...], jinja2.Environment] = {}
_CATALOGS: dict[tuple[object, ...], Translations] = {}


class _CompiledTemplates(jinja2.BytecodeCache):
    """Compiled templates shared by every environment of the process, by template name and
    file, checked against a hash of the source. Each brand's environment loads the base
    theme's templates from the same files: without it each of them was compiled once per
    brand (three times at every app start and `themes validate`). Every environment is made
    by `_environment` with the same options, so the same source compiles to the same code."""

    def __init__(self, entries_max: int) -> None:
        self._code: dict[str, bytes] = {}
        self._entries_max = entries_max

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        if (code := self._code.get(bucket.key)) is not None:
            bucket.bytecode_from_string(code)  # a changed source's hash resets the bucket

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        if len(self._code) >= self._entries_max:  # copies of the themes (tests) pile up
            self._code.pop(next(iter(self._code)))
        self._code[bucket.key] = bucket.bytecode_to_string()


# A theme has about 150 templates.
_COMPILED_TEMPLATES: Final = _CompiledTemplates(entries_max=2_000)


def _compile_catalog(path: Path) -> Translations:
    """A `.po` file compiled to gettext translations in memory, once per version of the
    file. Errors: InvalidTheme."""
    status = path.stat()
    key = (str(path), status.st_mtime_ns, status.st_size)
    if key not in _CATALOGS:
        _CATALOGS[key] = _read_catalog(path)
    return _CATALOGS[key]


def _read_catalog(path: Path) -> Translations:
    try:
        with path.open("rb") as source:
            catalog = read_po(source, ignore_obsolete=True)
    except (OSError, ValueError) as error:
        raise InvalidTheme(f"{path}: {error}") from None
    compiled = io.BytesIO()
    write_mo(compiled, catalog, use_fuzzy=False)
    compiled.seek(0)
    return Translations(compiled, domain="messages")


@dataclass(frozen=True)
class HelpLink:
    """An organisation that helps with gambling problems (themes/base/help.toml)."""

    name: str
    url: str


@dataclass
class SiteTheme:
    """Everything the site needs to render one brand."""

    brand: Brand
    folder: Path
    base_folder: Path
    environment: jinja2.Environment
    translations: Mapping[str, Translations]
    legal: Mapping[tuple[str, str], Markup] = field(default_factory=dict)
    help_links: tuple[HelpLink, ...] = ()
    # The version published in the back office's theme editor (web.site.live_themes keeps
    # it current on every replica; a signed preview shows a draft); None: the folder's.
    published: Version | None = None
    # css() per version (the shipped look: None), computed once.
    _css: dict[int | None, str] = field(default_factory=dict, repr=False)
    # Published legal pages rendered, per (version, page).
    _pages: dict[tuple[int, str], Markup] = field(default_factory=dict, repr=False)
    # The catalogue with a version's translations over it, per (version, locale).
    _overridden: dict[tuple[int, str], Translations] = field(default_factory=dict, repr=False)
    # The inline stylesheet, precompressed, per (version, state of base.css).
    _css_blocks: dict[tuple[Any, ...], CompressedBlock] = field(default_factory=dict, repr=False)
    # base.css's (path, mtime, size) as `_base_css_state` last read it.
    _base_css: tuple[str, int, int] | None = field(default=None, repr=False)
    _base_css_read: bool = field(default=False, repr=False)
    # static_url per file, kept when templates are not reloaded (the files are the image's).
    _static_urls: dict[str, str] = field(default_factory=dict, repr=False)

    @property
    def published_colours(self) -> ColourTokens | None:
        return ColourTokens(**self.published.colours) if self.published else None

    def previewing(self, version: Version) -> SiteTheme:
        """This brand in `version`'s look (a draft the editor previews), for one request."""
        return dataclasses.replace(
            self, published=version, _css={}, _pages={}, _overridden={}, _css_blocks={}
        )

    def translations_for(self, locale: str) -> Translations:
        """The locale's catalogue (else the default locale's), with the published
        version's translations for that locale over it."""
        if locale not in self.translations:
            locale = self.brand.default_locale
        shipped = self.translations[locale]
        version = self.published
        overrides = version.translations.get(locale) if version is not None else None
        if version is None or not overrides:
            return shipped
        key = (version.id, locale)
        found = self._overridden.get(key)
        if found is None:
            found = self._overridden[key] = OverriddenTranslations(shipped, overrides)
        return found

    def legal_page(self, page: str, locale: str) -> Markup | None:
        """The page in `locale` (else the brand's default); a published version's page,
        written in the editor, comes first (one text for every locale)."""
        version = self.published
        if version is not None and page in version.pages:
            key = (version.id, page)
            if key not in self._pages:
                text = version.pages[page].replace("{brand}", self.brand.name)
                text = text.replace("{jurisdiction}", self.brand.jurisdiction)
                # Raw HTML in it is escaped by the renderer (html=False).
                self._pages[key] = Markup(_MARKDOWN.render(text))  # noqa: S704
            return self._pages[key]
        return self.legal.get((page, locale)) or self.legal.get((page, self.brand.default_locale))

    def static_file(self, relative: str) -> Path | None:
        """A file of the brand's `static/`, else of the base's; never outside them."""
        for root in (self.folder / "static", self.base_folder / "static"):
            candidate = (root / relative).resolve()
            if candidate.is_relative_to(root.resolve()) and candidate.is_file():
                return candidate
        return None

    def asset_path(self, name: str) -> str:
        """The URL of the logo or favicon: an upload of the published version, else the
        theme folder's file (fingerprinted, see `static_url`)."""
        uploaded = getattr(self.published, name, None) if self.published else None
        if uploaded is not None:
            return str(uploaded.path)
        declared: str | None = getattr(self.brand.assets, name)
        if declared is None:
            return self.static_url(f"{name}.svg")
        return self.static_url(declared.removeprefix("static/"))

    def asset_type(self, name: str) -> str:
        """The media type of the logo or favicon `asset_path` names."""
        uploaded = getattr(self.published, name, None) if self.published else None
        if uploaded is not None:
            return str(uploaded.media_type)
        declared: str = getattr(self.brand.assets, name) or ".svg"
        suffix = declared.rpartition(".")[2]
        return {"svg": "image/svg+xml", "png": "image/png", "webp": "image/webp"}.get(
            suffix, "image/x-icon"
        )

    def static_url(self, relative: str) -> str:
        """The URL of a file of the brand's (else the base's) `static/`, its content's
        fingerprint in the name, so the browser may keep it for a year."""
        # Outside development the files never change under a running process: looked up
        # (paths resolved, file read and hashed) once, not on every page.
        reloading = self.environment.auto_reload
        found = None if reloading else self._static_urls.get(relative)
        if found is not None:
            return found
        path = self.static_file(relative)
        if path is None:
            url = f"/static/{relative}"
        else:
            url = "/static/" + fingerprinted(relative, file_digest(path))
        if not reloading:
            self._static_urls[relative] = url
        return url

    def inline_css(self) -> Markup:
        """The page's whole stylesheet for a `<style>` in its head: the base (or brand)
        `base.css` without comments, then the brand's tokens. No stylesheet request stands
        between the HTML and the first paint."""
        # The operator's files and validated colours, "</" escaped (inline_css_block).
        return Markup(self.inline_css_block().text)  # noqa: S704

    def inline_css_block(self) -> CompressedBlock:
        """`inline_css`'s text and its compressed bytes, built once per version of the
        stylesheet: the site's gzip encoder sends them in place of compressing them again
        for every page (web/site/compression.py)."""
        state = self._base_css_state()
        version = self.published
        key = (version.id if version is not None else None, state)
        found = self._css_blocks.get(key)
        if found is None:
            base = _minified_css(*state) if state is not None else ""
            # The files are the operator's and the palette is validated hex colours; a
            # closing tag could still never end the <style> early.
            text = (base + self.css()).replace("</", "<\\/")
            if len(self._css_blocks) >= CSS_BLOCKS_MAX:
                self._css_blocks.clear()
            found = self._css_blocks[key] = CompressedBlock.of(text)
        return found

    def _base_css_state(self) -> tuple[str, int, int] | None:
        """base.css's path, modification time and size (None: no such file): read on every
        page in development, once otherwise (the files do not change under a running
        process)."""
        if self._base_css_read and not self.environment.auto_reload:
            return self._base_css
        path = self.static_file("base.css")
        state = None
        if path is not None:
            status = path.stat()
            state = (str(path), status.st_mtime_ns, status.st_size)
        self._base_css, self._base_css_read = state, True
        return state

    @property
    def css_version(self) -> str:
        """Changes with the stylesheet: pages link `theme.css?v=…`, so a browser holding
        the old one (cached for an hour) fetches a newly published palette at once."""
        return hashlib.sha256(self.css().encode()).hexdigest()[:12]

    def css(self) -> str:
        version = self.published
        key = version.id if version is not None else None
        cached = self._css.get(key)
        if cached is not None:
            return cached
        tokens = self.brand.tokens
        if version is not None:
            update: dict[str, Any] = {"colour": ColourTokens(**version.colours)}
            if version.fonts:
                update["font"] = FontTokens(**version.fonts)
            if version.radius:
                update["radius"] = RadiusTokens(**version.radius)
            tokens = tokens.model_copy(update=update)
        lines = [f"  {name}: {value};" for name, value in tokens.css_variables().items()]
        css = ":root {\n" + "\n".join(lines) + "\n}\n"
        self._css[key] = css
        return css


# Stylesheets kept per theme (a published version, a changed base.css in development).
CSS_BLOCKS_MAX: Final = 8


def _environment(folder: Path, base_folder: Path, *, auto_reload: bool) -> jinja2.Environment:
    base_templates = jinja2.FileSystemLoader(base_folder / "templates")
    loader = jinja2.ChoiceLoader(
        [
            jinja2.FileSystemLoader(folder / "templates"),
            base_templates,
            # `{% extends "base/home.html" %}` reaches the base template a brand overrides.
            jinja2.PrefixLoader({"base": base_templates}),
        ]
    )
    environment = jinja2.Environment(
        loader=loader,
        autoescape=True,
        extensions=["jinja2.ext.i18n"],
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=auto_reload,
        bytecode_cache=_COMPILED_TEMPLATES,
    )
    environment.install_gettext_callables(  # type: ignore[attr-defined]
        _gettext, _ngettext, newstyle=True
    )
    return environment


def _translations(brand: Brand, folder: Path, base_folder: Path) -> dict[str, Translations]:
    found: dict[str, Translations] = {}
    for locale in brand.all_locales:
        language = locale.split("_")[0]
        catalogs = [
            root / "locale" / language / "LC_MESSAGES" / CATALOG for root in (base_folder, folder)
        ]
        present = [path for path in catalogs if path.is_file()]
        if not present and language != SOURCE_LOCALE:
            raise InvalidTheme(
                f"{folder / 'theme.toml'}: locales: no catalog for {locale!r} "
                f"(expected {catalogs[0]} or {catalogs[1]})"
            )
        translations = Translations()
        for path in present:  # the brand's catalog last, so its messages win
            translations.merge(_compile_catalog(path))
        found[locale] = translations
    return found


def _legal_pages(brand: Brand, folder: Path, base_folder: Path) -> dict[tuple[str, str], Markup]:
    pages: dict[tuple[str, str], Markup] = {}
    for page in LEGAL_PAGES:
        for locale in brand.all_locales:
            language = locale.split("_")[0]
            for root in (folder, base_folder):
                path = root / "content" / language / f"{page}.md"
                if path.is_file():
                    text = path.read_text(encoding="utf-8")
                    text = text.replace("{brand}", brand.name).replace(
                        "{jurisdiction}", brand.jurisdiction
                    )
                    pages[(page, locale)] = Markup(_MARKDOWN.render(text))  # noqa: S704 (escaped)
                    break
        if (page, brand.default_locale) not in pages:
            fallback = base_folder / "content" / SOURCE_LOCALE / f"{page}.md"
            if not fallback.is_file():
                raise InvalidTheme(f"{folder}: content: no {page!r} page and no base fallback")
            text = fallback.read_text(encoding="utf-8").replace("{brand}", brand.name)
            text = text.replace("{jurisdiction}", brand.jurisdiction)
            pages[(page, brand.default_locale)] = Markup(_MARKDOWN.render(text))  # noqa: S704
    return pages


def _help_links(brand: Brand, folder: Path, base_folder: Path) -> tuple[HelpLink, ...]:
    """The help organisations of the brand's jurisdiction: the brand's help.toml, else the
    base one; `default` where neither names the jurisdiction. Errors: InvalidTheme."""
    chosen: list[object] | None = None
    for path in (folder / HELP_FILE, base_folder / HELP_FILE):
        if not path.is_file():
            continue
        try:
            table = tomllib.loads(path.read_text(encoding="utf-8")).get("jurisdictions", {})
        except (OSError, tomllib.TOMLDecodeError) as error:
            raise InvalidTheme(f"{path}: {error}") from None
        found = table.get(brand.jurisdiction) if isinstance(table, dict) else None
        if found is None and path.parent == base_folder and isinstance(table, dict):
            found = table.get(HELP_DEFAULT)
        if found is not None:
            chosen = found if isinstance(found, list) else [found]
            break
    if not chosen:
        raise InvalidTheme(f"{folder}: no help organisations for {brand.jurisdiction!r}")
    links = []
    for entry in chosen:
        name = entry.get("name") if isinstance(entry, dict) else None
        url = entry.get("url") if isinstance(entry, dict) else None
        if not isinstance(name, str) or not name or not isinstance(url, str):
            raise InvalidTheme(f"{folder}: help: each entry needs a name and a url")
        if not url.startswith("https://"):
            raise InvalidTheme(f"{folder}: help: {url!r} is not an https URL")
        links.append(HelpLink(name=name, url=url))
    return tuple(links)


def _check_assets(brand: Brand, folder: Path, base_folder: Path) -> None:
    for name in ("logo", "favicon"):
        declared = getattr(brand.assets, name)
        path = folder / declared if declared else base_folder / "static" / f"{name}.svg"
        if not path.is_file():
            raise InvalidTheme(f"{folder / 'theme.toml'}: assets.{name}: {path} does not exist")


def _check_templates(environment: jinja2.Environment, folder: Path) -> None:
    for name in environment.list_templates():
        try:
            environment.get_template(name)
        except jinja2.TemplateError as error:
            raise InvalidTheme(f"{folder}: template {name}: {error}") from None


def _checked_environment(
    folder: Path, base_folder: Path, *, auto_reload: bool
) -> jinja2.Environment:
    """The brand's environment with every template compiled and checked, built once per
    version of its template files (environments are never changed after this)."""
    key = (
        folder,
        base_folder,
        auto_reload,
        _files_state(folder / "templates", base_folder / "templates"),
    )
    if key not in _ENVIRONMENTS:
        environment = _environment(folder, base_folder, auto_reload=auto_reload)
        _check_templates(environment, folder)
        _ENVIRONMENTS[key] = environment
    return _ENVIRONMENTS[key]


def load_site_theme(brand: Brand, themes_dir: Path, *, auto_reload: bool = True) -> SiteTheme:
    """Errors: InvalidTheme naming the file and what is wrong with it. `auto_reload`: a
    template edited on disk is seen at its next render (dev); otherwise templates ship with
    the code and no render stat()s them."""
    folder = themes_dir / brand.slug
    base_folder = themes_dir / BASE_THEME
    _check_assets(brand, folder, base_folder)
    environment = _checked_environment(folder, base_folder, auto_reload=auto_reload)
    return SiteTheme(
        brand=brand,
        folder=folder,
        base_folder=base_folder,
        environment=environment,
        translations=_translations(brand, folder, base_folder),
        legal=_legal_pages(brand, folder, base_folder),
        help_links=_help_links(brand, folder, base_folder),
    )


def load_site_themes(
    registry: BrandRegistry, themes_dir: Path, *, auto_reload: bool = True
) -> dict[str, SiteTheme]:
    return {
        slug: load_site_theme(brand, themes_dir, auto_reload=auto_reload)
        for slug, brand in registry.by_slug.items()
    }


def theme_problems(themes_dir: Path) -> list[str]:
    """Every problem of every brand folder (schema, contrast, assets, catalogs, content,
    templates, hosts claimed twice), for `stakehouse themes validate`."""
    from domain.brands.service import load_theme  # noqa: PLC0415

    problems: list[str] = []
    brands: list[Brand] = []
    if not (themes_dir / BASE_THEME / "templates").is_dir():
        problems.append(f"{themes_dir / BASE_THEME}: the base theme's templates/ is missing")
    folders = sorted(
        child
        for child in themes_dir.iterdir()
        if child.is_dir() and child.name != BASE_THEME and (child / "theme.toml").exists()
    )
    for folder in folders:
        try:
            brand = load_theme(folder)
            load_site_theme(brand, themes_dir)
        except InvalidTheme as error:
            problems.append(error.message)
        else:
            brands.append(brand)
    if not problems:
        try:
            BrandRegistry.from_brands(brands)
        except InvalidTheme as error:
            problems.append(error.message)
    return problems
