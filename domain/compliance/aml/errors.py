"""AML errors, with stable codes."""

from __future__ import annotations

from domain.compliance.errors import PlayerBlocked
from domain.kernel.errors import DomainError


class EnhancedChecksRequired(PlayerBlocked):
    """The player's deposits are held by an AML alert (the pack's answer to its 30-day
    threshold) until risk staff record its outcome."""

    code = "ENHANCED_CHECKS_REQUIRED"
    message = (
        "We need to run some extra checks before you can deposit again. Our team will contact you."
    )


class AlertNotFound(DomainError):
    code = "ALERT_NOT_FOUND"
    message = "There is no such alert."


class AlertTakenByOther(DomainError):
    code = "ALERT_TAKEN_BY_OTHER"
    message = "Another analyst has taken this alert."


class AlertClosed(DomainError):
    """The alert has its outcome (only a referral may still be cleared)."""

    code = "ALERT_CLOSED"
    message = "This alert is closed."


class InvalidNote(DomainError):
    code = "INVALID_NOTE"
    message = "Write a note of 1 to 2000 printable characters."


class EnhancedDueDiligenceRequired(DomainError):
    """A hold on deposits is released only once the player has completed enhanced due
    diligence (the KYC enhanced tier)."""

    code = "ENHANCED_DUE_DILIGENCE_REQUIRED"
    message = "The player must complete enhanced verification before this hold can be cleared."
