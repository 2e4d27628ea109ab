"""Errors of the segments context (stable codes)."""

from __future__ import annotations

from domain.kernel.errors import DomainError


class InvalidRule(DomainError):
    code = "INVALID_RULE"
    message = "The rule is not valid."

    def __init__(self, message: str | None = None, *, field: str | None = "rule") -> None:
        super().__init__(message, field=field)


class InvalidSegmentName(DomainError):
    code = "INVALID_NAME"
    message = "Give a name of 1-100 printable characters."

    def __init__(self, message: str | None = None, *, field: str | None = "name") -> None:
        super().__init__(message, field=field)


class SegmentNotFound(DomainError):
    # Also for another brand's segment.
    code = "SEGMENT_NOT_FOUND"
    message = "No such segment."


class InvalidPlayerList(DomainError):
    code = "INVALID_PLAYER_LIST"
    message = "The list is not a valid CSV of player e-mail addresses or ids."

    def __init__(self, message: str | None = None, *, field: str | None = "csv") -> None:
        super().__init__(message, field=field)


class InvalidCampaign(DomainError):
    code = "INVALID_CAMPAIGN"
    message = "The campaign is not valid."


class CampaignNotFound(DomainError):
    code = "CAMPAIGN_NOT_FOUND"
    message = "No such campaign."


class ChannelUnavailable(DomainError):
    code = "CHANNEL_UNAVAILABLE"
    message = "Campaigns cannot be sent on this channel yet."

    def __init__(self, message: str | None = None, *, field: str | None = "channel") -> None:
        super().__init__(message, field=field)


class InvalidUnsubscribeToken(DomainError):
    code = "INVALID_TOKEN"
    message = "This unsubscribe link is not valid."


class InvalidAudience(DomainError):
    code = "INVALID_AUDIENCE"
    message = "The audience is not valid."


class UnknownAudiencePlayers(DomainError):
    # Players of other brands too: the CRM is told nothing about who exists elsewhere.
    code = "UNKNOWN_PLAYERS"
    message = "The audience names players this brand does not have."

    def __init__(self, count: int) -> None:
        super().__init__(
            f"The audience names {count} players this brand does not have; nothing changed.",
            field="player_ids",
        )
        self.count = count
