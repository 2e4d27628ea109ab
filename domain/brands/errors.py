from __future__ import annotations

from domain.kernel.errors import DomainError


class InvalidTheme(DomainError):
    code = "INVALID_THEME"
    message = "A theme is invalid."


class UnknownBrand(DomainError):
    code = "UNKNOWN_BRAND"
    message = "This host or brand is not served here."


class LowContrast(DomainError):
    code = "LOW_CONTRAST"
    message = "The palette has text/background pairs below WCAG 2.2 AA contrast."


class InvalidColour(DomainError):
    code = "INVALID_COLOUR"
    message = "Each colour is #rrggbb, and only the theme's colour tokens can be set."


class ThemeVersionNotFound(DomainError):
    code = "THEME_VERSION_NOT_FOUND"
    message = "This brand has no such theme version."


class InvalidFont(DomainError):
    code = "INVALID_FONT"
    message = "Choose each font from the editor's list."


class InvalidRadius(DomainError):
    code = "INVALID_RADIUS"
    message = "Each radius is 0 or a length in px, rem or em of at most 32px (2rem)."


class InvalidPage(DomainError):
    code = "INVALID_PAGE"
    message = "Only the legal pages can be edited, each at most 20,000 characters of text."


class InvalidAsset(DomainError):
    code = "INVALID_ASSET"
    message = "Upload a PNG or WebP image (SVG is refused) within the size limit."


class ThemeAssetNotFound(DomainError):
    code = "THEME_ASSET_NOT_FOUND"
    message = "This brand has no such uploaded file."


class UnknownLocale(DomainError):
    code = "UNKNOWN_LOCALE"
    message = "This brand is not shown in that locale."


class UnknownMessage(DomainError):
    code = "UNKNOWN_MESSAGE"
    message = "Only the messages of the shipped catalogues can be overridden."


class PlaceholderMismatch(DomainError):
    code = "PLACEHOLDER_MISMATCH"
    message = "A text keeps exactly the placeholders of its message (%(name)s, {name})."


class TranslationTooLong(DomainError):
    code = "TRANSLATION_TOO_LONG"
    message = "A text is at most three times its message's length (60 to 1,000 characters)."


class MarkupInTranslation(DomainError):
    code = "MARKUP_IN_TRANSLATION"
    message = "A text is plain text: no HTML tags."
