"""What every `stakehouse` command shares: settings validated up front, logging, seeding.

`web.cli` and `web.devserver` both import it, so it imports neither of them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer

from domain.kernel.settings import ConfigurationError, Settings, get_settings, load_settings

if TYPE_CHECKING:
    from domain.brands.service import BrandRegistry
    from web.seed import SeedReport

EXIT_CONFIGURATION = 2


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
