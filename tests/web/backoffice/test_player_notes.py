"""Notes on a player's profile: support and risk add them (audited), everyone who reads
the player sees them newest first with their author; finance reads them but has no form
and is refused a forced one; an empty note is explained and nothing is stored."""

from __future__ import annotations

from sqlalchemy import func, select
from strawberry.relay import to_base64

from domain.accounts.models import PlayerNote
from domain.brands.service import BrandRegistry
from domain.kernel.audit import AuditEntry
from domain.kernel.db import Database
from tests.support import create_player
from tests.web.backoffice.support import signed_in_console
from tests.web.backoffice.test_console import last_audit_id


async def _notes(db: Database) -> int:
    async with db.uow() as uow:
        return int(await uow.session.scalar(select(func.count()).select_from(PlayerNote)) or 0)


async def test_support_and_risk_note_a_player_and_finance_reads_the_notes_newest_first(
    server: str, db: Database, registry: BrandRegistry
) -> None:
    player_id = await create_player(db, registry, email="noted@example.com")
    profile = f"/players/{to_base64('Player', str(player_id))}"
    support = await signed_in_console(server, db, "notes-support@op.example", ["support"])
    risk = await signed_in_console(server, db, "notes-risk@op.example", ["risk"])
    finance = await signed_in_console(server, db, "notes-finance@op.example", ["finance"])
    since = await last_audit_id(db)
    await support.get(profile)
    await risk.get(profile)
    await finance.get(profile)

    first = await support.post(profile + "/notes", {"body": "Called: asked about <b>limits</b>"})
    second = await risk.post(profile + "/notes", {"body": "Source of funds requested"})
    empty = await support.post(profile + "/notes", {"body": "   "})
    forced = await finance.post(profile + "/notes", {"body": "finance was here"})
    seen = await finance.get(profile)

    assert first.status_code == second.status_code == 303
    assert first.headers["location"].endswith("?notice=note_added")
    assert empty.status_code == 400 and "A note is 1 to 2,000 characters" in empty.text
    assert forced.status_code == 403
    notes = seen.text[seen.text.index('id="player-notes"') :].split("</ol>")[0]
    assert notes.index("Source of funds requested") < notes.index("Called: asked about")
    assert "&lt;b&gt;limits&lt;/b&gt;" in notes  # shown as typed, never as markup
    assert "notes-risk@op.example" in notes and "notes-support@op.example" in notes
    assert 'action="' + profile + '/notes"' not in seen.text  # no form for finance
    assert await _notes(db) == 2
    async with db.uow() as uow:
        audited = list(
            await uow.session.scalars(
                select(AuditEntry.subject_id)
                .where(AuditEntry.action == "player.note", AuditEntry.id > since)
                .order_by(AuditEntry.id)
            )
        )
    assert audited == [str(player_id), str(player_id)]
    for console in (support, risk, finance):
        await console.aclose()
