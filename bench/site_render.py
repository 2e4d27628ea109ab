"""Site rendering benchmark: the casino lobby (GET /casino) and the event list (GET /sports)
on a brand host, against a plain Jinja render of the same data.

    .venv/bin/python -m bench.site_render [--rounds 5] [--calls 40] [--no-http]

Phases, on one database in one run, one caller each, taking turns round after round:

  floor              the page's template rendered with the brand's Jinja environment
                     (`get_template(...).render(...)`, as `Site.render` calls it) from plain
                     dicts: the very data the page's GraphQL documents return, fetched once
  app in process     the whole request through `create_app` (middleware, page handler, its
                     GraphQL documents against the database, rendering) over
                     httpx.ASGITransport, lifespan started by hand
  app over http      the same request over HTTP/1.1 keep-alive to the app under uvicorn in a
                     child process: time to the response headers (TTFB), to the first body
                     chunk, and to the end of the body

See bench/README.md for how to read the figures.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import cProfile
import difflib
import functools
import os
import re
import statistics
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import httpx
import psutil
from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from bench import fixtures
from domain.brands.service import BrandRegistry, sync_brands
from domain.kernel.db import Database
from domain.kernel.settings import Settings, get_settings

HOST = "aurora.localhost"
PAGES = ("/casino", "/sports")
# The cheapest request on the brand host (a diagnostic): what any request costs through the
# same client, transport and middleware, whatever the page.
PROBE = "/livez"
GOAL_RATIO = 1.5
GOAL_TTFB_MS = 15.0
NONCE = "bench-nonce"
CSRF_TOKEN = "bench-csrf"  # noqa: S105 (a placeholder, compared after normalising)
SLIP_KEY = "slip-bench"
T = TypeVar("T")

# One call: the milliseconds of each of its measures ("total", and over HTTP "headers" and
# "first byte").
Call = Callable[[], Awaitable[dict[str, float]]]


def say(line: str = "") -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def percentile(values: list[float], share: int) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[share - 1]


def server_cpu_s() -> float:
    """CPU seconds the app server (this process's child under uvicorn) has used so far; 0
    without one. Counted in clock ticks: read over a whole phase, not per call."""
    children = psutil.Process().children()
    if not children:
        return 0.0
    times = children[0].cpu_times()
    return float(times.user + times.system)


@dataclass
class Phase:
    page: str
    kind: str  # "floor", "in process", "http"
    call: Call
    samples: dict[str, list[float]] = field(default_factory=dict)
    # CPU time the measured calls used, this process's and the app server's (HTTP phases):
    # unlike wall time, what another tenant of a loaded machine cannot stretch.
    cpu_s: float = 0.0
    cpu_calls: int = 0

    async def run(self, calls: int, *, measured: bool = True) -> None:
        server_begin = server_cpu_s() if self.kind == "http" else 0.0
        begin = time.process_time()
        for _ in range(calls):
            timings = await self.call()
            if measured:
                for measure, value in timings.items():
                    self.samples.setdefault(measure, []).append(value)
        if measured:
            server = server_cpu_s() - server_begin if self.kind == "http" else 0.0
            self.cpu_s += time.process_time() - begin + server
            self.cpu_calls += calls

    @property
    def cpu_ms(self) -> float:
        """Mean CPU milliseconds per measured call (client and server)."""
        return self.cpu_s * 1000 / self.cpu_calls if self.cpu_calls else 0.0


# ---- data ----------------------------------------------------------------------------------


async def seed(db: Database, registry: BrandRegistry, events: int, markets: int) -> str:
    """The brand's casino catalogue (the test aggregator's two studios and Originals) and a
    book of `events` events with `markets` markets of 3 outcomes each; a summary line."""
    from domain.casino.catalog import (  # noqa: PLC0415
        apply_catalogue,
        fetch_catalogue,
        seed_demo_catalog,
    )
    from domain.integrations.aggregator import TestAggregator  # noqa: PLC0415

    specs = await fetch_catalogue(TestAggregator())
    async with db.transaction() as uow:
        await sync_brands(uow, registry)
        await seed_demo_catalog(uow, [fixtures.BRAND])
        synced = await apply_catalogue(uow, specs, [fixtures.BRAND])
    await fixtures.add_book_events(db, events, ["2.50", "3.40", "2.90"], markets=markets)
    return (
        f"catalogue: {synced.providers} aggregator studios with {synced.games} games and "
        f"Originals; book: {events} events x {markets} markets x 3 outcomes"
    )


class Documents:
    """The site's named documents executed as the site executes them for a signed-out
    visitor (anonymous context, no cookie)."""

    def __init__(self, db: Database, registry: BrandRegistry, settings: Settings) -> None:
        from domain.kernel.pubsub import EventHub  # noqa: PLC0415
        from schema import build_schema  # noqa: PLC0415
        from web.site.client import load_documents  # noqa: PLC0415

        self.db = db
        self.registry = registry
        self.settings = settings
        self.schema = build_schema(settings)
        self.documents = load_documents()
        # Never started: queries need no hub.
        self.hub = EventHub(settings.database_url or "")

    async def run(self, operation: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        from web.graphql import GraphQLContext  # noqa: PLC0415

        context = GraphQLContext(
            db=self.db, brand=self.registry.get(fixtures.BRAND), registry=self.registry,
            settings=self.settings, hub=self.hub, request_id="bench",
            client_address="127.0.0.1", user_agent="bench", credentials=None,
        )  # fmt: skip
        result = await self.schema.execute(
            self.documents[operation],
            variable_values=variables or {},
            context_value=context,
            operation_name=operation,
        )
        if result.errors or result.data is None:
            raise RuntimeError(f"{operation} failed: {result.errors}")
        return result.data


async def floor_values(documents: Documents, theme: Any) -> dict[str, tuple[str, dict[str, Any]]]:
    """Per page, its template and the values `Site.render` passes it for a signed-out
    visitor on the first page, built from the documents' answers as the handlers build them
    (web/site/casino.py `lobby`, web/site/sports.py `index`)."""
    from web.site.assets import vendor_url  # noqa: PLC0415
    from web.site.casino import LobbyFilters  # noqa: PLC0415
    from web.site.security import CSRF_FIELD  # noqa: PLC0415
    from web.site.site import HTMX_CONFIG, Page, Viewer  # noqa: PLC0415
    from web.site.sports import (  # noqa: PLC0415
        EVENTS_FIRST_SCREEN,
        Slip,
        _stream_url,
        dom_id,
        in_play_first,
        listing_card,
    )

    viewer_data = (await documents.run("SiteViewer")).get("viewer") or {}
    viewer = Viewer(viewer_data.get("player"), bool(viewer_data.get("twoFactorPending")))

    def page_at(path: str) -> Any:
        # The page's own path: the navigation marks it as the current one.
        request = Request({"type": "http", "method": "GET", "path": path, "headers": []})
        return Page(
            request=request, theme=theme, locale=theme.brand.default_locale, nonce=NONCE,
            csrf_token=CSRF_TOKEN, viewer=viewer, fresh_csrf_secret=None,
        )  # fmt: skip

    page = page_at("/")
    common = {
        "page": page,
        "brand": page.brand,
        "translations": theme.translations_for(page.locale),
        "csrf_field": CSRF_FIELD,
        "htmx_config": HTMX_CONFIG,
        "vendor_url": functools.partial(vendor_url, get_settings()),
        "personal": False,
    }

    filters = LobbyFilters(search="", category="", provider="", favourites=False)
    lobby = await documents.run("CasinoLobby", {**filters.variables(None), "signedIn": False})
    connection = lobby["casinoGames"]
    info = connection["pageInfo"]
    more = filters.query(info["endCursor"]) if info["hasNextPage"] else None
    casino = {
        **common,
        "page": page_at("/casino"),
        "filters": filters,
        "edges": connection["edges"],
        "next_url": f"/casino/games?{more}" if more else None,
        "more_url": f"/casino?{more}" if more else None,
        "categories": lobby["casinoCategories"],
        "providers": lobby["casinoProviders"],
        "recently_played": lobby.get("recentlyPlayedGames") or [],
        "return_path": "/casino",
    }

    sports_data = await documents.run(
        "SportsEvents", {"first": 20, "after": None, "format": viewer.odds_format}
    )
    # As `SportsPages._listing` shapes them: in play first, one screen of cards.
    events = in_play_first([edge["node"] for edge in sports_data["sportsbookEvents"]["edges"]])
    cards = [listing_card(event) for event in events[:EVENTS_FIRST_SCREEN]]
    shown_more = len(events) > EVENTS_FIRST_SCREEN
    sports = {
        **common,
        "page": page_at("/sports"),
        "slip": Slip(key=SLIP_KEY),
        "currency": str(page.brand.currencies[0]),
        "preview": None,
        "slip_notice": None,
        "slip_errors": [],
        "receipt": None,
        "dom_id": dom_id,
        "wallets": [],
        "sports": sports_data["sports"],
        "current_sport": "",
        "live_only": False,
        "events": cards,
        "more_query": f"shown={2 * EVENTS_FIRST_SCREEN}" if shown_more else None,
        "more_count": min(len(events) - EVENTS_FIRST_SCREEN, EVENTS_FIRST_SCREEN),
        "stream_url": _stream_url(cards, listing=True) if cards else None,
        "return_path": "/sports",
    }
    return {"/casino": ("casino/lobby.html", casino), "/sports": ("sports/index.html", sports)}


# The documents each handler runs for a signed-out first visit, in its order, with its
# variables (without a session cookie the site runs no SiteViewer), executed every time:
# what the page's data costs when the site's cache does not have it.
PAGE_DOCUMENTS: dict[str, list[tuple[str, dict[str, Any] | None]]] = {
    "/casino": [
        ("CasinoLobby", {"first": 24, "after": None, "search": None, "category": None,
                         "provider": None, "favouritesOnly": False, "signedIn": False}),
    ],
    "/sports": [("SportsEvents", {"first": 20, "after": None, "format": "DECIMAL"})],
}  # fmt: skip


def documents_call(documents: Documents, path: str) -> Call:
    async def execute() -> dict[str, float]:
        begin = time.perf_counter()
        for operation, variables in PAGE_DOCUMENTS[path]:
            await documents.run(operation, variables)
        return {"total": (time.perf_counter() - begin) * 1000}

    return execute


def floor_call(theme: Any, template: str, values: dict[str, Any]) -> Call:
    environment = theme.environment

    async def render() -> dict[str, float]:
        begin = time.perf_counter()
        environment.get_template(template).render(**values)
        return {"total": (time.perf_counter() - begin) * 1000}

    return render


_CSRF_VALUE = re.compile(r'(name="csrf_token" value="|"X-CSRF-Token": ")[^"]*(")')
_NONCE_VALUE = re.compile(r'(nonce=")[^"]*(")')
_SLIP_KEY = re.compile(r"slip-[A-Za-z0-9_-]+")


def normalised(html: str) -> str:
    """The per-request tokens (nonce, CSRF token, slip key) replaced by placeholders."""
    html = _CSRF_VALUE.sub(r"\1CSRF\2", html)
    html = _NONCE_VALUE.sub(r"\1NONCE\2", html)
    return _SLIP_KEY.sub("slip-KEY", html)


def compare(path: str, floor_html: str, page_html: str) -> None:
    """The floor must render what the page serves, up to the per-request tokens."""
    if normalised(floor_html) == normalised(page_html):
        say(f"  {path}: the floor renders the page's HTML ({len(page_html)} characters)")
        return
    diff = difflib.unified_diff(
        normalised(page_html).splitlines(), normalised(floor_html).splitlines(),
        "page", "floor", lineterm="", n=1,
    )  # fmt: skip
    say(f"  {path}: WARNING: the floor's HTML differs from the page's:")
    for line in list(diff)[:20]:
        say("    " + line[:160])


# ---- the app -------------------------------------------------------------------------------


@contextlib.asynccontextmanager
async def in_process_app(settings: Settings, registry: BrandRegistry) -> AsyncIterator[ASGIApp]:
    """`create_app` with its lifespan entered here (httpx.ASGITransport runs none); every
    request's scope gets a copy of the lifespan's state, as uvicorn gives it."""
    from web.app import create_app  # noqa: PLC0415

    app = create_app(settings, registry)
    async with app.router.lifespan_context(app) as state:

        async def with_state(scope: Scope, receive: Receive, send: Send) -> None:
            scope["state"] = dict(state or {})
            await app(scope, receive, send)

        yield with_state


def in_process_call(client: httpx.AsyncClient, path: str) -> Call:
    async def get() -> dict[str, float]:
        client.cookies.clear()  # a first visit every time: no CSRF or session cookie
        begin = time.perf_counter()
        response = await client.get(path)
        total = (time.perf_counter() - begin) * 1000
        if response.status_code != 200:
            raise RuntimeError(f"GET {path} in process: {response.status_code}")
        return {"total": total}

    return get


def http_call(client: httpx.AsyncClient, path: str) -> Call:
    async def get() -> dict[str, float]:
        client.cookies.clear()
        begin = time.perf_counter()
        first: float | None = None
        async with client.stream("GET", path) as response:
            headers = time.perf_counter()
            async for _chunk in response.aiter_raw():
                if first is None:
                    first = time.perf_counter()
        end = time.perf_counter()
        if response.status_code != 200:
            raise RuntimeError(f"GET {path} over http: {response.status_code}")
        return {
            "headers": (headers - begin) * 1000,
            "first byte": ((first or end) - begin) * 1000,
            "total": (end - begin) * 1000,
        }

    return get


# ---- run -----------------------------------------------------------------------------------


async def run_phases(args: argparse.Namespace, url: str, base_url: str | None) -> None:
    from web.site.themes import load_site_theme  # noqa: PLC0415

    settings = get_settings()
    registry = BrandRegistry.load(settings.themes_dir)
    db = Database.connect(url, pool_size=4)
    try:
        say(await seed(db, registry, args.events, args.markets))
        theme = load_site_theme(registry.get(fixtures.BRAND), settings.themes_dir)
        documents = Documents(db, registry, settings)
        values = await floor_values(documents, theme)
        async with contextlib.AsyncExitStack() as stack:
            app = await stack.enter_async_context(in_process_app(settings, registry))
            local = await stack.enter_async_context(
                httpx.AsyncClient(
                    transport=httpx.ASGITransport(app=app, client=("127.0.0.1", 50000)),
                    base_url=f"http://{HOST}",
                    timeout=30,
                )
            )
            remote = None
            if base_url is not None:
                remote = await stack.enter_async_context(
                    httpx.AsyncClient(base_url=base_url, headers={"host": HOST}, timeout=30)
                )
            phases: list[Phase] = []
            for path in PAGES:
                template, page_values = values[path]
                phases.append(Phase(path, "floor", floor_call(theme, template, page_values)))
                phases.append(Phase(path, "documents", documents_call(documents, path)))
                phases.append(Phase(path, "in process", in_process_call(local, path)))
                if remote is not None:
                    phases.append(Phase(path, "http", http_call(remote, path)))
                served = await local.get(path)
                floor_html = theme.environment.get_template(template).render(**page_values)
                compare(path, floor_html, served.text)
            phases.append(Phase(PROBE, "in process", in_process_call(local, PROBE)))
            if remote is not None:
                phases.append(Phase(PROBE, "http", http_call(remote, PROBE)))
            for phase in phases:  # warm every path (template compilation, caches, pools)
                await phase.run(args.warmup, measured=False)
            for turn in range(args.rounds):
                for phase in phases:
                    await phase.run(args.calls)
                say(f"  done: round {turn + 1} of {args.rounds}")
            if args.profile:
                await profile(args, local)
        report(args, phases)
    finally:
        await db.dispose()


async def profile(args: argparse.Namespace, client: httpx.AsyncClient) -> None:
    """Each page's in-process phase again, `--calls` calls under cProfile (not measured)."""
    target = Path(args.profile)
    for path in PAGES:
        call = in_process_call(client, path)
        profiler = cProfile.Profile()
        profiler.enable()
        for _ in range(args.calls):
            await call()
        profiler.disable()
        file = target.with_name(f"{target.stem}-{path.strip('/')}{target.suffix}")
        profiler.dump_stats(file)
        say(f"  profile of {args.calls} x GET {path} in process: {file}")


def report(args: argparse.Namespace, phases: list[Phase]) -> None:
    say()
    say(f"one caller, {args.rounds} rounds x {args.calls} calls per phase "
        f"({args.warmup} unmeasured first); times in ms")  # fmt: skip
    say(f"{'page':<9}{'phase':<26}{'calls':>7}{'p50':>9}{'p99':>9}{'x floor':>9}")
    verdicts = []
    for path in PAGES:
        mine = [phase for phase in phases if phase.page == path]
        floor = percentile(mine[0].samples["total"], 50)
        for phase in mine:
            for measure in ("headers", "first byte", "total"):
                samples = phase.samples.get(measure)
                if not samples:
                    continue
                name = (
                    phase.kind
                    if phase.kind in ("floor", "documents")
                    else f"{phase.kind}: {measure}"
                )
                p50 = percentile(samples, 50)
                say(f"{path:<9}{name:<26}{len(samples):>7}{p50:>9.2f}"
                    f"{percentile(samples, 99):>9.2f}{p50 / floor:>9.2f}")  # fmt: skip
            if phase.kind in ("floor", "documents"):
                continue
            ratio = percentile(phase.samples["total"], 50) / floor
            verdicts.append(
                f"  {path} {phase.kind}: total p50 / floor p50 = {ratio:.2f}x "
                f"(goal <= {GOAL_RATIO}x): {'holds' if ratio <= GOAL_RATIO else 'does not hold'}"
            )
            if phase.kind == "http":
                ttfb = percentile(phase.samples["headers"], 50)
                verdict = "holds" if ttfb <= GOAL_TTFB_MS else "does not hold"
                verdicts.append(
                    f"  {path} time to first byte p50 = {ttfb:.2f} ms "
                    f"(goal <= {GOAL_TTFB_MS:.0f} ms): {verdict}"
                )
    for phase in phases:
        if phase.page != PROBE:
            continue
        for measure in ("headers", "total"):
            samples = phase.samples.get(measure)
            if samples:
                name = f"{phase.kind}: {measure}"
                say(f"{PROBE:<9}{name:<26}{len(samples):>7}{percentile(samples, 50):>9.2f}"
                    f"{percentile(samples, 99):>9.2f}")  # fmt: skip
    say()
    report_cpu(phases)
    say()
    for line in verdicts:
        say(line)


def report_cpu(phases: list[Phase]) -> None:
    say("CPU per call (mean; this process, and over HTTP the app server's too, read in clock "
        "ticks per phase), and its ratio to the floor's:")  # fmt: skip
    for path in PAGES:
        mine = [phase for phase in phases if phase.page == path]
        floor_ms = mine[0].cpu_ms
        for phase in mine:
            ratio = phase.cpu_ms / floor_ms
            say(f"  {path:<9}{phase.kind:<12}{phase.cpu_ms:>8.2f} ms{ratio:>8.2f}x")
    for phase in phases:
        if phase.page == PROBE:
            say(f"  {PROBE:<9}{phase.kind:<12}{phase.cpu_ms:>8.2f} ms")


def parse_arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--loop", choices=("uvloop", "asyncio"), default="uvloop")
    parser.add_argument("--rounds", type=int, default=5, help="turns each phase takes (pooled)")
    parser.add_argument("--calls", type=int, default=40, help="calls per phase and round")
    parser.add_argument("--warmup", type=int, default=20, help="unmeasured calls per phase")
    parser.add_argument("--events", type=int, default=25, help="events seeded (page of 20)")
    parser.add_argument("--markets", type=int, default=3, help="markets per event")
    parser.add_argument("--no-http", action="store_true", help="skip the HTTP phases")
    parser.add_argument(
        "--profile",
        metavar="FILE",
        help="after the rounds, run --calls in-process calls per page under cProfile and "
        "write the stats to FILE with the page's name before the suffix "
        "(/tmp/site.prof -> /tmp/site-casino.prof, /tmp/site-sports.prof)",
    )
    return parser.parse_args()


def run(coroutine: Coroutine[Any, Any, T], loop: str) -> T:
    """Run on the event loop the app runs on: uvicorn picks uvloop when it is installed."""
    if loop == "uvloop":
        import uvloop  # noqa: PLC0415

        return uvloop.run(coroutine)
    return asyncio.run(coroutine)


def main() -> None:
    args = parse_arguments()
    os.environ.setdefault("STAKEHOUSE_LOG_LEVEL", "WARNING")
    say(f"site render benchmark: GET {' and '.join(PAGES)} on {HOST}; "
        f"{os.cpu_count()} CPUs, {args.loop}")  # fmt: skip
    with fixtures.bench_database() as (url, broker_url):
        # Settings are read once per process: point them at this run's database first.
        os.environ["STAKEHOUSE_DATABASE_URL"] = url
        if broker_url:
            os.environ["STAKEHOUSE_BROKER_URL"] = broker_url
        get_settings.cache_clear()
        with (
            contextlib.nullcontext(None) if args.no_http else fixtures.app_server(url, broker_url)
        ) as base_url:
            run(run_phases(args, url, base_url), args.loop)


if __name__ == "__main__":
    main()
