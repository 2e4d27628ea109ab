"""Which outbox topics go to which actors.

Every committed outbox event is published to pub/sub whatever its topic; this table only
says which actors also receive it, each as `(event_id, brand, payload)`, or, for batch
actors, once per relay batch with all the batch's events of their topics. Importing this
module declares every actor (and so configures the broker from settings).
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any, Final

import dramatiq

from domain.accounts.events import PlayerRegistered, PlayerStatusChanged
from domain.bonuses.events import LoyaltyTierChanged
from domain.compliance.events import LimitChanged, LimitIncreaseRequested, PlayerTimedOut
from domain.compliance.kyc.events import KycTierChanged
from domain.messaging.events import EmailQueued, SmsQueued
from domain.payments.events import PaymentStatusChanged, PayoutRequested
from domain.segments.events import CampaignDue, CrmLaneDue, MarketingConsentChanged
from domain.sportsbook.events import BetsSettled, MarketResulted
from domain.sportsbook.feed.events import MarketCorrectionRequested
from domain.wallets.events import BALANCE_CHANGED
from workers.actors import (
    bonuses,
    compliance,
    crm,
    feed,
    messaging,
    payments,
    reporting,
    segments,
    sportsbook,
)

Actor = dramatiq.Actor[..., Any]

_ROUTES: Final[dict[str, tuple[Actor, ...]]] = {
    PlayerRegistered.topic: (
        messaging.send_welcome,
        segments.evaluate_player,
    ),
    EmailQueued.topic: (messaging.send_email,),
    SmsQueued.topic: (messaging.send_sms,),
    PaymentStatusChanged.topic: (messaging.queue_payment_receipt, compliance.evaluate_payment),
    PlayerStatusChanged.topic: (
        messaging.queue_exclusion_confirmation,
        bonuses.forfeit_on_status,
        segments.evaluate_player,
    ),
    LimitIncreaseRequested.topic: (
        compliance.evaluate_limit_increase,
        segments.evaluate_player,
    ),
    KycTierChanged.topic: (segments.evaluate_player,),
    LimitChanged.topic: (segments.evaluate_player,),
    LoyaltyTierChanged.topic: (segments.evaluate_player,),
    MarketResulted.topic: (sportsbook.settle_market,),
    PayoutRequested.topic: (payments.submit_payout,),
    MarketCorrectionRequested.topic: (feed.correct_market,),
    MarketingConsentChanged.topic: (segments.evaluate_player,),
    CampaignDue.topic: (segments.send_campaign,),
    BetsSettled.topic: (),
    PlayerTimedOut.topic: (),
    CrmLaneDue.topic: (crm.deliver,),
}
# Every topic the CRM streams also goes to its recorder (workers/actors/crm.py).
ROUTES: Final[Mapping[str, tuple[Actor, ...]]] = MappingProxyType(
    {
        topic: actors + ((crm.RECORDERS[topic],) if topic in crm.RECORDERS else ())
        for topic, actors in _ROUTES.items()
    }
)


# Actors that take a relay batch's events of these topics in one message,
# `[[event_id, topic, brand, payload], ...]`: their work is cheaper per event in bulk (the
# reporting read model and the segments' behaviour facts sum a batch's increments per
# cell, one upsert per batch; segments re-evaluate a batch's players once per brand).
BATCH_ROUTES: Final[Mapping[str, tuple[Actor, ...]]] = MappingProxyType(
    {
        PlayerRegistered.topic: (reporting.apply_batch,),
        BALANCE_CHANGED: (reporting.apply_batch, segments.apply_activity_batch),
    }
)


def actors_for(topic: str) -> tuple[Actor, ...]:
    """The actors that consume `topic` one event a message; empty when it only goes to
    pub/sub (or only to batch actors)."""
    return ROUTES.get(topic, ())


def batch_actors_for(topic: str) -> tuple[Actor, ...]:
    """The actors that consume `topic` in batches (BATCH_ROUTES)."""
    return BATCH_ROUTES.get(topic, ())


def routed(topic: str) -> bool:
    """Whether any actor consumes `topic`, one event a message or in batches: the relay
    sends a batch to the broker only then (a batch of events no actor takes goes to
    pub/sub alone)."""
    return bool(actors_for(topic) or batch_actors_for(topic))
