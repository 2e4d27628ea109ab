"""Every actor of the platform. Importing this package configures the broker from
settings first, because Dramatiq binds an actor to the global broker when it is declared;
so `dramatiq workers.actors` runs them all.
"""

from workers.broker import setup_broker

broker = setup_broker()

# Imported after the broker is set, for their side effect of declaring actors on it.
from workers.actors import (  # noqa: E402
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

__all__ = [
    "bonuses",
    "broker",
    "compliance",
    "crm",
    "feed",
    "messaging",
    "payments",
    "reporting",
    "segments",
    "sportsbook",
]
