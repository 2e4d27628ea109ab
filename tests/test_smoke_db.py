from sqlalchemy import text

from domain.kernel.db import Database


async def test_database_is_migrated(db: Database) -> None:
    async with db.uow() as uow:
        version = await uow.session.scalar(text("SELECT version_num FROM alembic_version"))
    assert version == "0001"
