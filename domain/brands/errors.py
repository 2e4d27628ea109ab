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
