"""The `stakehouse` command: `dev` runs everything on one machine with nothing installed;
`serve`, `worker`, `scheduler`, `relay`, `migrate`, `seed` and `export-schema` are the
pieces a deployment runs separately; `dlq`, `audit` and `themes` are for operators.

Every command validates the configuration first and exits 2 naming each bad variable.
"""

from __future__ import annotations

import asyncio
import functools
import getpass
import os
import signal
import sys
import time
from collections.abc import Awaitable, Callable
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import typer

from domain.kernel.settings import Settings, get_settings
from web import devserver
from web.runtime import (
    EXIT_CONFIGURATION,
    configure_logging,
    load_settings_or_exit,
    require_free_port,
    seed_database,
)

if TYPE_CHECKING:
    from starlette.applications import Starlette

    from domain.affiliates.demo_history import HistoryReport
    from domain.brands.service import BrandRegistry
    from domain.kernel.db import Database

T = TypeVar("T")

app = typer.Typer(
    name="stakehouse",
    help="Stakehouse: the iGaming platform's one command.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _connect(database_url: str, *, pool_size: int) -> Database:
    """The database for a command that runs domain code in this process, with every
    context's tables mapped first: a job's models may name another context's table in a
    foreign key (a brand's slug), which SQLAlchemy resolves from the tables it knows, and
    a command imports only the modules its job needs."""
    import domain.models  # noqa: F401, PLC0415
    from domain.kernel.db import Database  # noqa: PLC0415

    return Database.connect(database_url, pool_size=pool_size)


# --- shared helpers ---------------------------------------------------------------------


def _require(command: str, settings: Settings, *, database: bool, broker: bool = False) -> None:
    missing = []
    if database and settings.database_url is None:
        missing.append("STAKEHOUSE_DATABASE_URL (postgresql://...)")
    if broker and settings.broker_url is None:
        missing.append("STAKEHOUSE_BROKER_URL (redis://... or amqp://...)")
    if missing:
        typer.echo(
            f"stakehouse {command} needs {' and '.join(missing)}.\n"
            "(`stakehouse dev` starts an embedded PostgreSQL and broker by itself.)",
            err=True,
        )
        raise typer.Exit(EXIT_CONFIGURATION)


def asgi_app() -> Starlette:
    """The ASGI app from the environment; uvicorn's factory (`web.cli:asgi_app`), so that
    each `--workers` process builds its own."""
    from domain.brands.errors import InvalidTheme  # noqa: PLC0415
    from domain.brands.service import BrandRegistry  # noqa: PLC0415
    from web.app import create_app  # noqa: PLC0415

    settings = get_settings()
    configure_logging(settings)
    try:
        return create_app(settings, BrandRegistry.load(settings.themes_dir))
    except InvalidTheme as error:
        # A broken brand is never served: stop with the problem, not a traceback.
        typer.echo(f"invalid theme: {error.message}", err=True)
        raise SystemExit(EXIT_CONFIGURATION) from None


# --- dev (web.devserver) ----------------------------------------------------------------


@app.command()
def dev(
    host: str | None = typer.Option(None, help="Bind address [default: STAKEHOUSE_HTTP_HOST]"),
    port: int | None = typer.Option(
        None, min=1, max=65535, help="Port [default: STAKEHOUSE_HTTP_PORT, else 8000]"
    ),
    history_weeks: int | None = typer.Option(
        None,
        min=0,
        max=12,
        help="Weeks of demo history to generate on a fresh database "
        "[default: STAKEHOUSE_DEMO_HISTORY_WEEKS, else 0]",
    ),
) -> None:
    """Everything on one machine: embedded PostgreSQL and broker, migrations, demo data,
    the API, a worker and the scheduler. Ctrl-C stops it all."""
    if history_weeks is not None:
        os.environ["STAKEHOUSE_DEMO_HISTORY_WEEKS"] = str(history_weeks)
    # Through the environment, so the settings, the ready banner and the worker agree.
    if host is not None:
        os.environ["STAKEHOUSE_HTTP_HOST"] = host
    if port is not None:
        os.environ["STAKEHOUSE_HTTP_PORT"] = str(port)
    devserver.run()


# --- the separate processes of a deployment ---------------------------------------------


@app.command()
def serve(
    host: str | None = typer.Option(None, help="Bind address [default: STAKEHOUSE_HTTP_HOST]"),
    port: int | None = typer.Option(
        None, min=1, max=65535, help="Port [default: STAKEHOUSE_HTTP_PORT, else 8000]"
    ),
    workers: int = typer.Option(1, min=1, max=64, help="uvicorn worker processes"),
) -> None:
    """The HTTP API and website (uvicorn). In Kubernetes keep one worker per pod and scale
    pods; with --workers N set PROMETHEUS_MULTIPROC_DIR so /metrics covers every process."""
    settings = load_settings_or_exit()
    # The API relays the outbox to the broker, so it needs both.
    _require("serve", settings, database=True, broker=True)
    host, port = host or settings.http_host, port or settings.http_port
    require_free_port("serve", host, port)
    configure_logging(settings)
    import uvicorn  # noqa: PLC0415

    uvicorn.run(
        "web.cli:asgi_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_config=None,
        access_log=False,
        proxy_headers=True,
        # X-Forwarded-For is believed only from these (the ingress); else anyone could
        # pick the address that sign-in throttling and session records see.
        forwarded_allow_ips=settings.forwarded_allow_ips,
        lifespan="on",
        # The server stops reading a WebSocket message at the HTTP body limit (1009), so it
        # never buffers its default 16 MiB; the app enforces the same limit on any server.
        ws_max_size=settings.graphql_max_body_bytes,
    )


@app.command()
def worker(
    processes: int = typer.Option(2, min=1, max=64, help="Worker processes"),
    threads: int = typer.Option(8, min=1, max=256, help="Threads per worker process"),
    group: str | None = typer.Option(
        None, help="Consume only this queue group's queues (workers/groups.py) [default: all]"
    ),
    metrics_port: int = typer.Option(
        0,
        min=0,
        max=65535,
        envvar="STAKEHOUSE_WORKER_METRICS_PORT",
        help="Serve per-actor Prometheus metrics on this port (one process only); 0: off",
    ),
) -> None:
    """Dramatiq workers for the actors in `workers.actors`."""
    from workers.groups import UnknownQueueGroup, queues_of  # noqa: PLC0415
    from workers.metrics import METRICS_PORT_ENV  # noqa: PLC0415
    from workers.runtime import WORKER_THREADS_ENV  # noqa: PLC0415

    settings = load_settings_or_exit()
    _require("worker", settings, database=True, broker=True)
    command = [sys.executable, "-m", "dramatiq", "workers.actors"]
    command += ["--processes", str(processes), "--threads", str(threads)]
    os.environ[WORKER_THREADS_ENV] = str(threads)
    if group is not None:
        try:
            command += ["--queues", *queues_of(group)]
        except UnknownQueueGroup as error:
            raise typer.BadParameter(str(error), param_hint="--group") from None
    if metrics_port:
        if processes != 1:
            # Each process would bind the same port; Kubernetes runs one process per pod.
            raise typer.BadParameter("needs --processes 1", param_hint="--metrics-port")
        os.environ[METRICS_PORT_ENV] = str(metrics_port)
    sys.stdout.flush()
    sys.stderr.flush()
    # exec, not a child: SIGTERM from Kubernetes (or `dev`) reaches Dramatiq directly.
    os.execv(sys.executable, command)  # noqa: S606


@app.command()
def scheduler(
    metrics_port: int = typer.Option(
        9102,
        min=0,
        max=65535,
        envvar="STAKEHOUSE_SCHEDULER_METRICS_PORT",
        help="Serve Prometheus metrics (the ledger audit's gauges) on this port; 0: off",
    ),
) -> None:
    """The periodic jobs (run exactly one replica). Stops on SIGINT or SIGTERM."""
    settings = load_settings_or_exit()
    # Its jobs import the relay, which configures the broker.
    _require("scheduler", settings, database=True, broker=True)
    configure_logging(settings)
    _serve_metrics(metrics_port)
    from workers.scheduler import run_scheduler  # noqa: PLC0415

    asyncio.run(_until_signalled(settings, run_scheduler))


@app.command()
def relay(
    metrics_port: int = typer.Option(
        9103,
        min=0,
        max=65535,
        envvar="STAKEHOUSE_RELAY_METRICS_PORT",
        help="Serve Prometheus metrics (outbox lag, lease) on this port; 0: off",
    ),
) -> None:
    """The outbox relay on its own (with STAKEHOUSE_RELAY_IN_API=false on the API). Run two
    for a hot standby: one holds the lease and relays. Stops on SIGINT or SIGTERM."""
    settings = load_settings_or_exit()
    _require("relay", settings, database=True, broker=True)
    configure_logging(settings)
    from domain.kernel.telemetry import configure_tracing  # noqa: PLC0415

    # The relay's publish spans join each event's trace to its actor's.
    configure_tracing(settings, service="relay")
    _serve_metrics(metrics_port)
    from workers.relay import run_relay  # noqa: PLC0415

    assert settings.database_url is not None
    database_url = settings.database_url
    # On uvloop, as uvicorn runs the API: the relay sits on the path from every commit to
    # every subscriber's frame.
    import uvloop  # noqa: PLC0415

    uvloop.run(_until_signalled(settings, lambda db, stop: run_relay(db, database_url, stop)))


def _serve_metrics(port: int) -> None:
    """These processes serve no HTTP otherwise; their gauges need a scrape target (and
    probe) of their own. A daemon thread: it dies with the process."""
    if port:
        from prometheus_client import start_http_server  # noqa: PLC0415

        start_http_server(port)


async def _until_signalled(
    settings: Settings, body: Callable[[Any, asyncio.Event], Awaitable[None]]
) -> None:

    assert settings.database_url is not None
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    db = _connect(settings.database_url, pool_size=settings.database_pool_size)
    try:
        await body(db, stop)
    finally:
        await db.dispose()


@app.command("feed-simulator")
def feed_simulator(
    seed: int = typer.Option(7, help="The simulation's seed: the same seed, the same feed"),
    tick_seconds: float = typer.Option(1.0, min=0.1, max=60.0, help="Seconds per tick"),
    url: str | None = typer.Option(
        None, help="Post over HTTP to this platform (POST /feed/v1/messages) instead"
    ),
) -> None:
    """A simulated odds feed onto the broker's `feed` queue (what `dev` runs), or with
    --url signed over HTTP as an outside provider would. Stops on SIGINT or SIGTERM."""
    settings = load_settings_or_exit()
    _require("feed-simulator", settings, database=False, broker=url is None)
    configure_logging(settings)
    asyncio.run(_run_feed_simulator(settings, seed, tick_seconds, url))


async def _run_feed_simulator(
    settings: Settings, seed: int, tick_seconds: float, url: str | None
) -> None:
    from domain.integrations.feed import producer_secret  # noqa: PLC0415
    from domain.sportsbook.feed.port import FeedSink  # noqa: PLC0415
    from domain.sportsbook.feed.simulator import run_feed_simulator  # noqa: PLC0415

    sink: FeedSink
    if url is None:
        from workers.actors.feed import BrokerFeedSink  # noqa: PLC0415

        sink = BrokerFeedSink()
    else:
        from web.feed_producer import HttpFeedSink  # noqa: PLC0415

        sink = HttpFeedSink(url, lambda producer: producer_secret(settings, producer))
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    await run_feed_simulator(stop, sink, seed=seed, tick_s=tick_seconds)


@app.command()
def migrate() -> None:
    """Upgrade the database to the latest migration, as the owner of
    STAKEHOUSE_MIGRATION_DATABASE_URL, and grant the role of STAKEHOUSE_DATABASE_URL what
    the platform needs. Without a migration URL: as STAKEHOUSE_DATABASE_URL, no grants."""
    settings = load_settings_or_exit()
    _require("migrate", settings, database=True)
    configure_logging(settings)
    from domain.kernel.migrate import upgrade  # noqa: PLC0415
    from domain.kernel.roles import migration_target  # noqa: PLC0415

    assert settings.database_url is not None
    url, app_role = migration_target(settings.database_url, settings.migration_database_url)
    started = time.perf_counter()
    upgrade(url, app_role=app_role)
    typer.echo(f"Database migrated to the latest revision in {time.perf_counter() - started:.2f}s")


@app.command()
def seed(
    demo: bool = typer.Option(False, "--demo/--no-demo", help="Also create demo players"),
    history_weeks: int = typer.Option(
        0,
        min=0,
        max=12,
        help="With --demo: weeks of demo activity (registrations, affiliates, deposits, "
        "casino rounds) ending yesterday, for reports and statements; needs the owner role "
        "(STAKEHOUSE_MIGRATION_DATABASE_URL) to date it",
    ),
) -> None:
    """Brand rows, the first admin (its one-time password is printed once) and, with --demo,
    a demo player per brand. Creates only what is missing."""
    settings = load_settings_or_exit()
    _require("seed", settings, database=True)
    configure_logging(settings)
    from domain.brands.service import BrandRegistry  # noqa: PLC0415

    assert settings.database_url is not None
    if demo and history_weeks and settings.is_production:
        typer.echo(
            "stakehouse seed --history-weeks is refused in production: it re-dates ledger rows.",
            err=True,
        )
        raise typer.Exit(EXIT_CONFIGURATION)
    registry = BrandRegistry.load(settings.themes_dir)
    if demo and settings.is_production:
        typer.echo("Refused: --demo creates demo players, never in production.", err=True)
        raise typer.Exit(2)
    report = asyncio.run(seed_database(settings.database_url, registry, demo=demo))
    typer.echo(f"Brands: {', '.join(report.brands)}")
    if demo and history_weeks:
        from domain.kernel.roles import migration_target  # noqa: PLC0415

        owner_url, _ = migration_target(settings.database_url, settings.migration_database_url)
        made = asyncio.run(
            generate_history(settings.database_url, owner_url, registry, history_weeks)
        )
        typer.echo(
            f"Demo history: {made.days} days on {', '.join(made.brands) or 'no new brand'}: "
            f"{made.players} players, {made.bets} bets, {made.statements} affiliate statements"
        )
    if report.admin_one_time_password:
        typer.echo(
            f"Admin {report.admin_email} created. One-time password (shown only now; "
            f"change it at first sign-in): {report.admin_one_time_password}"
        )
    else:
        typer.echo(f"Admin {report.admin_email} already exists.")
    for player in report.demo_players:
        state = "created" if player.created else "already exists"
        typer.echo(
            f"Demo player on {player.brand} {state}: username {player.username} or "
            f"{player.email}, password {player.password}"
        )


feed_app = typer.Typer(
    help="The odds feed over HTTP (POST /feed/v1/messages).", no_args_is_help=True
)
app.add_typer(feed_app, name="feed")


@feed_app.command("replay")
def feed_replay(
    file: Path = typer.Argument(..., exists=True, dir_okay=False, help="JSON or JSON Lines"),
    url: str = typer.Option("http://127.0.0.1:8000", help="The platform's base URL"),
    producer: str = typer.Option("replay", help="The producer the messages come from"),
    secret_file: Path | None = typer.Option(
        None, help="The producer's signing secret [default outside production: the dev one]"
    ),
    batch_size: int = typer.Option(20, min=1, max=100, help="Messages per request"),
) -> None:
    """Post a file of feed messages as the built-in test producer: signed, numbered in
    file order (unless they carry producer_sequence), recovering after a gap."""
    from domain.kernel.settings import DEV_FEED_PRODUCER_SECRET  # noqa: PLC0415
    from web.feed_producer import TestFeedProducer, read_replay_file  # noqa: PLC0415

    try:
        wires = read_replay_file(file.read_text(encoding="utf-8"))
    except ValueError as error:
        typer.echo(f"feed replay: {error}", err=True)
        raise typer.Exit(2) from None
    secret = (
        secret_file.read_text(encoding="utf-8").strip() if secret_file else DEV_FEED_PRODUCER_SECRET
    )
    client = TestFeedProducer(url, producer, secret.encode(), batch_size=batch_size)
    asyncio.run(client.send_wires(wires))
    applied = client.sent[-1]["producer_sequence"] if client.sent else 0
    typer.echo(f"feed replay: {len(wires)} messages sent as {producer}, last sequence {applied}")


audit_app = typer.Typer(help="Tamper evidence of the ledger and audit log.", no_args_is_help=True)
app.add_typer(audit_app, name="audit")


@audit_app.command("verify")
def audit_verify() -> None:
    """Re-check every audit chain, every ledger transaction's digest and every integrity
    checkpoint; print the first bad row and exit 1, or exit 0. Read-only; reads it all."""
    settings = load_settings_or_exit()
    _require("audit verify", settings, database=True)
    configure_logging(settings)
    assert settings.database_url is not None
    finding = asyncio.run(_verify(settings.database_url))
    if finding is not None:
        typer.echo(f"tampered: {finding}", err=True)
        raise typer.Exit(1)
    typer.echo("audit log, ledger digests and checkpoints verified: no tampering found")


async def _verify(database_url: str) -> object:
    from sqlalchemy import text  # noqa: PLC0415

    from domain.wallets import integrity  # noqa: PLC0415

    db = _connect(database_url, pool_size=1)
    try:
        async with db.uow() as uow:
            # One snapshot for the whole check (postings meanwhile are not half-seen), and
            # no statement timeout: it reads the whole ledger.
            await uow.session.execute(
                text("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            )
            await uow.session.execute(text("SET LOCAL statement_timeout = 0"))
            return await integrity.verify(uow)
    finally:
        await db.dispose()


dlq_app = typer.Typer(
    help="Dead-lettered messages per queue: list, show, replay, drop (replay and drop are "
    "audited with a reason).",
    no_args_is_help=True,
)
app.add_typer(dlq_app, name="dlq")


def _broker_for(command: str) -> Any:
    settings = load_settings_or_exit()
    _require(f"dlq {command}", settings, database=command in ("replay", "drop"), broker=True)
    configure_logging(settings)
    from workers.actors import broker  # noqa: PLC0415 (declares every queue)

    return broker


@dlq_app.command("list")
def dlq_list(
    queue: str | None = typer.Argument(None, help="A queue; without it, every queue's counts"),
    limit: int = typer.Option(50, min=1, max=1000, help="Most recent first, at most this many"),
) -> None:
    """Every queue's depth, oldest wait and dead letters; or one queue's dead letters."""
    from workers import queues  # noqa: PLC0415

    broker = _broker_for("list")
    if queue is None:
        typer.echo(f"{'queue':<16}{'waiting':>9}{'oldest (s)':>12}{'dead':>7}")
        for state in queues.queue_states(broker, broker.get_declared_queues()):
            age = "-" if state.oldest_age_s is None else f"{state.oldest_age_s:.1f}"
            typer.echo(f"{state.queue:<16}{state.depth:>9}{age:>12}{state.dead:>7}")
        return
    for letter in _guarded(lambda: queues.dead_letters(broker, queue, limit=limit)):
        died = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(letter.dead_at_ms / 1000))
        typer.echo(f"{letter.key}  {died}Z  {letter.message.actor_name}  {letter.reason}")


@dlq_app.command("show")
def dlq_show(queue: str, key: str) -> None:
    """One dead letter: its actor, arguments, options and the last failure's traceback."""
    import json  # noqa: PLC0415

    from workers import queues  # noqa: PLC0415

    broker = _broker_for("show")
    letter = _guarded(lambda: queues.dead_letter(broker, queue, key))
    message = letter.message
    options = {k: v for k, v in message.options.items() if k != "traceback"}
    typer.echo(f"actor      {message.actor_name}\nmessage id {message.message_id}")
    typer.echo(f"arguments  {json.dumps(message.args)} {json.dumps(message.kwargs)}")
    typer.echo(f"options    {json.dumps(options, default=str)}")
    typer.echo(str(message.options.get("traceback") or "(no traceback kept)"))


def _dlq_act(action: str, queue: str, keys: list[str], reason: str, operator: str) -> None:
    from workers import queues  # noqa: PLC0415

    broker = _broker_for(action)
    if not reason.strip():
        raise typer.BadParameter("say why (it goes to the audit log)", param_hint="--reason")
    letters = [_guarded(functools.partial(queues.dead_letter, broker, queue, key)) for key in keys]
    database_url = get_settings().database_url
    assert database_url is not None

    async def act() -> None:
        db = _connect(database_url, pool_size=1)
        try:
            for letter in letters:
                # Audited first: an action the log does not show never happens.
                await queues.record_operator_action(
                    db, action=f"dlq.{action}", letter=letter, operator=operator, reason=reason
                )
                if action == "replay":
                    queues.replay(broker, letter)
                else:
                    queues.drop(broker, letter)
                typer.echo(f"{action}: {letter.key} ({letter.message.actor_name})")
        finally:
            await db.dispose()

    asyncio.run(act())


@dlq_app.command("replay")
def dlq_replay(
    queue: str,
    keys: list[str] = typer.Argument(..., help="Keys as `dlq list QUEUE` prints them"),
    reason: str = typer.Option(..., help="Why (kept in the audit log)"),
    operator: str = typer.Option(getpass.getuser(), help="Who (kept in the audit log)"),
) -> None:
    """Enqueue dead letters again with a fresh retry budget (actors are idempotent)."""
    _dlq_act("replay", queue, keys, reason, operator)


@dlq_app.command("drop")
def dlq_drop(
    queue: str,
    keys: list[str] = typer.Argument(..., help="Keys as `dlq list QUEUE` prints them"),
    reason: str = typer.Option(..., help="Why (kept in the audit log)"),
    operator: str = typer.Option(getpass.getuser(), help="Who (kept in the audit log)"),
) -> None:
    """Forget dead letters for good."""
    _dlq_act("drop", queue, keys, reason, operator)


def _guarded(read: Callable[[], T]) -> T:
    from workers.queues import DeadLetterNotFound, DeadLettersUnsupported  # noqa: PLC0415

    try:
        return read()
    except (DeadLetterNotFound, DeadLettersUnsupported) as error:
        typer.echo(str(error), err=True)
        raise typer.Exit(1) from None


reports_app = typer.Typer(help="The reporting read model.", no_args_is_help=True)
app.add_typer(reports_app, name="reports")


@reports_app.command("rebuild")
def reports_rebuild(
    from_: str = typer.Option(..., "--from", help="First day, YYYY-MM-DD (brand's time zone)"),
    to: str = typer.Option(..., "--to", help="Last day, YYYY-MM-DD, inclusive"),
    brand: list[str] = typer.Option([], help="Only these brands (repeatable); default all"),
) -> None:
    """Recompute the read model's days from the ledger, one short transaction per brand
    and day. Idempotent: running it twice gives the same figures, and live events that
    arrive meanwhile count once."""
    settings = load_settings_or_exit()
    _require("reports rebuild", settings, database=True)
    configure_logging(settings)
    try:
        day_from, day_to = date.fromisoformat(from_), date.fromisoformat(to)
    except ValueError:
        typer.echo("--from and --to are dates: YYYY-MM-DD", err=True)
        raise typer.Exit(EXIT_CONFIGURATION) from None
    if not 0 <= (day_to - day_from).days < 400:
        typer.echo("--from must be on or before --to, at most 400 days apart", err=True)
        raise typer.Exit(EXIT_CONFIGURATION)
    assert settings.database_url is not None
    applied = asyncio.run(_rebuild(settings.database_url, brand, day_from, day_to))
    typer.echo(f"rebuilt {day_from}..{day_to}: {applied} sources applied")


async def _rebuild(database_url: str, brands: list[str], day_from: date, day_to: date) -> int:
    from sqlalchemy import text  # noqa: PLC0415

    from domain.reporting import service  # noqa: PLC0415

    db = _connect(database_url, pool_size=1)
    try:
        if not brands:
            async with db.uow() as uow:
                brands = list(await uow.session.scalars(text("SELECT slug FROM brands")))
        return await service.rebuild(db, brands, day_from, day_to)
    finally:
        await db.dispose()


@reports_app.command("rates")
def reports_rates(
    from_: str = typer.Option(..., "--from", help="First day, YYYY-MM-DD"),
    to: str = typer.Option(..., "--to", help="Last day, YYYY-MM-DD, inclusive"),
    provider: str = typer.Option("sandbox", help="The rates provider: sandbox (built in)"),
) -> None:
    """Load daily rates of every brand's currencies into the reporting currency
    (STAKEHOUSE_REPORT_CURRENCY), one short transaction per day. Idempotent: a day loaded
    again takes the provider's latest rate."""
    settings = load_settings_or_exit()
    _require("reports rates", settings, database=True)
    configure_logging(settings)
    try:
        day_from, day_to = date.fromisoformat(from_), date.fromisoformat(to)
    except ValueError:
        typer.echo("--from and --to are dates: YYYY-MM-DD", err=True)
        raise typer.Exit(EXIT_CONFIGURATION) from None
    if provider != "sandbox":
        typer.echo("--provider: only the built-in sandbox provider ships today", err=True)
        raise typer.Exit(EXIT_CONFIGURATION)
    from domain.brands.service import BrandRegistry  # noqa: PLC0415
    from domain.kernel.errors import DomainError  # noqa: PLC0415

    registry = BrandRegistry.load(settings.themes_dir)
    currencies = sorted({c for brand in registry.by_slug.values() for c in brand.currencies})
    assert settings.database_url is not None
    try:
        written = asyncio.run(
            _load_rates(
                settings.database_url, settings.report_currency, currencies, day_from, day_to
            )
        )
    except DomainError as error:
        typer.echo(error.message, err=True)
        raise typer.Exit(EXIT_CONFIGURATION) from None
    typer.echo(f"rates {day_from}..{day_to} in {settings.report_currency}: {written} written")


async def _load_rates(
    database_url: str, reporting_currency: str, currencies: list[str], day_from: date, day_to: date
) -> int:
    from domain.integrations.rates import SandboxRates  # noqa: PLC0415
    from domain.reporting import rates  # noqa: PLC0415

    db = _connect(database_url, pool_size=1)
    try:
        return await rates.load(
            db, SandboxRates(), reporting_currency=reporting_currency, currencies=currencies,
            day_from=day_from, day_to=day_to,
        )  # fmt: skip
    finally:
        await db.dispose()


async def generate_history(
    database_url: str, owner_url: str, registry: BrandRegistry, weeks: int
) -> HistoryReport:
    from domain.affiliates import demo_history  # noqa: PLC0415

    db = _connect(database_url, pool_size=2)
    owner = _connect(owner_url, pool_size=1)
    try:
        settings = get_settings()
        return await demo_history.generate(
            db, owner, registry, weeks=weeks, reporting_currency=settings.report_currency,
            production=settings.is_production,
        )  # fmt: skip
    finally:
        await db.dispose()
        await owner.dispose()


bonuses_app = typer.Typer(help="Bonus jobs for operators.", no_args_is_help=True)
app.add_typer(bonuses_app, name="bonuses")


@bonuses_app.command("cashback")
def bonuses_cashback(
    period: str = typer.Option(
        ..., "--period", help="The ISO week to pay, e.g. 2026-W49 (each player once)."
    ),
) -> None:
    """Pay every active cashback offer for a week; safe to run again (pays nobody twice)."""
    settings = load_settings_or_exit()
    _require("bonuses cashback", settings, database=True)
    configure_logging(settings)
    assert settings.database_url is not None
    from domain.bonuses import cashback  # noqa: PLC0415
    from domain.bonuses.errors import InvalidTerms  # noqa: PLC0415

    try:
        chosen = cashback.Period.parse(period)
    except InvalidTerms as error:
        typer.echo(error.message, err=True)
        raise typer.Exit(2) from None
    for run in asyncio.run(_cashback(settings.database_url, chosen)):
        typer.echo(
            f"offer {run.offer_id} {run.period}: paid {run.players_paid} players "
            f"{run.paid_minor} minor units"
        )


async def _cashback(database_url: str, period: object) -> list[Any]:
    from domain.bonuses import cashback  # noqa: PLC0415

    assert isinstance(period, cashback.Period)
    db = _connect(database_url, pool_size=1)
    try:
        async with db.uow() as uow:
            runs = await cashback.pay_all_cashback(uow, period)
            await uow.commit()
        return list(runs)
    finally:
        await db.dispose()


@bonuses_app.command("expire")
def bonuses_expire() -> None:
    """End every grant past its wagering window, and every unused free bet past its time,
    now (the scheduler does it every minute); safe to run again."""
    settings = load_settings_or_exit()
    _require("bonuses expire", settings, database=True)
    configure_logging(settings)
    assert settings.database_url is not None
    grants, bets = asyncio.run(_expire(settings.database_url))
    typer.echo(f"expired {grants} grants, {bets} free bets")


async def _expire(database_url: str) -> tuple[int, int]:
    from domain.bonuses import free_bets, lifecycle  # noqa: PLC0415

    db = _connect(database_url, pool_size=1)
    try:
        return await lifecycle.expire_due_batches(db), await free_bets.expire_due(db)
    finally:
        await db.dispose()


@bonuses_app.command("free-rounds-sync")
def bonuses_free_rounds_sync() -> None:
    """Free rounds at the game providers: expire those past their window, send pending
    grants again, end those the provider ended, withdraw cancelled ones still live there.
    Safe to run again (the scheduler runs it every few minutes)."""
    settings = load_settings_or_exit()
    _require("bonuses free-rounds-sync", settings, database=True)
    configure_logging(settings)
    assert settings.database_url is not None
    report = asyncio.run(_free_rounds_sync(settings.database_url))
    typer.echo(
        f"expired {report.expired}, sent {report.sent} (confirmed {report.confirmed}), "
        f"ended {report.ended}, withdrawn {report.withdrawn}, "
        f"provider unavailable {report.unavailable}"
    )


async def _free_rounds_sync(database_url: str) -> Any:
    from domain.bonuses import free_rounds  # noqa: PLC0415
    from domain.originals.free_rounds import StudioFreeRounds  # noqa: PLC0415

    db = _connect(database_url, pool_size=1)
    try:
        return await free_rounds.sync(db, StudioFreeRounds(db))
    finally:
        await db.dispose()


@bonuses_app.command("loyalty-accrue")
def bonuses_loyalty_accrue() -> None:
    """Loyalty points for the stakes not counted yet (each stake earns once, however often
    this runs; the scheduler runs it every minute)."""
    settings = load_settings_or_exit()
    _require("bonuses loyalty-accrue", settings, database=True)
    configure_logging(settings)
    assert settings.database_url is not None
    typer.echo(f"{asyncio.run(_loyalty('accrue', settings.database_url))} stakes earned points")


@bonuses_app.command("tiers")
def bonuses_tiers() -> None:
    """Recalculate every player's loyalty tier from the points of the rolling window
    (idempotent; the scheduler runs it hourly)."""
    settings = load_settings_or_exit()
    _require("bonuses tiers", settings, database=True)
    configure_logging(settings)
    assert settings.database_url is not None
    typer.echo(f"{asyncio.run(_loyalty('tiers', settings.database_url))} tiers changed")


async def _loyalty(job: str, database_url: str) -> int:
    from domain.bonuses import loyalty, tiers  # noqa: PLC0415

    db = _connect(database_url, pool_size=1)
    try:
        if job == "accrue":
            return await loyalty.accrue(db)
        return await tiers.recalculate_tiers(db)
    finally:
        await db.dispose()


themes_app = typer.Typer(help="Brand themes: check them before deploying.", no_args_is_help=True)
app.add_typer(themes_app, name="themes")


@themes_app.command("validate")
def themes_validate(
    themes_dir: Path | None = typer.Option(
        None, "--themes-dir", help="Folder of brand themes [default: STAKEHOUSE_THEMES_DIR]"
    ),
) -> None:
    """Check every brand folder: theme.toml schema, assets, catalogs, legal pages,
    templates, and WCAG 2.2 AA contrast of every text/background token pair. Exits 1
    naming each problem."""
    settings = load_settings_or_exit()
    from web.site.themes import theme_problems  # noqa: PLC0415

    folder = themes_dir or settings.themes_dir
    if not folder.is_dir():
        typer.echo(f"themes validate: {folder} is not a folder", err=True)
        raise typer.Exit(1)
    problems = theme_problems(folder)
    if problems:
        typer.echo(f"{len(problems)} theme problem(s) in {folder}:", err=True)
        for problem in problems:
            typer.echo(f"  {problem}", err=True)
        raise typer.Exit(1)
    brands = sorted(child.name for child in folder.iterdir() if (child / "theme.toml").is_file())
    typer.echo(f"Themes valid: {', '.join(brands)}")


@themes_app.command("install-assets")
def themes_install_assets() -> None:
    """Install the site's JavaScript packages (htmx) from npm into the data folder."""
    settings = load_settings_or_exit()
    from web.site.assets import ensure_assets, modules_dir  # noqa: PLC0415

    if not ensure_assets(settings):
        typer.echo("installing the site's npm packages failed (is npm installed?)", err=True)
        raise typer.Exit(1)
    typer.echo(f"Site assets installed in {modules_dir(settings)}")


@app.command("export-schema")
def export_schema(
    output: Path | None = typer.Option(None, "--output", "-o", help="File [default: stdout]"),
) -> None:
    """Print the GraphQL schema (SDL), the text committed as schema.graphql."""
    load_settings_or_exit()
    try:
        from schema import build_schema  # noqa: PLC0415
    except ImportError as error:
        typer.echo(f"export-schema: the GraphQL schema is not available ({error})", err=True)
        raise typer.Exit(1) from None
    from strawberry.printer import print_schema  # noqa: PLC0415

    text = print_schema(build_schema()) + "\n"
    if output is None:
        typer.echo(text, nl=False)
    else:
        output.write_text(text, encoding="utf-8")
        typer.echo(f"Wrote {output}", err=True)


def main() -> None:
    app()


if __name__ == "__main__":
    main()
