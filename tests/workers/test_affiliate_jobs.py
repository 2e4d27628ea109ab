"""The scheduler's affiliate jobs: last month's statements of every brand are written once
however often the hourly job runs, and due postbacks go out through the sandbox receiver
outside production."""

from __future__ import annotations

from domain.affiliates import postbacks
from domain.brands.service import BrandRegistry
from domain.integrations.postbacks import SandboxPostbacks
from domain.kernel.db import Database
from tests.domain.affiliates.support import (
    affiliate,
    age_everything,
    referred_player,
    revshare_plan,
)
from tests.domain.reporting.support import Casino, apply_outbox, execute, ledger_move
from workers.scheduler import (
    JOBS,
    deliver_affiliate_postbacks,
    write_affiliate_statements,
)


async def test_the_hourly_statement_job_writes_last_month_once(
    db: Database, owner_db: Database, registry: BrandRegistry
) -> None:
    await affiliate(db, "Share Media", revshare_plan("50", carry=False), "share-1")
    player_id = await referred_player(db, registry, "share-1")
    await ledger_move(db, "aurora", player_id, "EUR", 40_00)
    dice = await Casino(db, registry, "aurora", "EUR").open(player_id)
    await dice.bet("j-b1", "j-r1", 20_00)
    await age_everything(owner_db, 1)
    await apply_outbox(db)

    assert await write_affiliate_statements(db) == 1
    assert await write_affiliate_statements(db) == 0
    assert await execute(
        db, "SELECT ngr_minor, revshare_minor, total_minor FROM affiliate_statements"
    ) == [(20_00, 10_00, 10_00)]
    names = {job.name for job in JOBS}
    assert {"affiliates.statements", "affiliates.deliver_postbacks"} <= names


async def test_the_postback_job_delivers_to_the_sandbox_outside_production(
    db: Database, registry: BrandRegistry
) -> None:
    await affiliate(db, "Cpa", revshare_plan(), "pb-1", postback_url="https://partner.example/pb")
    await referred_player(db, registry, "pb-1")
    sandbox = postbacks.sender(production=False)
    assert isinstance(sandbox, SandboxPostbacks)
    before = len(sandbox.received)

    assert await deliver_affiliate_postbacks(db) == 1

    assert [r.url for r in sandbox.received[before:]] == ["https://partner.example/pb"]
    assert await execute(db, "SELECT status FROM affiliate_postbacks") == [("delivered",)]
