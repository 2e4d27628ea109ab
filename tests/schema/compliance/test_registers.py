"""National self-exclusion registers: a person the register lists is excluded at
registration, at sign-in and by the periodic screening (northstar: Sweden, Spelpaus, lets
players through when the register cannot answer); Great Britain's pack fails closed; the
test register's answers are signed, and a forged, slow or failing one is no answer."""

from __future__ import annotations

import time
import uuid
from datetime import date, timedelta

import pytest
from sqlalchemy import text
from strawberry.relay import from_base64

from domain.compliance import registers
from domain.integrations.registers import (
    REGISTER_CALL_TIMEOUT_S,
    RegisterUnavailable,
    SandboxRegister,
)
from domain.kernel.db import Database
from tests.support import NORTHSTAR, Api
from workers.scheduler import JOBS, screen_national_registers

BORN = date(1990, 5, 17)  # what Api.register sends
LOGIN = """mutation($i: LoginInput!) {
  login(input: $i) { token errors { code field } } }"""


async def _register(api: Api, email: str) -> dict[str, object]:
    return await api.register(email=email, country="SE", currency="SEK")


async def _login(api: Api, email: str, *, withdraw_only: bool = False) -> dict[str, object]:
    variables = {"identifier": email, "password": "correct horse battery"}
    if withdraw_only:
        variables["withdrawOnly"] = True  # type: ignore[assignment]
    return (await api.query(LOGIN, {"i": variables})).data["login"]


async def _status_and_audit(db: Database, player_gid: str) -> tuple[str, list[str]]:
    player_id = uuid.UUID(from_base64(player_gid)[1])
    async with db.uow() as uow:
        status = await uow.session.scalar(
            text("SELECT status FROM players WHERE id = :p"), {"p": player_id}
        )
        actions = await uow.session.scalars(
            text(
                "SELECT action FROM audit_log WHERE subject_type = 'player' "
                "AND subject_id = :p AND action = 'player.register_exclusion'"
            ),
            {"p": str(player_id)},
        )
        return str(status), list(actions)


async def test_a_person_on_the_register_registers_excluded_and_signs_in_only_withdraw_only(
    server: str, db: Database
) -> None:
    api = Api(server, NORTHSTAR)
    SandboxRegister.exclude("Spelpaus", "listed@example.com", BORN)

    registered = await _register(api, "listed@example.com")
    refused = await _login(api, "listed@example.com")
    withdraw_only = await _login(api, "listed@example.com", withdraw_only=True)

    assert registered["errors"] == []
    assert registered["player"]["status"] == "SELF_EXCLUDED"  # type: ignore[index]
    assert refused == {"token": None, "errors": [{"code": "SELF_EXCLUDED", "field": None}]}
    assert withdraw_only["errors"] == [] and withdraw_only["token"]
    assert await _status_and_audit(db, registered["player"]["id"]) == (  # type: ignore[index]
        "self_excluded",
        ["player.register_exclusion"],
    )
    await api.aclose()


async def test_a_player_listed_after_registering_is_excluded_at_sign_in(
    server: str, db: Database
) -> None:
    api = Api(server, NORTHSTAR)
    registered = await _register(api, "later@example.com")
    first = await _login(api, "later@example.com")
    token = first["token"]
    SandboxRegister.exclude("Spelpaus", "later@example.com", BORN)

    again = await _login(api, "later@example.com")
    api.token = str(token)
    viewer = await api.query("{ viewer { player { id } } }")

    assert first["errors"] == []
    assert again == {"token": None, "errors": [{"code": "SELF_EXCLUDED", "field": None}]}
    # The earlier session ended with the exclusion.
    assert (viewer.body["data"]["viewer"] or {}).get("player") is None
    assert (await _status_and_audit(db, registered["player"]["id"]))[0] == "self_excluded"  # type: ignore[index]
    await api.aclose()


async def test_where_the_register_cannot_answer_sweden_lets_the_player_in(
    server: str, db: Database
) -> None:
    api = Api(server, NORTHSTAR)

    registered = await _register(api, "x+register-down@example.com")
    signed_in = await _login(api, "x+register-down@example.com")

    assert registered["errors"] == []
    assert registered["player"]["status"] == "ACTIVE"  # type: ignore[index]
    assert signed_in["errors"] == [] and signed_in["token"]
    await api.aclose()


async def test_the_periodic_screening_excludes_listed_active_players_once(
    server: str, db: Database
) -> None:
    api = Api(server, NORTHSTAR)
    listed = await _register(api, "periodic@example.com")
    clear = await _register(api, "clear@example.com")
    await _register(api, "y+register-down@example.com")
    SandboxRegister.exclude("Spelpaus", "periodic@example.com", BORN)
    # Both were screened at registration; a day passes.
    async with db.transaction() as uow:
        await uow.session.execute(
            text(
                "UPDATE players SET register_checked_at = now() - interval '25 hours' "
                "WHERE brand = 'northstar'"
            )
        )
    (job,) = [job for job in JOBS if job.run is screen_national_registers]

    first = await registers.screen_due(db, limit=1000)
    again = await registers.screen_due(db, limit=1000)

    assert job.name == "compliance.screen_national_registers"
    assert first[1] == 1  # one excluded
    # Everyone screened within the day; the one the register could not answer for
    # (y+register-down, Sweden lets them in) is asked again in an hour, not at once.
    assert again == (0, 0)
    async with db.uow() as uow:
        retry_in = await uow.session.scalar(
            text(
                "SELECT register_checked_at + interval '24 hours' - now() FROM players "
                "WHERE email = 'y+register-down@example.com'"
            )
        )
    assert timedelta(minutes=55) < retry_in <= timedelta(hours=1)
    assert (await _status_and_audit(db, listed["player"]["id"]))[0] == "self_excluded"  # type: ignore[index]
    assert (await _status_and_audit(db, clear["player"]["id"]))[0] == "active"  # type: ignore[index]
    await api.aclose()


async def test_great_britain_fails_closed_on_an_error_a_forgery_or_a_timeout() -> None:
    for email in ("a+register-down@example.com", "a+register-forged@example.com"):
        with pytest.raises(RegisterUnavailable):
            await registers.screen("GB", email, None, BORN)
    started = time.monotonic()
    with pytest.raises(RegisterUnavailable):
        await registers.screen("GB", "a+register-slow@example.com", None, BORN)
    assert REGISTER_CALL_TIMEOUT_S <= time.monotonic() - started < REGISTER_CALL_TIMEOUT_S + 1


async def test_the_test_register_signs_its_answers_and_lists_who_it_holds() -> None:
    reference = SandboxRegister.exclude("GAMSTOP", "Signed@Example.com", BORN)

    listed = await registers.screen("GB", "signed@example.com", None, BORN)
    not_listed = await registers.screen("GB", "signed@example.com", None, date(1991, 1, 1))
    no_register = await registers.screen("MT", "signed@example.com", None, BORN)

    assert listed is not None and listed.answer is not None
    assert (listed.answer.excluded, listed.answer.reference) == (True, reference)
    assert not_listed is not None and not_listed.answer is not None
    assert not_listed.answer.excluded is False
    assert no_register is None
    assert "signed@example.com|1990-05-17" in SandboxRegister.listed("GAMSTOP")
    SandboxRegister.remove("GAMSTOP", "signed@example.com", BORN)
    assert "signed@example.com|1990-05-17" not in SandboxRegister.listed("GAMSTOP")
