"""Staff: one-time password, mandatory TOTP, roles and their denials (nothing changes)."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select
from strawberry.relay import to_base64

from domain.accounts import staff as staff_service
from domain.accounts.models import Player
from domain.kernel.audit import AuditEntry, verify_chain
from domain.kernel.db import Database
from schema.ids import uuid_of_text
from tests.support import STRONG_PASSWORD, VIEWER, Api, fresh_code

STAFF_LOGIN = """mutation($i: StaffLoginInput!) { staffLogin(input: $i) { token twoFactorRequired errors { code } } }"""
BEGIN = "mutation { beginTwoFactorEnrolment { secret errors { code } } }"
CONFIRM = "mutation($c: String!) { confirmTwoFactorEnrolment(input: {code: $c}) { enabled token errors { code } } }"
CHANGE_PASSWORD = """mutation($i: ChangePasswordInput!) { changePassword(input: $i) { changed errors { code field } } }"""
SET_STATUS = """mutation($i: SetPlayerStatusInput!) {
  setPlayerStatus(input: $i) { player { id status } errors { code field message } } }"""
PLAYERS = "query($s: String!) { players(search: $s) { id email status } }"
NEW_PASSWORD = "staff-password-2026!"


async def _create_staff(
    db: Database, email: str, roles: list[str], brands: list[str] | None = None
) -> str:
    async with db.transaction() as uow:
        created = await staff_service.create(uow, None, email=email, roles=roles, brands=brands)
    return created.one_time_password


async def signed_in_staff(
    api: Api, db: Database, email: str, roles: list[str], brands: list[str] | None = None
) -> Api:
    """Walk the whole first sign-in: one-time password, TOTP enrolment, new password."""
    one_time = await _create_staff(db, email, roles, brands)
    login = (await api.query(STAFF_LOGIN, {"i": {"email": email, "password": one_time}})).data[
        "staffLogin"
    ]
    assert login["twoFactorRequired"] is True
    api.token = login["token"]
    secret = (await api.query(BEGIN)).data["beginTwoFactorEnrolment"]["secret"]
    confirmed = (await api.query(CONFIRM, {"c": fresh_code(secret)})).data[
        "confirmTwoFactorEnrolment"
    ]
    api.token = confirmed["token"]
    changed = await api.query(
        CHANGE_PASSWORD, {"i": {"currentPassword": one_time, "newPassword": NEW_PASSWORD}}
    )
    assert changed.data["changePassword"] == {"changed": True, "errors": []}
    return api


async def _player(api: Api, email: str) -> dict[str, Any]:
    return (await api.register(email=email))["player"]


async def test_staff_must_enrol_two_factor_before_anything(aurora: Api, db: Database) -> None:
    one_time = await _create_staff(db, "risk@op.example", ["risk"])
    login = (
        await aurora.query(STAFF_LOGIN, {"i": {"email": "risk@op.example", "password": one_time}})
    ).data
    aurora.token = login["staffLogin"]["token"]

    result = await aurora.query(PLAYERS, {"s": "a"})

    assert result.body["data"] is None
    assert result.body["errors"][0]["extensions"]["code"] == "TWO_FACTOR_REQUIRED"
    disable = await aurora.query(
        'mutation { disableTwoFactor(input: {code: "123456"}) { errors { code } } }'
    )
    assert disable.data["disableTwoFactor"]["errors"][0]["code"] in {
        "TWO_FACTOR_REQUIRED",
        "TWO_FACTOR_MANDATORY",
    }


async def test_one_time_password_must_be_replaced(aurora: Api, db: Database) -> None:
    one_time = await _create_staff(db, "fin@op.example", ["finance"])
    login = (
        await aurora.query(STAFF_LOGIN, {"i": {"email": "fin@op.example", "password": one_time}})
    ).data
    aurora.token = login["staffLogin"]["token"]
    secret = (await aurora.query(BEGIN)).data["beginTwoFactorEnrolment"]["secret"]
    aurora.token = (await aurora.query(CONFIRM, {"c": fresh_code(secret)})).data[
        "confirmTwoFactorEnrolment"
    ]["token"]

    blocked = await aurora.query(PLAYERS, {"s": "a"})

    assert blocked.body["errors"][0]["extensions"]["code"] == "PASSWORD_CHANGE_REQUIRED"


async def test_risk_can_suspend_a_player_and_it_is_audited(
    aurora: Api, server: str, db: Database
) -> None:
    player = await _player(aurora, "pat@example.com")
    player_api = Api(server, aurora.host)
    await player_api.login("pat@example.com")
    risk = await signed_in_staff(aurora, db, "risk@op.example", ["risk"])

    result = await risk.query(
        SET_STATUS, {"i": {"playerId": player["id"], "status": "SUSPENDED", "reason": "chargeback"}}
    )

    assert result.data["setPlayerStatus"] == {
        "player": {"id": player["id"], "status": "SUSPENDED"},
        "errors": [],
    }
    assert (await player_api.query(VIEWER)).data["viewer"] is None  # sessions ended
    async with db.uow() as uow:
        entry = await uow.session.scalar(
            # This player's row: the audit log is kept between tests (append-only).
            select(AuditEntry).where(
                AuditEntry.action == "player.status.change",
                AuditEntry.subject_id == str(uuid_of_text(player["id"], "Player")),
            )
        )
        assert entry is not None and entry.reason == "chargeback"
        assert entry.before == {"status": "active"} and entry.after == {"status": "suspended"}
        assert await verify_chain(uow) is None
    await player_api.aclose()


@pytest.mark.parametrize("role", ["support", "crm", "trader", "finance"])
async def test_roles_without_the_permission_are_denied_and_nothing_changes(
    aurora: Api, db: Database, role: str
) -> None:
    player = await _player(aurora, "quin@example.com")
    member = await signed_in_staff(aurora, db, f"{role}@op.example", [role])
    async with db.uow() as uow:
        audit_rows = await uow.session.scalar(select(func.count()).select_from(AuditEntry))

    result = await member.query(
        SET_STATUS, {"i": {"playerId": player["id"], "status": "CLOSED", "reason": "x"}}
    )

    assert result.data["setPlayerStatus"]["player"] is None
    assert [error["code"] for error in result.data["setPlayerStatus"]["errors"]] == [
        "PERMISSION_DENIED"
    ]
    async with db.uow() as uow:
        assert await uow.session.scalar(select(Player.status)) == "active"
        assert await uow.session.scalar(select(func.count()).select_from(AuditEntry)) == audit_rows


async def test_players_query_permission_matrix(aurora: Api, server: str, db: Database) -> None:
    await _player(aurora, "ray@example.com")
    player_api = Api(server, aurora.host)
    await player_api.login("ray@example.com")
    trader = await signed_in_staff(Api(server, aurora.host), db, "trader@op.example", ["trader"])
    support = await signed_in_staff(Api(server, aurora.host), db, "support@op.example", ["support"])

    anonymous = await aurora.query(PLAYERS, {"s": "ray"})
    as_player = await player_api.query(PLAYERS, {"s": "ray"})
    as_trader = await trader.query(PLAYERS, {"s": "ray"})
    as_support = await support.query(PLAYERS, {"s": "ray"})

    assert anonymous.body["errors"][0]["extensions"]["code"] == "NOT_AUTHENTICATED"
    assert as_player.body["errors"][0]["extensions"]["code"] == "PERMISSION_DENIED"
    assert as_trader.body["errors"][0]["extensions"]["code"] == "PERMISSION_DENIED"
    assert [row["email"] for row in as_support.data["players"]] == ["ray@example.com"]
    for api in (player_api, trader, support):
        await api.aclose()


async def test_admin_creates_staff_and_a_non_admin_cannot(
    aurora: Api, server: str, db: Database
) -> None:
    create = """mutation($i: CreateStaffMemberInput!) {
      createStaffMember(input: $i) { staffMember { email roles } oneTimePassword errors { code field } } }"""
    admin = await signed_in_staff(aurora, db, "admin@op.example", ["admin"])
    crm = await signed_in_staff(Api(server, aurora.host), db, "crm@op.example", ["crm"])

    made = (await admin.query(create, {"i": {"email": "new@op.example", "roles": ["TRADER"]}})).data
    denied = (await crm.query(create, {"i": {"email": "x@op.example", "roles": ["ADMIN"]}})).data

    assert made["createStaffMember"]["staffMember"] == {
        "email": "new@op.example",
        "roles": ["TRADER"],
    }
    assert len(made["createStaffMember"]["oneTimePassword"]) >= 20
    assert denied["createStaffMember"]["errors"] == [{"code": "PERMISSION_DENIED", "field": None}]
    async with db.uow() as uow:
        assert await staff_service.find_by_email(uow, "x@op.example") is None
    await crm.aclose()


async def test_staff_sign_in_failures_look_the_same(aurora: Api, db: Database) -> None:
    await _create_staff(db, "sam@op.example", ["support"])

    wrong = await aurora.query(
        STAFF_LOGIN, {"i": {"email": "sam@op.example", "password": STRONG_PASSWORD}}
    )
    unknown = await aurora.query(
        STAFF_LOGIN, {"i": {"email": "nobody@op.example", "password": STRONG_PASSWORD}}
    )

    assert wrong.body == unknown.body
    assert wrong.body["data"]["staffLogin"]["errors"] == [{"code": "INVALID_CREDENTIALS"}]


async def test_a_brand_scoped_admin_cannot_grant_beyond_its_brands(
    aurora: Api, db: Database
) -> None:
    create = """mutation($i: CreateStaffMemberInput!) {
      createStaffMember(input: $i) { staffMember { email } errors { code field } } }"""
    set_roles = """mutation($i: SetStaffRolesInput!) {
      setStaffRoles(input: $i) { errors { code field } } }"""
    admin = await signed_in_staff(aurora, db, "local@op.example", ["admin"], ["aurora"])
    await _create_staff(db, "global@op.example", ["support"])

    everywhere = await admin.query(create, {"i": {"email": "a@op.example", "roles": ["ADMIN"]}})
    elsewhere = await admin.query(
        create, {"i": {"email": "b@op.example", "roles": ["SUPPORT"], "brands": ["northstar"]}}
    )
    own = await admin.query(
        create, {"i": {"email": "c@op.example", "roles": ["SUPPORT"], "brands": ["aurora"]}}
    )
    async with db.uow() as uow:
        global_staff = await staff_service.find_by_email(uow, "global@op.example")
        assert global_staff is not None
    promote = await admin.query(
        set_roles,
        {"i": {"staffId": to_base64("StaffMember", global_staff.id), "roles": ["ADMIN"]}},
    )

    denied = [{"code": "PERMISSION_DENIED", "field": "brands"}]
    assert everywhere.data["createStaffMember"]["errors"] == denied
    assert elsewhere.data["createStaffMember"]["errors"] == denied
    assert own.data["createStaffMember"] == {"staffMember": {"email": "c@op.example"}, "errors": []}
    assert promote.data["setStaffRoles"]["errors"] == denied
    async with db.uow() as uow:
        assert await staff_service.find_by_email(uow, "a@op.example") is None
        assert await staff_service.find_by_email(uow, "b@op.example") is None
        unchanged = await staff_service.find_by_email(uow, "global@op.example")
        assert unchanged is not None and unchanged.roles == ["support"]


async def test_self_exclusion_cannot_be_lifted_by_staff(
    aurora: Api, server: str, db: Database
) -> None:
    player = await _player(aurora, "sue@example.com")
    risk = await signed_in_staff(Api(server, aurora.host), db, "risk2@op.example", ["risk"])
    excluded = await risk.query(
        SET_STATUS,
        {"i": {"playerId": player["id"], "status": "SELF_EXCLUDED", "reason": "player asked"}},
    )
    assert excluded.data["setPlayerStatus"]["errors"] == []

    lifted = await risk.query(
        SET_STATUS, {"i": {"playerId": player["id"], "status": "ACTIVE", "reason": "asked"}}
    )

    assert [e["code"] for e in lifted.data["setPlayerStatus"]["errors"]] == [
        "SELF_EXCLUSION_ACTIVE"
    ]
    refused = await aurora.login("sue@example.com")
    assert [e["code"] for e in refused["errors"]] == ["SELF_EXCLUDED"]
    async with db.uow() as uow:
        assert await uow.session.scalar(select(Player.status)) == "self_excluded"
    await risk.aclose()


async def test_staff_owing_a_new_password_cannot_read_players_by_node(
    aurora: Api, db: Database
) -> None:
    player = await _player(aurora, "tom@example.com")
    one_time = await _create_staff(db, "sup2@op.example", ["support"])
    login = (
        await aurora.query(STAFF_LOGIN, {"i": {"email": "sup2@op.example", "password": one_time}})
    ).data["staffLogin"]
    aurora.token = login["token"]
    secret = (await aurora.query(BEGIN)).data["beginTwoFactorEnrolment"]["secret"]
    aurora.token = (await aurora.query(CONFIRM, {"c": fresh_code(secret)})).data[
        "confirmTwoFactorEnrolment"
    ]["token"]  # second factor done, the one-time password not yet replaced

    node = await aurora.query(
        "query($id: ID!) { node(id: $id) { ... on Player { email } } }", {"id": player["id"]}
    )

    assert node.data == {"node": None}


@pytest.mark.parametrize("reason", ["line one\nline two", "x" * 501])
async def test_a_reason_must_be_one_printable_line_of_bounded_length(
    aurora: Api, server: str, db: Database, reason: str
) -> None:
    player = await _player(aurora, "uli@example.com")
    risk = await signed_in_staff(Api(server, aurora.host), db, "risk3@op.example", ["risk"])

    result = await risk.query(
        SET_STATUS, {"i": {"playerId": player["id"], "status": "SUSPENDED", "reason": reason}}
    )

    assert [(e["code"], e["field"]) for e in result.data["setPlayerStatus"]["errors"]] == [
        ("INVALID", "reason")
    ]
    async with db.uow() as uow:
        assert await uow.session.scalar(select(Player.status)) == "active"
    await risk.aclose()


COMPLETE = (
    "mutation($c: String!) { completeTwoFactor(input: {code: $c}) { token errors { code } } }"
)


async def test_a_staff_member_owing_enrolment_can_change_password_and_finish_with_complete(
    aurora: Api, db: Database
) -> None:
    """The first sign-in as a client would walk it: the pending session may replace the
    one-time password and finish through completeTwoFactor, and nothing else privileged."""
    one_time = await _create_staff(db, "ops@op.example", ["risk"])
    login = await aurora.query(
        STAFF_LOGIN, {"i": {"email": "ops@op.example", "password": one_time}}
    )
    aurora.token = login.data["staffLogin"]["token"]

    too_early = (await aurora.query(COMPLETE, {"c": "123456"})).data["completeTwoFactor"]
    assert too_early == {"token": None, "errors": [{"code": "TWO_FACTOR_ENROLMENT_REQUIRED"}]}
    changed = await aurora.query(
        CHANGE_PASSWORD, {"i": {"currentPassword": one_time, "newPassword": NEW_PASSWORD}}
    )
    assert changed.data["changePassword"] == {"changed": True, "errors": []}
    still_pending = await aurora.query(PLAYERS, {"s": "a"})
    assert still_pending.body["errors"][0]["extensions"]["code"] == "TWO_FACTOR_REQUIRED"

    secret = (await aurora.query(BEGIN)).data["beginTwoFactorEnrolment"]["secret"]
    wrong = (await aurora.query(COMPLETE, {"c": "000000"})).data["completeTwoFactor"]
    assert wrong["errors"] == [{"code": "INVALID_TWO_FACTOR_CODE"}]
    code = fresh_code(secret)
    done = (await aurora.query(COMPLETE, {"c": code})).data["completeTwoFactor"]
    assert done["errors"] == [] and done["token"]

    aurora.token = done["token"]
    assert (await aurora.query(PLAYERS, {"s": "a"})).data["players"] == []
    # The code enrolled the account: signing in again asks for a code, and not this one.
    again = await aurora.query(
        STAFF_LOGIN, {"i": {"email": "ops@op.example", "password": NEW_PASSWORD}}
    )
    aurora.token = again.data["staffLogin"]["token"]
    replayed = (await aurora.query(COMPLETE, {"c": code})).data["completeTwoFactor"]
    assert replayed["errors"] == [{"code": "INVALID_TWO_FACTOR_CODE"}]


async def test_a_pending_session_of_staff_with_two_factor_cannot_change_the_password(
    aurora: Api, db: Database
) -> None:
    await signed_in_staff(aurora, db, "sec@op.example", ["risk"])
    login = await aurora.query(
        STAFF_LOGIN, {"i": {"email": "sec@op.example", "password": NEW_PASSWORD}}
    )
    aurora.token = login.data["staffLogin"]["token"]

    refused = await aurora.query(
        CHANGE_PASSWORD,
        {"i": {"currentPassword": NEW_PASSWORD, "newPassword": "another-pass-2026"}},
    )

    assert refused.data["changePassword"] == {
        "changed": False,
        "errors": [{"code": "TWO_FACTOR_REQUIRED", "field": None}],
    }
