"""Affiliate types: the programme for staff, and the affiliate's own view (aggregates of
its players only, never a player)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from enum import Enum
from typing import Self

import strawberry

from domain.affiliates import portal
from domain.affiliates.models import Affiliate as AffiliateModel
from domain.affiliates.models import PlanKind
from domain.affiliates.models import Statement as StatementModel
from domain.affiliates.models import TrackingCode as TrackingCodeModel
from domain.affiliates.programme import plan_of
from schema.ids import global_id
from schema.money import Money


@strawberry.enum(description="How an affiliate is paid.")
class AffiliatePlan(Enum):
    CPA = PlanKind.CPA.value
    REVSHARE = PlanKind.REVSHARE.value
    HYBRID = PlanKind.HYBRID.value


@strawberry.type(description="What a referred player must reach, in one currency, to earn a CPA.")
class AffiliateCpa:
    amount: Money
    minimum_deposits: Money = strawberry.field(description="Lifetime deposits by month end.")
    minimum_stakes: Money = strawberry.field(description="Lifetime stakes by month end.")


@strawberry.type(description="A btag the affiliate's landing links carry (`?btag=<code>`).")
class AffiliateTrackingCode:
    code: str
    campaign: str

    @classmethod
    def of(cls, row: TrackingCodeModel) -> Self:
        return cls(code=row.code, campaign=row.campaign)


@strawberry.type
class Affiliate:
    id: strawberry.ID
    name: str
    plan: AffiliatePlan
    cpa: list[AffiliateCpa]
    revshare_percent: Decimal = strawberry.field(description='Percent of NGR, e.g. "25.00".')
    negative_carry_over: bool
    postback_url: str | None
    tracking_codes: list[AffiliateTrackingCode]

    @classmethod
    def of(cls, row: AffiliateModel, codes: list[TrackingCodeModel]) -> Self:
        plan = plan_of(row)
        return cls(
            id=global_id("Affiliate", row.id),
            name=row.name,
            plan=AffiliatePlan(plan.kind.value),
            cpa=[
                AffiliateCpa(
                    amount=Money.of(t.amount_minor, c),
                    minimum_deposits=Money.of(t.min_deposit_minor, c),
                    minimum_stakes=Money.of(t.min_stakes_minor, c),
                )
                for c, t in sorted(plan.cpa.items())
            ],
            revshare_percent=plan.revshare_percent,
            negative_carry_over=plan.negative_carry_over,
            postback_url=row.postback_url,
            tracking_codes=[AffiliateTrackingCode.of(c) for c in codes],
        )


@strawberry.type(description="An affiliate's commission for a business month in one currency.")
class AffiliateStatement:
    id: strawberry.ID
    month: date = strawberry.field(description="The month's first day.")
    currency: str
    players: int = strawberry.field(description="Referred players with activity that month.")
    ngr: Money
    adjustment: Money = strawberry.field(
        description="Earlier months' NGR the figures learnt of after their statements (late "
        "corrections), settled here: RevShare is on NGR + adjustment + carried in."
    )
    carried_in: Money = strawberry.field(description="Negative NGR carried from last month.")
    revshare: Money
    cpa_players: int
    cpa: Money
    total: Money = strawberry.field(description="Booked through the ledger when above zero.")
    carried_out: Money = strawberry.field(description="Negative NGR carried to next month.")

    @classmethod
    def of(cls, row: StatementModel) -> Self:
        c = row.currency
        return cls(
            id=global_id("AffiliateStatement", row.id),
            month=row.month,
            currency=c,
            players=row.players,
            ngr=Money.of(row.ngr_minor, c),
            adjustment=Money.of(row.adjustment_ngr_minor, c),
            carried_in=Money.of(row.carried_in_minor, c),
            revshare=Money.of(row.revshare_minor, c),
            cpa_players=row.cpa_players,
            cpa=Money.of(row.cpa_minor, c),
            total=Money.of(row.total_minor, c),
            carried_out=Money.of(row.carried_out_minor, c),
        )


@strawberry.type(description="Referred players' aggregates for a month in one currency.")
class AffiliatePortalMonth:
    month: date
    currency: str
    active_players: int
    first_depositors: int
    deposits: Money
    ngr: Money


@strawberry.type(description="Registrations through the affiliate's codes in a month.")
class AffiliateRegistrations:
    month: date
    registrations: int


@strawberry.type(description="The affiliate's own view: aggregates only, no player data.")
class AffiliatePortal:
    name: str
    registrations: list[AffiliateRegistrations]
    months: list[AffiliatePortalMonth]
    statements: list[AffiliateStatement]

    @classmethod
    def of(cls, view: portal.PortalView) -> Self:
        return cls(
            name=view.name,
            registrations=[
                AffiliateRegistrations(month=m, registrations=n)
                for m, n in sorted(view.registrations.items())
            ],
            months=[
                AffiliatePortalMonth(
                    month=m.month,
                    currency=m.currency,
                    active_players=m.active_players,
                    first_depositors=m.first_depositors,
                    deposits=Money.of(m.deposits_minor, m.currency),
                    ngr=Money.of(m.ngr_minor, m.currency),
                )
                for m in view.months
            ],
            statements=[AffiliateStatement.of(s) for s in view.statements],
        )
