from alembic.script import ScriptDirectory
from sqlalchemy import text

from domain.kernel.db import Database
from domain.kernel.migrate import alembic_config


async def test_database_is_migrated_to_head(db: Database, database_url: str) -> None:
    head = ScriptDirectory.from_config(alembic_config(database_url)).get_current_head()

    async with db.uow() as uow:
        version = await uow.session.scalar(text("SELECT version_num FROM alembic_version"))

    assert version == head
