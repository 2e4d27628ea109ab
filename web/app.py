"""The ASGI application: GraphQL (HTTP and WebSocket), operations endpoints, dev explorer.

One process serves every brand. Its lifespan owns the database engine, the pub/sub hub that
feeds subscriptions, and an outbox relay (several replicas may relay at once: rows are
claimed with SKIP LOCKED).
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
from collections.abc import AsyncIterator
from typing import Any, Final

from starlette.applications import Starlette
from starlette.routing import BaseRoute, Mount, Route, WebSocketRoute

from domain.brands.service import BrandRegistry
from domain.compliance.jurisdictions import check_packs
from domain.kernel import telemetry
from domain.kernel.db import Database
from domain.kernel.dead_letters import DeadLetterCount
from domain.kernel.pubsub import EventHub
from domain.kernel.settings import Settings
from domain.kernel.supervision import TaskHealth
from web import exports, health, report_exports
from web.backoffice import backoffice_routes, build_console, themes
from web.callbacks import callback_routes
from web.crmhooks import crm_routes
from web.devmail import mailbox_routes
from web.feed import feed_routes
from web.graphql import StakehouseGraphQL
from web.identity_sandbox_pages import identity_sandbox_routes
from web.kyc_callbacks import kyc_callback_routes
from web.mailhooks import mail_webhook_routes
from web.middleware import (
    BodyLimitMiddleware,
    BrandMiddleware,
    ErrorPageMiddleware,
    RequestContextMiddleware,
    SecurityHeadersMiddleware,
    TracingMiddleware,
)
from web.originals import originals_routes
from web.providers import provider_routes
from web.site import build_site, site_routes
from web.site.errors import ErrorPages
from web.site.live_themes import LIVE_THEMES_TASK, follow_live_themes
from web.site.tracking import AffiliateTrackingMiddleware
from web.smshooks import dev_sms_routes, sms_webhook_routes
from workers.relay import RELAY_TASK, run_relay

# gc.set_threshold for the API's process: see the lifespan.
GC_THRESHOLDS: Final = (10_000, 10, 100)

log = logging.getLogger(__name__)


def create_app(
    settings: Settings,
    registry: BrandRegistry | None = None,
    dead_letters: DeadLetterCount | None = None,
) -> Starlette:
    """`dead_letters`: how the dashboard counts the broker's dead letters; by default the
    configured broker's (none without a broker URL: the figure reads as unknown)."""
    if settings.database_url is None:
        raise RuntimeError(
            "STAKEHOUSE_DATABASE_URL is required (stakehouse dev starts an embedded one)"
        )
    database_url = settings.database_url
    registry = registry or BrandRegistry.load(settings.themes_dir)
    # Like the themes: a broken jurisdiction pack, or a brand without one, stops the boot.
    check_packs(brand.jurisdiction for brand in registry.by_slug.values())
    telemetry.configure_tracing(settings, service="api")
    graphql = StakehouseGraphQL(settings)
    if dead_letters is None and settings.broker_url is not None:
        dead_letters = _broker_dead_letters()

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[dict[str, Any]]:
        db = Database.connect(database_url, pool_size=settings.database_pool_size)
        hub = EventHub(database_url)
        await hub.start()
        stop = asyncio.Event()
        relay_health = TaskHealth(RELAY_TASK)
        relay = (
            asyncio.create_task(
                run_relay(db, database_url, stop, health=relay_health), name=RELAY_TASK
            )
            if settings.relay_in_api
            else None
        )
        # Palettes published in the back office reach this replica's site (no restart).
        live_themes = asyncio.create_task(
            follow_live_themes(db, hub, site.themes, stop, health=TaskHealth(LIVE_THEMES_TASK)),
            name=LIVE_THEMES_TASK,
        )
        _settle_collector()
        try:
            yield {
                "db": db,
                "hub": hub,
                # Long-lived tasks this replica cannot serve without, besides the hub's
                # (readiness).
                "tasks": (relay_health,) if relay is not None else (),
                "registry": registry,
                "settings": settings,
                "broker_url": settings.broker_url,
                "dead_letters": dead_letters,
            }
        finally:
            stop.set()
            live_themes.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await live_themes
            # A relay stuck past the grace period is cancelled by wait_for; shutdown goes on.
            if relay is not None:
                with contextlib.suppress(asyncio.CancelledError, TimeoutError):
                    await asyncio.wait_for(relay, timeout=10)
            await hub.stop()
            await db.dispose()

    # The staff back office first: an admin host serves only the console (web/backoffice).
    console = build_console(settings, graphql.schema, registry)
    routes: list[BaseRoute] = [
        *backoffice_routes(console, settings),
        Route("/livez", health.livez),
        Route("/readyz", health.readyz),
        Route("/metrics", health.metrics),
        # POST only: no operations over GET (DESIGN.md section 5).
        Route("/graphql", graphql, methods=["POST"]),
        WebSocketRoute("/graphql", graphql),
        Route("/account/transactions.csv", exports.transactions_csv, methods=["GET"]),
        Route("/reports/report.csv", report_exports.report_csv, methods=["GET"]),
        *callback_routes(settings),
        *kyc_callback_routes(settings),
        # Odds feed producers outside the cluster (signed, brandless).
        *feed_routes(settings),
        *mail_webhook_routes(settings),
        # The dev mailbox (none in production).
        *mailbox_routes(settings),
        # The built-in test identity provider for connected login (none in production).
        *identity_sandbox_routes(settings),
        # SMS delivery status; the test SMS provider and the dev SMS outbox (not production).
        *sms_webhook_routes(settings),
        *dev_sms_routes(settings),
        # Audience lists from each brand's outside CRM (signed with its CRM secret).
        *crm_routes(settings),
        *provider_routes(settings),
        # The in-house studio's game server (talks to the wallet only over HTTP).
        *originals_routes(),
    ]
    if not settings.is_production:
        from web.explorer import explorer_routes  # noqa: PLC0415

        routes.append(Mount("/graphiql", routes=explorer_routes(settings)))
    # The website last: its pages answer on brand hosts only. A broken theme stops start-up.
    site = build_site(settings, graphql.schema, registry)
    routes += site_routes(site, settings, registry)
    error_pages = ErrorPages(site, registry)
    app = Starlette(
        routes=routes, lifespan=lifespan, exception_handlers={404: error_pages.not_found}
    )
    app.add_middleware(AffiliateTrackingMiddleware, touch=settings.affiliate_touch)
    app.add_middleware(
        BodyLimitMiddleware,
        limit_bytes=settings.graphql_max_body_bytes,
        # The theme editor's save carries uploads and pages: its own limit, admin hosts only.
        raised={"/themes/save": themes.SAVE_BODY_BYTES_MAX},
        raised_hosts=settings.admin_hosts,
    )
    app.add_middleware(
        BrandMiddleware,
        registry_of=lambda: registry,
        api_hosts=settings.api_hosts,
        admin_hosts=settings.admin_hosts,
    )
    # Inside the request id and security headers (added later: outer), so an unexpected
    # error's answer carries both; outside the brand and body checks, so it catches theirs.
    app.add_middleware(ErrorPageMiddleware, server_error=error_pages.server_error)
    app.add_middleware(SecurityHeadersMiddleware, hsts=settings.is_production)
    app.add_middleware(RequestContextMiddleware)
    # Outermost: the request's span covers every other middleware.
    app.add_middleware(TracingMiddleware)
    return app


def _settle_collector() -> None:
    """The collector for a long-lived API process, set once the app has started."""
    # What start-up built (schema, themes, templates, modules: ~280k objects) lives as
    # long as the process: frozen, out of the collector's reach. And full collections
    # at most every ~10M net allocations, not 70k: each one walks every socket's objects
    # (at 2,000 sockets ~230 ms of CPU after the freeze, 360 ms before; 2.9 s of wall
    # clock on a loaded machine), a stall of every socket's frames: the fan-out's ~1 s
    # tail (issue 19, bench/README.md). Young collections walk up to 10k objects (a few
    # ms). Once per process (a test session starts many apps).
    if not gc.get_freeze_count():
        gc.collect()
        gc.freeze()
        gc.set_threshold(*GC_THRESHOLDS)


def _broker_dead_letters() -> DeadLetterCount:
    from workers.actors import broker  # noqa: PLC0415 (declares every queue)
    from workers.queues import BrokerDeadLetters  # noqa: PLC0415

    return BrokerDeadLetters(broker)
