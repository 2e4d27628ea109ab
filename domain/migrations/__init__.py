"""Alembic migrations. Run them with `stakehouse migrate`."""
