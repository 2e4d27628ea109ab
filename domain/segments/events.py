"""Events of the segments context (outbox topics)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from domain.kernel.outbox import Event


@dataclass(frozen=True)
class SegmentMembershipChanged(Event):
    """A player entered (`entered`) or left a segment (the CRM port and reports follow it)."""

    topic: ClassVar[str] = "segments.membership_changed"
    segment_id: str
    player_id: str
    entered: bool


@dataclass(frozen=True)
class MarketingConsentChanged(Event):
    """A player gave or withdrew marketing consent on a channel; segments re-evaluate the
    player (segments.evaluate_player)."""

    topic: ClassVar[str] = "segments.marketing_consent_changed"
    player_id: str
    channel: str
    granted: bool


@dataclass(frozen=True)
class CampaignDue(Event):
    """A campaign should send its next batch now (segments.send_campaign)."""

    topic: ClassVar[str] = "segments.campaign_due"
    campaign_id: str


@dataclass(frozen=True)
class CrmLaneDue(Event):
    """A player's lane to the CRM has an event to send (crm.deliver)."""

    topic: ClassVar[str] = "segments.crm_lane_due"
    player_id: str
