"""Running Alembic from code: `stakehouse migrate`, `stakehouse dev` and the tests."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

MIGRATIONS_DIR = Path(__file__).resolve().parents[1] / "migrations"


def alembic_config(database_url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return config


def upgrade(database_url: str, revision: str = "heads") -> None:
    """Migrate the database to `revision` (blocking; run it outside an event loop). The
    default takes every head, so contexts developed side by side may each branch from the
    same revision until a merge revision joins them."""
    command.upgrade(alembic_config(database_url), revision)
