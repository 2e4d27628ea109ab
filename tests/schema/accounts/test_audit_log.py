"""The audit log and staff list for the back office: staff with audit.read search their
brand's rows by actor, subject and time, newest first, paged by cursor in one statement a
page; the chain's verification names the first tampered row; staff.manage lists the staff
of the brand. Roles without the permission are refused; rows of another brand never show."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import text

from domain.kernel.db import Database
from tests.schema.accounts.test_player_list_queries import statements_on
from tests.schema.accounts.test_staff import SET_STATUS, signed_in_staff
from tests.support import AURORA, NORTHSTAR, Api

AUDIT_LOG = """
query($actor: String, $type: String, $subject: String, $from: DateTime, $to: DateTime,
      $first: Int!, $after: String) {
  auditLog(actor: $actor, subjectType: $type, subjectId: $subject, from: $from, to: $to,
           first: $first, after: $after) {
    entries { number at actorKind actorEmail brand action subjectType subjectId reason after }
    hasNextPage endCursor
  }
}
"""
VERIFY = "{ auditChainVerification { intact firstBrokenEntry } }"
STAFF = "query($s: String) { staffMembers(search: $s) { email roles brands } }"


async def _suspend_twice(risk: Api, player_id: str) -> None:
    for status, reason in (("SUSPENDED", "audit page check 1"), ("ACTIVE", "audit page check 2")):
        answer = await risk.query(
            SET_STATUS, {"i": {"playerId": player_id, "status": status, "reason": reason}}
        )
        assert answer.data["setPlayerStatus"]["errors"] == []


async def test_audit_readers_search_their_brands_rows_by_actor_subject_and_time(
    server: str, db: Database
) -> None:
    started = datetime.now(UTC) - timedelta(seconds=1)
    player = (await Api(server, AURORA).register(email="audited@example.com"))["player"]
    risk = await signed_in_staff(
        Api(server, AURORA), db, "audit-risk@op.example", ["risk"], ["aurora"]
    )
    await _suspend_twice(risk, player["id"])

    by_actor = await risk.query(AUDIT_LOG, {"actor": "AUDIT-risk@op.example", "first": 1})
    page = by_actor.data["auditLog"]
    assert page["hasNextPage"] is True
    (newest,) = page["entries"]
    assert (newest["actorKind"], newest["actorEmail"], newest["brand"]) == (
        "staff", "audit-risk@op.example", "aurora",
    )  # fmt: skip
    assert (newest["reason"], newest["subjectType"]) == ("audit page check 2", "player")
    with statements_on("audit_log") as statements:
        following = await risk.query(
            AUDIT_LOG,
            {"actor": "audit-risk@op.example", "first": 1, "after": page["endCursor"]},
        )
    assert len(statements) == 1
    older = following.data["auditLog"]["entries"]
    assert [e["reason"] for e in older] == ["audit page check 1"]
    assert int(older[0]["number"]) < int(newest["number"])

    window = {"from": started.isoformat(), "to": (started + timedelta(hours=1)).isoformat()}
    by_subject = await risk.query(
        AUDIT_LOG,
        {"type": "player", "subject": newest["subjectId"], "first": 10, **window},
    )
    assert [e["reason"] for e in by_subject.data["auditLog"]["entries"]] == [
        "audit page check 2",
        "audit page check 1",
    ]
    before = await risk.query(
        AUDIT_LOG,
        {"subject": newest["subjectId"], "first": 10, "to": started.isoformat()},
    )
    assert before.data["auditLog"]["entries"] == []
    # Staff of one brand see no brand-less rows (their own creation is one).
    mine = await risk.query(AUDIT_LOG, {"type": "staff", "first": 100})
    assert all(e["brand"] == "aurora" for e in mine.data["auditLog"]["entries"])


async def test_other_brands_and_roles_without_audit_read_see_nothing(
    server: str, db: Database
) -> None:
    player = (await Api(server, AURORA).register(email="audited2@example.com"))["player"]
    risk = await signed_in_staff(Api(server, AURORA), db, "audit-risk2@op.example", ["risk"])
    await _suspend_twice(risk, player["id"])
    north = await signed_in_staff(
        Api(server, NORTHSTAR), db, "audit-north@op.example", ["admin"], ["northstar"]
    )
    support = await signed_in_staff(Api(server, AURORA), db, "audit-sup@op.example", ["support"])

    elsewhere = await north.query(AUDIT_LOG, {"actor": "audit-risk2@op.example", "first": 10})
    refused = await support.query(AUDIT_LOG, {"first": 10})
    bad_range = await risk.query(
        AUDIT_LOG, {"from": "2026-01-02T00:00:00Z", "to": "2026-01-01T00:00:00Z", "first": 1}
    )

    assert elsewhere.data["auditLog"]["entries"] == []
    assert refused.body["errors"][0]["extensions"]["code"] == "PERMISSION_DENIED"
    assert bad_range.body["errors"][0]["extensions"]["code"] == "INVALID_RANGE"
    # Staff of every brand also read the rows of no brand: the staff they created.
    every = await risk.query(AUDIT_LOG, {"type": "staff", "first": 100})
    assert "staff.create" in {e["action"] for e in every.data["auditLog"]["entries"]}


async def _edit_reason(owner_db: Database, number: str, reason: str | None) -> None:
    """What the chain guards against: the table's owner switching off the append-only
    trigger and editing a row (the application role may do neither)."""
    async with owner_db.transaction() as uow:
        await uow.session.execute(
            text("ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only")
        )
        await uow.session.execute(
            text("UPDATE audit_log SET reason = :r WHERE id = :id"),
            {"r": reason, "id": int(number)},
        )
        await uow.session.execute(
            text("ALTER TABLE audit_log ENABLE TRIGGER audit_log_append_only")
        )


async def test_the_verification_names_the_first_tampered_row(
    server: str, db: Database, owner_db: Database
) -> None:
    finance = await signed_in_staff(Api(server, AURORA), db, "audit-fin@op.example", ["finance"])
    newest = (await finance.query(AUDIT_LOG, {"first": 1})).data["auditLog"]["entries"][0]

    intact = await finance.query(VERIFY)
    await _edit_reason(owner_db, newest["number"], "forged")
    try:
        tampered = await finance.query(VERIFY)
    finally:
        await _edit_reason(owner_db, newest["number"], newest["reason"])

    assert intact.data["auditChainVerification"] == {"intact": True, "firstBrokenEntry": None}
    assert tampered.data["auditChainVerification"] == {
        "intact": False,
        "firstBrokenEntry": newest["number"],
    }
    assert (await finance.query(VERIFY)).data["auditChainVerification"]["intact"] is True


async def test_staff_managers_list_the_staff_of_their_brand(server: str, db: Database) -> None:
    admin = await signed_in_staff(
        Api(server, AURORA), db, "list-admin@op.example", ["admin"], ["aurora"]
    )
    await signed_in_staff(
        Api(server, NORTHSTAR), db, "list-north@op.example", ["support"], ["northstar"]
    )
    await signed_in_staff(Api(server, AURORA), db, "list-every@op.example", ["trader"])
    support = await signed_in_staff(Api(server, AURORA), db, "list-sup@op.example", ["support"])

    listed = (await admin.query(STAFF, {"s": "list-"})).data["staffMembers"]
    refused = await support.query(STAFF, {"s": "list-"})

    assert listed == [
        {"email": "list-admin@op.example", "roles": ["ADMIN"], "brands": ["aurora"]},
        {"email": "list-every@op.example", "roles": ["TRADER"], "brands": None},
        {"email": "list-sup@op.example", "roles": ["SUPPORT"], "brands": None},
    ]
    assert refused.body["errors"][0]["extensions"]["code"] == "PERMISSION_DENIED"
