"""Errors of the messaging context."""

from __future__ import annotations

from domain.kernel.errors import DomainError


class EmailNotFound(DomainError):
    code = "EMAIL_NOT_FOUND"
    message = "No such e-mail."
