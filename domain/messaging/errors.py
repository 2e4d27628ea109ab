"""Errors of the messaging context."""

from __future__ import annotations

from domain.kernel.errors import DomainError


class EmailNotFound(DomainError):
    code = "EMAIL_NOT_FOUND"
    message = "No such e-mail."


class InboxMessageNotFound(DomainError):
    # Also for another player's message: whose ids exist is nobody else's business.
    code = "INBOX_MESSAGE_NOT_FOUND"
    message = "No such message in your inbox."
