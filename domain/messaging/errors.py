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


class ConversationNotFound(DomainError):
    # Also for another player's or another brand's conversation.
    code = "CONVERSATION_NOT_FOUND"
    message = "No such conversation."


class ConversationClosed(DomainError):
    code = "CONVERSATION_CLOSED"
    message = "This conversation is closed. Start a new one."


class InvalidChatMessage(DomainError):
    code = "INVALID_MESSAGE"
    message = "Write a message of 1 to 2,000 characters."
