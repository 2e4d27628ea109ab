"""Affiliate queries: the programme for staff with report.read, and the affiliate's own
view by its access key."""

from __future__ import annotations

from datetime import date
from typing import Annotated

import strawberry
from strawberry import relay

from domain.accounts.permissions import Permission
from resolvers.affiliates import affiliates as resolvers
from resolvers.permissions import HasPermission
from schema.affiliates.types import Affiliate, AffiliatePortal, AffiliateStatement
from schema.context import Info
from schema.errors import as_query_error
from schema.ids import uuid_of

_FROM = strawberry.argument(name="from", description="A day of the first month.")
_TO = strawberry.argument(description="A day of the last month (at most 13 months).")


@strawberry.type
class AffiliatesQuery:
    @strawberry.field(
        description="Staff (report.read): the brand's affiliates (the first 100 by name), "
        "with their plans and tracking codes.",
        extensions=[HasPermission.extension(Permission.REPORT_READ)],
    )
    async def affiliates(self, info: Info) -> list[Affiliate]:
        with as_query_error():
            found = await resolvers.affiliates(info.context)
        return [Affiliate.of(row, codes) for row, codes in found]

    @strawberry.field(
        description="Staff (report.read): an affiliate's monthly statements over months "
        "[from, to]; null when this brand has no such affiliate. Errors (extensions.code): "
        "INVALID_RANGE.",
        extensions=[HasPermission.extension(Permission.REPORT_READ)],
    )
    async def affiliate_statements(
        self,
        info: Info,
        affiliate_id: relay.GlobalID,
        from_: Annotated[date, _FROM],
        to: Annotated[date, _TO],
    ) -> list[AffiliateStatement] | None:
        with as_query_error():
            found = await resolvers.affiliate_statements(
                info.context, uuid_of(affiliate_id, "Affiliate"), from_, to
            )
        return None if found is None else [AffiliateStatement.of(s) for s in found]

    @strawberry.field(
        description="For an affiliate, by the access key it was given: its referred "
        "players' aggregates per month and currency, registrations and statements over "
        "months [from, to]. No player is named. Null for an unknown key. Errors "
        "(extensions.code): INVALID_RANGE."
    )
    async def affiliate_portal(
        self,
        info: Info,
        access_key: str,
        from_: Annotated[date, _FROM],
        to: Annotated[date, _TO],
    ) -> AffiliatePortal | None:
        with as_query_error():
            view = await resolvers.portal_view(info.context, access_key, from_, to)
        return None if view is None else AffiliatePortal.of(view)
