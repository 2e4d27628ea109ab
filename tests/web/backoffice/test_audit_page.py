"""The console's audit log and staff list over HTTP: audit readers search by actor,
subject and time, page by keyset, download what the filter finds as CSV and verify the
chain when they ask; staff managers see the members of the brand."""

from __future__ import annotations

import csv
import io
import re
import uuid
from urllib.parse import unquote

from domain.kernel import audit
from domain.kernel.db import Database
from tests.web.backoffice.support import signed_in_console

ROW = re.compile(r'<tr>\s*<td class="num">(\d+)</td>')
NEXT = re.compile(r'<a href="(/audit\?[^"]+)" rel="next">')


async def _rows(db: Database, subject: str, count: int, brand: str = "aurora") -> None:
    async with db.transaction() as uow:
        for number in range(count):
            await audit.record(
                uow, actor_kind="system", actor_id=None, action="test.step",
                subject_type="audit-page", subject_id=subject, brand=brand,
                reason=f"step {number}",
            )  # fmt: skip


async def test_audit_readers_page_through_a_subjects_rows_and_download_them(
    server: str, db: Database
) -> None:
    subject = str(uuid.uuid4())
    await _rows(db, subject, 55)
    await _rows(db, subject, 3, brand="northstar")
    console = await signed_in_console(server, db, "audit-page-fin@op.example", ["finance"])

    first = await console.get(f"/audit?subject_type=audit-page&subject_id={subject}")
    following = NEXT.search(first.text)
    assert following is not None
    second = await console.get(unquote(following.group(1)).replace("&amp;", "&"))
    download = await console.get(f"/audit.csv?subject_id={subject}")

    assert first.status_code == 200 and second.status_code == 200
    numbers = [int(n) for n in ROW.findall(first.text) + ROW.findall(second.text)]
    assert len(numbers) == 55 and numbers == sorted(numbers, reverse=True)
    assert "step 54" in first.text and "step 0" in second.text
    assert NEXT.search(second.text) is None
    assert download.headers["content-type"].startswith("text/csv")
    table = list(csv.reader(io.StringIO(download.text)))
    assert table[0][:3] == ["number", "at", "actor_kind"]
    assert [row[9] for row in table[1:]] == [f"step {n}" for n in range(54, -1, -1)]
    assert {row[5] for row in table[1:]} == {"aurora"}
    await console.aclose()


async def test_the_actor_filter_and_the_chain_verification_on_demand(
    server: str, db: Database
) -> None:
    console = await signed_in_console(server, db, "audit-page-risk@op.example", ["risk"])
    limited = await signed_in_console(
        server, db, "audit-page-one@op.example", ["risk"], brands=["aurora"]
    )

    quiet = await console.get("/audit?actor=audit-page-risk@op.example")
    verified = await console.get("/audit?verify=1")
    refused = await limited.get("/audit?verify=1")
    bad_time = await console.get("/audit?from=yesterday")

    assert "Verify the chain now" in quiet.text and 'id="chain-result"' not in quiet.text
    assert "Every chain of the audit log holds" in verified.text
    assert "Only staff of every brand can verify" in refused.text
    assert bad_time.status_code == 400 and "could not be read" in bad_time.text
    await console.aclose()
    await limited.aclose()


async def test_staff_managers_see_the_members_of_the_brand(server: str, db: Database) -> None:
    admin = await signed_in_console(server, db, "staff-page-admin@op.example", ["admin"])
    await signed_in_console(
        server, db, "staff-page-north@op.example", ["support"], brands=["northstar"]
    )

    page = await admin.get("/staff?q=staff-page-")

    table = page.text[page.text.index('id="staff-members"') :]
    assert "staff-page-admin@op.example" in table
    assert "staff-page-north@op.example" not in table
    await admin.aclose()
