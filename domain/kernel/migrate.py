"""Running Alembic from code: `stakehouse migrate`, `stakehouse dev` and the tests."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

MIGRATIONS_DIR = Path(__file__).resolve().parents[1] / "migrations"


def alembic_config(database_url: str, *, app_role: str | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    # Read by the environment, which grants this role its privileges after migrating.
    config.attributes["app_role"] = app_role
    return config


def upgrade(database_url: str, revision: str = "heads", *, app_role: str | None = None) -> None:
    """Migrate the database to `revision` as the owner of `database_url` (blocking; run it
    outside an event loop), then converge `app_role`'s grants (domain/kernel/roles.py). The
    default takes every head, so contexts developed side by side may each branch from the
    same revision until a merge revision joins them."""
    command.upgrade(alembic_config(database_url, app_role=app_role), revision)
