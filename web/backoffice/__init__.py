"""The staff back office: a server-rendered console on the admin hosts
(`STAKEHOUSE_ADMIN_HOSTS`), shaped like the brand sites (web/site) and, like them, a client
of the public GraphQL schema through named documents (`documents/*.graphql`) executed in
process. It can do nothing the API does not allow; each page's access and the navigation
are computed from the permissions its documents need (web.backoffice.access).

A page joins the console as an `Area` here, a module with its handlers, a template and its
documents.
"""

from __future__ import annotations

from typing import Final

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import BaseRoute, Host, Route, Router
from starlette.types import Receive, Scope, Send
from strawberry.schema.base import BaseSchema

from domain.brands.service import BrandRegistry
from domain.kernel.settings import Settings
from web.backoffice import strings
from web.backoffice.access import Area
from web.backoffice.affiliates import AffiliatePages
from web.backoffice.aml import AmlPages
from web.backoffice.audit import AuditPages
from web.backoffice.bonuses import BonusPages
from web.backoffice.casino import CasinoPages
from web.backoffice.console import PACKAGE_DIR, Console
from web.backoffice.dashboard import DashboardPage
from web.backoffice.deposits import DepositPages
from web.backoffice.kyc import KycPages
from web.backoffice.payments import PaymentPages
from web.backoffice.players import PlayerPages
from web.backoffice.reports import ReportPages
from web.backoffice.resulting import ResultingPages
from web.backoffice.segments import SegmentPages
from web.backoffice.sign_in import SignInPages
from web.backoffice.staff import StaffPages
from web.backoffice.support import SupportPages
from web.backoffice.themes import ThemePages
from web.backoffice.trading import TradingPages
from web.backoffice.trading_setup import TradingSetupPages
from web.static_assets import static_file

STYLESHEET: Final = PACKAGE_DIR / "static" / "backoffice.css"

# The console's pages in navigation order: what each reads to show, and the actions it
# offers. Access follows from these documents, never from a list of roles.
AREAS: Final = [
    Area("dashboard", "/", strings.TEXT["dashboard"], reads=("StaffViewer",)),
    Area(
        "players",
        "/players",
        strings.TEXT["players"],
        reads=("FindPlayers", "PlayerProfile"),
        actions=("SetPlayerStatus", "RevokePlayerSessions", "AdjustBalance", "AddPlayerNote"),
    ),
    Area(
        "payments",
        "/payments",
        strings.TEXT["payments"],
        reads=("PendingWithdrawals",),
        actions=("ApproveWithdrawal", "RejectWithdrawal"),
    ),
    Area(
        "deposits",
        "/payments/deposits",
        strings.TEXT["deposit_search"],
        reads=("SearchDeposits",),
    ),
    Area(
        "kyc",
        "/kyc",
        strings.TEXT["kyc"],
        reads=("KycReviewQueue",),
        actions=("DecideKycReview",),
    ),
    Area(
        "aml",
        "/aml",
        strings.TEXT["aml"],
        reads=("AmlQueue",),
        actions=("TakeAmlAlert", "CloseAmlAlert"),
    ),
    Area(
        "trading",
        "/trading",
        strings.TEXT["trading"],
        reads=("TradingEvents", "MarketLiabilities"),
        actions=(
            "SuspendMarket",
            "ResumeMarket",
            "SetMarketMargin",
            "OverrideOdds",
            "ReleaseOddsOverride",
            "CreateEvent",
            "CreateMarket",
            "ResultMarket",
            "VoidMarket",
            "RollbackSettlement",
        ),
    ),
    Area(
        "casino",
        "/casino",
        strings.TEXT["casino"],
        reads=("CasinoManagement",),
        actions=("SetCasinoGameEnabled", "SetCasinoProviderEnabled"),
    ),
    Area(
        "reconciliation",
        "/casino/reconciliation",
        strings.TEXT["reconciliation"],
        reads=("CasinoReconciliation",),
    ),
    Area(
        "themes",
        "/themes",
        strings.TEXT["themes"],
        reads=("ThemeVersions", "ThemeTranslations"),
        actions=("SaveThemeDraft", "UploadThemeAsset", "PublishTheme", "SaveThemeTranslations"),
    ),
    Area(
        "staff",
        "/staff",
        strings.TEXT["staff"],
        reads=("StaffMembers",),
        actions=("CreateStaffMember", "SetStaffRoles"),
    ),
    Area(
        "support",
        "/support",
        strings.TEXT["support"],
        reads=("SupportQueue",),
        actions=("TakeSupportConversation", "ReplyToSupportConversation"),
    ),
    Area("reports", "/reports", strings.TEXT["reports"], reads=("ReportLines",)),
    Area(
        "bonuses",
        "/bonuses",
        strings.TEXT["bonuses"],
        reads=("BonusDesk",),
        actions=("CancelBonusGrant",),
    ),
    Area(
        "segments",
        "/segments",
        strings.TEXT["segments"],
        reads=("SegmentsDesk",),
        actions=("ImportSegment", "CreateCampaign"),
    ),
    Area(
        "bonus_abuse",
        "/bonuses/abuse",
        strings.TEXT["bonus_abuse"],
        reads=("BonusAbuseFlags",),
    ),
    Area(
        "affiliates",
        "/affiliates",
        strings.TEXT["affiliates"],
        reads=("Affiliates", "AffiliateStatements"),
        actions=("CreateAffiliate", "AddAffiliateTrackingCode", "RunAffiliateStatements"),
    ),
    Area("audit", "/audit", strings.TEXT["audit"], reads=("AuditLog",)),
]


def build_console(settings: Settings, schema: BaseSchema, registry: BrandRegistry) -> Console:
    return Console(settings, schema, registry, AREAS)


def console_routes(console: Console) -> list[Route]:
    sign_in = SignInPages(console)
    dashboard = DashboardPage(console)
    players = PlayerPages(console)
    payments = PaymentPages(console)
    kyc = KycPages(console)
    segments = SegmentPages(console)
    aml = AmlPages(console)
    trading = TradingPages(console)
    casino = CasinoPages(console)
    staff = StaffPages(console)
    themes = ThemePages(console)
    audit = AuditPages(console)
    bonuses = BonusPages(console)
    reports = ReportPages(console)
    deposits = DepositPages(console)
    support = SupportPages(console)
    setup = TradingSetupPages(console)
    resulting = ResultingPages(console)
    affiliates = AffiliatePages(console)
    both = ["GET", "POST"]
    post = ["POST"]

    async def stylesheet(request: Request) -> Response:
        return static_file(STYLESHEET, media_type="text/css")

    return [
        Route("/", dashboard.show, methods=["GET"]),
        Route("/login", sign_in.login, methods=both),
        Route("/login/two-factor", sign_in.two_factor, methods=both),
        Route("/password", sign_in.password, methods=both),
        Route("/logout", sign_in.logout, methods=post),
        Route("/brand", sign_in.switch_brand, methods=post),
        Route("/players", players.search, methods=["GET"]),
        Route("/players/{id}", players.profile, methods=["GET"]),
        Route("/players/{id}/status", players.set_status, methods=post),
        Route("/players/{id}/revoke-sessions", players.revoke_sessions, methods=post),
        Route("/players/{id}/notes", players.add_note, methods=post),
        Route("/players/{id}/adjust-balance", players.adjust_balance, methods=post),
        Route("/payments", payments.queue, methods=["GET"]),
        Route("/payments/deposits", deposits.search, methods=["GET"]),
        Route("/payments/deposits.csv", deposits.csv, methods=["GET"]),
        Route("/payments/approve", payments.approve, methods=post),
        Route("/payments/reject", payments.reject, methods=post),
        Route("/kyc", kyc.queue, methods=["GET"]),
        Route("/kyc/decide", kyc.decide, methods=post),
        Route("/segments", segments.desk, methods=["GET"]),
        Route("/segments/import", segments.import_list, methods=post),
        Route("/segments/campaigns", segments.send, methods=post),
        Route("/aml", aml.queue, methods=["GET"]),
        Route("/aml/take", aml.take, methods=post),
        Route("/aml/close", aml.close, methods=post),
        Route("/support", support.queue, methods=["GET"]),
        Route("/support/stream", support.stream, methods=["GET"]),
        Route("/support/take", support.take, methods=post),
        Route("/support/reply", support.reply, methods=post),
        Route("/trading", trading.events, methods=["GET"]),
        Route("/trading/suspend", trading.suspend, methods=post),
        Route("/trading/resume", trading.resume, methods=post),
        Route("/trading/margin", trading.margin, methods=post),
        Route("/trading/market/{id}", trading.market, methods=["GET"]),
        Route("/trading/market/{id}/override", trading.override, methods=post),
        Route("/trading/market/{id}/release", trading.release, methods=post),
        Route("/trading/events/new", setup.new_event, methods=["GET"]),
        Route("/trading/events/new", setup.create_event, methods=post),
        Route("/trading/event/{id}", setup.event, methods=["GET"]),
        Route("/trading/event/{id}/markets", setup.create_market, methods=post),
        Route("/trading/market/{id}/result", resulting.form, methods=["GET"]),
        Route("/trading/market/{id}/result", resulting.submit, methods=post),
        Route("/trading/market/{id}/rollback", resulting.roll_back, methods=post),
        Route("/casino", casino.games, methods=["GET"]),
        Route("/casino/game", casino.switch_game, methods=post),
        Route("/casino/provider", casino.switch_provider, methods=post),
        Route("/casino/reconciliation", casino.reconciliation, methods=["GET"]),
        Route("/themes", themes.editor, methods=["GET"]),
        Route("/themes/save", themes.save, methods=post),
        Route("/themes/publish", themes.publish, methods=post),
        Route("/themes/translations", themes.save_translations, methods=post),
        Route("/staff", staff.overview, methods=["GET"]),
        Route("/staff/create", staff.create, methods=post),
        Route("/staff/roles", staff.set_roles, methods=post),
        Route("/reports", reports.report, methods=["GET"]),
        Route("/reports.csv", reports.csv, methods=["GET"]),
        Route("/bonuses", bonuses.desk, methods=["GET"]),
        Route("/bonuses/cancel", bonuses.cancel, methods=post),
        Route("/bonuses/abuse", bonuses.abuse, methods=["GET"]),
        Route("/affiliates", affiliates.overview, methods=["GET"]),
        Route("/affiliates/create", affiliates.create, methods=post),
        Route("/affiliates/statements/run", affiliates.run_statements, methods=post),
        Route("/affiliates/{id}", affiliates.affiliate, methods=["GET"]),
        Route("/affiliates/{id}/codes", affiliates.add_code, methods=post),
        Route("/affiliates/{id}/statements.csv", affiliates.csv, methods=["GET"]),
        Route("/audit", audit.log, methods=["GET"]),
        Route("/audit.csv", audit.csv, methods=["GET"]),
        Route("/static/backoffice.css", stylesheet, methods=["GET"]),
    ]


def backoffice_routes(console: Console, settings: Settings) -> list[BaseRoute]:
    """The console on every admin host: these hosts serve nothing else (no brand pages, no
    GraphQL endpoint, whose cookie rule is the brand sites')."""

    async def not_found(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": 1008})
            return
        response = PlainTextResponse("Not found", status_code=404)
        await response(scope, receive, send)

    router = Router(routes=console_routes(console), default=not_found)
    return [Host(host, app=router) for host in settings.admin_hosts]
