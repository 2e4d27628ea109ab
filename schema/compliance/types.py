"""Player protection types: a limit with its usage and any change waiting for the player's
confirmation, and the reality-check reminder of the viewer's session."""

from __future__ import annotations

from datetime import datetime
from typing import Self

import strawberry

from domain.compliance import identity, limits, protection
from domain.compliance import models as compliance_models
from schema.ids import global_id
from schema.money import Money

# The domain's enums are the GraphQL enums (registered in place), so values need no mapping.
LimitKind = strawberry.enum(
    compliance_models.LimitKind,
    name="LimitKind",
    description="What a limit counts: deposits, net losses (stakes - returns), stakes, or "
    "minutes per signed-in session.",
)
LimitPeriod = strawberry.enum(
    compliance_models.LimitPeriod,
    name="LimitPeriod",
    description="Rolling windows: the last 24 hours, 7 days, 30 days; SESSION for session limits.",
)
TimeOutPeriod = strawberry.enum(
    protection.TimeOutPeriod,
    name="TimeOutPeriod",
    description="How long a time-out lasts: 24 hours, 7 days or 30 days.",
)


def _money(amount_minor: int | None, currency: str | None) -> Money | None:
    return None if amount_minor is None or currency is None else Money.of(amount_minor, currency)


@strawberry.type(description="An increase or removal waiting for the player's confirmation.")
class PendingLimitChange:
    amount: Money | None = strawberry.field(description="The new amount; null for a removal.")
    minutes: int | None = strawberry.field(description="The new session limit, in minutes.")
    removal: bool
    requested_at: datetime
    can_confirm_at: datetime = strawberry.field(
        description="From then on the player may confirm it (24 hours after asking); until "
        "they do, the old limit holds."
    )

    @classmethod
    def of(cls, pending: limits.PendingChange, currency: str | None) -> Self:
        session = currency is None
        return cls(
            amount=None if session else _money(pending.amount_minor, currency),
            minutes=pending.amount_minor if session else None,
            removal=pending.amount_minor is None,
            requested_at=pending.requested_at,
            can_confirm_at=pending.can_confirm_at,
        )


@strawberry.type(
    description="A limit the player set. Money limits carry `amount`, `used` and "
    "`remaining` in the player's currency; a session limit carries minutes instead."
)
class Limit:
    kind: compliance_models.LimitKind
    period: compliance_models.LimitPeriod
    amount: Money | None
    used: Money | None
    remaining: Money | None
    minutes: int | None
    used_minutes: int | None
    remaining_minutes: int | None
    pending: PendingLimitChange | None

    @classmethod
    def of(cls, limit: limits.Limit) -> Self:
        currency = limit.currency
        session = currency is None
        return cls(
            kind=limit.kind,
            period=limit.period,
            amount=_money(limit.amount_minor, currency),
            used=_money(limit.used_minor, currency),
            remaining=_money(limit.remaining_minor, currency),
            minutes=limit.amount_minor if session else None,
            used_minutes=limit.used_minor if session else None,
            remaining_minutes=limit.remaining_minor if session else None,
            pending=PendingLimitChange.of(limit.pending, currency) if limit.pending else None,
        )


@strawberry.type(description="The reality-check reminder of the viewer's current session.")
class RealityCheck:
    minutes: int = strawberry.field(description="The interval the player chose.")
    session_started_at: datetime
    due_at: datetime = strawberry.field(description="When the next reminder is (was) due.")
    due: bool = strawberry.field(description="Show the reminder now.")
    net_loss: Money = strawberry.field(
        description="Stakes minus returns in this session (negative: the player is ahead); "
        "computed when due, else zero."
    )

    @classmethod
    def of(cls, state: protection.RealityCheckState) -> Self:
        return cls(
            minutes=state.minutes,
            session_started_at=state.session_started_at,
            due_at=state.due_at,
            due=state.due,
            net_loss=Money.of(state.net_loss_minor, state.currency),
        )


@strawberry.type(
    description="A player of the same person (one human across the operator's brands), as "
    "risk staff see it: only on brands within their scope."
)
class LinkedPlayer:
    player_id: strawberry.ID = strawberry.field(description="The linked player's `Player.id`.")
    brand: str
    status: str = strawberry.field(description="ACTIVE, SUSPENDED, SELF_EXCLUDED or CLOSED.")
    rule: str = strawberry.field(
        description="What linked it: `email_dob` (same e-mail and date of birth) or `new` "
        "(nothing to match on)."
    )

    @classmethod
    def of(cls, linked: identity.LinkedPlayer) -> Self:
        return cls(
            player_id=global_id("Player", linked.player_id),
            brand=linked.brand,
            status=linked.status.upper(),
            rule=linked.rule,
        )


@strawberry.type(
    description="The viewer's session as the brand's jurisdiction asks to show it: a "
    "session clock and the net position (wins - stakes) since sign-in."
)
class ViewerSession:
    started_at: datetime
    net_position: Money = strawberry.field(
        description="Returns minus stakes since the session began (negative: a loss)."
    )

    @classmethod
    def of(cls, state: protection.SessionDisplay) -> Self:
        return cls(
            started_at=state.started_at,
            net_position=Money.of(state.net_position_minor, state.currency),
        )
