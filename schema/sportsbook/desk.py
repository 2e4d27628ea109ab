"""What the trading desk's mutations share (trading, booking, resulting): the errors every
staff mutation can answer, the descriptions of the desk and of its mandatory reason, and
the conversions between global ids, rows and payload fields."""

from __future__ import annotations

from strawberry import relay

from domain.accounts import errors as account_errors
from domain.kernel.errors import PermissionDenied, ReasonRequired
from domain.sportsbook import models as sportsbook_models
from domain.sportsbook import trading
from resolvers.sportsbook import booking as booking_resolvers
from schema.ids import int_of
from schema.sportsbook.types import Market

STAFF_ERRORS = (
    PermissionDenied,
    account_errors.TwoFactorRequired,
    account_errors.PasswordChangeRequired,
    ReasonRequired,
)
"""The refusals of every staff mutation of the desk; each mutation adds its own."""

REASON = f"Why (mandatory, at most {trading.REASON_LENGTH_MAX} characters); kept in the audit log."
"""The description of each desk input's `reason`."""

# The catalogue is one book for every brand: changing it is the platform trading desk's.
DESK = "Staff (market.trade, every brand: the catalogue is shared): "
"""The start of the description of each desk field."""


def node_id(global_id: relay.GlobalID, type_name: str) -> int:
    """The row id of a global id; an id of another type, or none, finds nothing."""
    return int_of(global_id, type_name) or booking_resolvers.NONE_ID


def market_of(row: sportsbook_models.Market | None) -> Market | None:
    return Market.from_model(row) if row is not None else None
