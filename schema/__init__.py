"""The one GraphQL schema: every context's Query, Mutation and Subscription combined."""

from __future__ import annotations

from datetime import datetime

import strawberry
from strawberry import relay
from strawberry.schema.config import StrawberryConfig

from domain.kernel.settings import Settings, get_settings
from schema.accounts import AccountsMutation, AccountsQuery, AccountsSubscription
from schema.accounts.audit import AuditQuery
from schema.accounts.notes import NotesMutation
from schema.affiliates import AffiliatesMutation, AffiliatesQuery
from schema.bonuses import BonusesMutation, BonusesQuery, BonusesSubscription
from schema.brands import ThemeMutation, ThemeQuery
from schema.brands.themes import MARKDOWN, Markdown
from schema.casino import CasinoMutation, CasinoQuery
from schema.compliance import (
    AmlMutation,
    AmlQuery,
    ComplianceMutation,
    ComplianceSubscription,
    KycMutation,
    KycQuery,
    LinkingMutation,
    LinkingQuery,
)
from schema.context import Info
from schema.extensions import StakehouseSchema, extensions_for
from schema.inputs import DATETIME
from schema.messaging import MessagingMutation, MessagingQuery, MessagingSubscription
from schema.money import DECIMAL_SCALARS
from schema.payments import PaymentsMutation, PaymentsQuery
from schema.reporting import ReportingQuery, ReportingSubscription
from schema.reporting.operations import OperationsQuery
from schema.segments import SegmentsMutation, SegmentsQuery
from schema.sportsbook import SportsbookMutation, SportsbookQuery, SportsbookSubscription
from schema.sportsbook.booking import BookingMutation, BookingQuery
from schema.sportsbook.resulting import ResultingMutation
from schema.sportsbook.subscriptions import pass_published_values
from schema.sportsbook.trading import TradingMutation, TradingQuery
from schema.wallets import WalletsMutation, WalletsQuery, WalletsSubscription


@strawberry.type
class Query(
    OperationsQuery,
    AccountsQuery,
    WalletsQuery,
    PaymentsQuery,
    CasinoQuery,
    SportsbookQuery,
    TradingQuery,
    BookingQuery,
    ReportingQuery,
    AffiliatesQuery,
    ThemeQuery,
    BonusesQuery,
    KycQuery,
    AmlQuery,
    LinkingQuery,
    AuditQuery,
    SegmentsQuery,
    MessagingQuery,
):
    @strawberry.field(description="Fetch any object by its global ID (null if not visible).")
    async def node(self, info: Info, id: relay.GlobalID) -> relay.Node | None:
        try:
            return await id.resolve_node(info, required=False)
        except (KeyError, ValueError):
            return None


@strawberry.type
class Mutation(
    AccountsMutation,
    NotesMutation,
    WalletsMutation,
    PaymentsMutation,
    CasinoMutation,
    SportsbookMutation,
    TradingMutation,
    BookingMutation,
    ResultingMutation,
    ComplianceMutation,
    MessagingMutation,
    ThemeMutation,
    BonusesMutation,
    KycMutation,
    AmlMutation,
    LinkingMutation,
    AffiliatesMutation,
    SegmentsMutation,
):
    pass


@strawberry.type
class Subscription(
    AccountsSubscription,
    WalletsSubscription,
    SportsbookSubscription,
    ReportingSubscription,
    MessagingSubscription,
    BonusesSubscription,
    ComplianceSubscription,
):
    pass


def build_schema(
    settings: Settings | None = None, *, direct_resolvers: bool = True
) -> strawberry.Schema:
    """`direct_resolvers=False`: strawberry's own resolvers only (see StakehouseSchema)."""
    settings = settings or get_settings()
    schema = StakehouseSchema(
        direct_resolvers=direct_resolvers,
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
        extensions=extensions_for(settings),
        config=StrawberryConfig(
            auto_camel_case=True,
            scalar_map={**DECIMAL_SCALARS, datetime: DATETIME, Markdown: MARKDOWN},
        ),
    )
    pass_published_values(schema)
    return schema


def schema_sdl() -> str:
    from strawberry.printer import print_schema  # noqa: PLC0415

    return print_schema(build_schema()) + "\n"
