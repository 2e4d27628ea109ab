"""Which outbox topics go to which actors.

Every committed outbox event is published to pub/sub whatever its topic; this table only
says which actors also receive it, each as `(event_id, brand, payload)`. Importing this
module declares every actor (and so configures the broker from settings).
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any, Final

import dramatiq

from domain.accounts.events import PlayerRegistered, PlayerStatusChanged
from domain.payments.events import PayoutRequested
from domain.sportsbook.events import MarketResulted
from domain.sportsbook.feed.events import MarketCorrectionRequested
from workers.actors import bonuses, feed, messaging, payments, sportsbook

Actor = dramatiq.Actor[..., Any]

ROUTES: Final[Mapping[str, tuple[Actor, ...]]] = MappingProxyType(
    {
        PlayerRegistered.topic: (messaging.send_welcome,),
        PlayerStatusChanged.topic: (bonuses.forfeit_on_status,),
        MarketResulted.topic: (sportsbook.settle_market,),
        PayoutRequested.topic: (payments.submit_payout,),
        MarketCorrectionRequested.topic: (feed.correct_market,),
    }
)


def actors_for(topic: str) -> tuple[Actor, ...]:
    """The actors that consume `topic`; empty when it only goes to pub/sub."""
    return ROUTES.get(topic, ())
