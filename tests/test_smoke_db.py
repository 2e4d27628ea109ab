from alembic.script import ScriptDirectory
from sqlalchemy import text

from domain.kernel.db import Database
from domain.kernel.migrate import alembic_config


async def test_database_is_migrated_to_every_head(db: Database, database_url: str) -> None:
    heads = ScriptDirectory.from_config(alembic_config(database_url)).get_heads()

    async with db.uow() as uow:
        versions = await uow.session.scalars(text("SELECT version_num FROM alembic_version"))

    assert sorted(versions) == sorted(heads)
