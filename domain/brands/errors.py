from __future__ import annotations

from domain.kernel.errors import DomainError


class InvalidTheme(DomainError):
    code = "INVALID_THEME"
    message = "A theme is invalid."


class UnknownBrand(DomainError):
    code = "UNKNOWN_BRAND"
    message = "This host or brand is not served here."
