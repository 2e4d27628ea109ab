"""What every `stakehouse` command shares: settings validated up front, logging, seeding.

`web.cli` and `web.devserver` both import it, so it imports neither of them.
"""

from __future__ import annotations

import errno
import socket
from typing import TYPE_CHECKING

import typer

from domain.kernel.settings import ConfigurationError, Settings, get_settings, load_settings

if TYPE_CHECKING:
    from domain.brands.service import BrandRegistry
    from web.seed import SeedReport

EXIT_CONFIGURATION = 2
EXIT_PORT_IN_USE = 3


def require_free_port(command: str, host: str, port: int) -> None:
    """Exit 3 with a message naming --port and STAKEHOUSE_HTTP_PORT when `host:port` cannot
    be listened on, before anything is started: found later, uvicorn fails after the
    database, broker and worker are up, with a traceback. Binds as uvicorn does
    (SO_REUSEADDR), so a port in TIME_WAIT after a restart is not taken for busy."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as error:
            reason = (
                "it is in use (another stakehouse, or another program)"
                if error.errno == errno.EADDRINUSE
                else error.strerror or str(error)
            )
            suggestion = port + 1 if port < 65535 else 8000
            typer.echo(
                f"stakehouse {command} cannot listen on {host}:{port}: {reason}.\n"
                f"Choose another port: stakehouse {command} --port {suggestion}, or set "
                f"STAKEHOUSE_HTTP_PORT={suggestion}.",
                err=True,
            )
            raise typer.Exit(EXIT_PORT_IN_USE) from None


def load_settings_or_exit() -> Settings:
    """Validate the environment; on a bad value print each bad variable and exit 2."""
    get_settings.cache_clear()
    try:
        return load_settings()
    except ConfigurationError as error:
        typer.echo(str(error), err=True)
        raise typer.Exit(EXIT_CONFIGURATION) from None


def configure_logging(settings: Settings) -> None:
    from web import observability  # noqa: PLC0415 (keeps --help fast)

    observability.configure_logging(settings)


async def seed_database(database_url: str, registry: BrandRegistry, *, demo: bool) -> SeedReport:
    from domain.kernel.db import Database  # noqa: PLC0415
    from web.seed import seed  # noqa: PLC0415

    db = Database.connect(database_url, pool_size=1)
    try:
        return await seed(db, registry, demo=demo)
    finally:
        await db.dispose()
