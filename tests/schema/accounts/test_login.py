"""Sign-in: any identifier, identical replies, throttling, brand-bound tokens, sessions."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import update

from domain.accounts.models import Player
from domain.kernel.db import Database
from tests.support import LOGIN, STRONG_PASSWORD, VIEWER, Api


async def test_login_with_email_phone_or_username(aurora: Api) -> None:
    await aurora.register(email="cy@example.com", phone="+35699123456", username="cyrus")

    for identifier in ("CY@example.com", "+356 9912 3456", "Cyrus"):
        payload = await aurora.login(identifier)
        assert payload["errors"] == [] and payload["token"], identifier
        viewer = (await aurora.query(VIEWER)).data["viewer"]
        assert viewer["player"]["email"] == "cy@example.com"


async def test_unknown_account_and_wrong_password_get_identical_replies(aurora: Api) -> None:
    await aurora.register(email="di@example.com")

    wrong_password = await aurora.query(
        LOGIN, {"input": {"identifier": "di@example.com", "password": "nope-nope-nope"}}
    )
    unknown = await aurora.query(
        LOGIN, {"input": {"identifier": "nobody@example.com", "password": "nope-nope-nope"}}
    )

    assert wrong_password.status == unknown.status == 200
    assert wrong_password.body == unknown.body
    assert wrong_password.body["data"]["login"]["errors"][0]["code"] == "INVALID_CREDENTIALS"


@pytest.mark.parametrize("identifier", ["ed@example.com", "ghost@example.com"])
async def test_failures_per_account_are_throttled(aurora: Api, identifier: str) -> None:
    await aurora.register(email="ed@example.com")
    for _ in range(5):
        await aurora.login(identifier, "wrong-password-1")

    # Even the right password is refused while throttled; unknown accounts look the same.
    payload = await aurora.login(identifier, STRONG_PASSWORD)

    assert payload["token"] is None
    assert [error["code"] for error in payload["errors"]] == ["TOO_MANY_ATTEMPTS"]


async def _login_from(api: Api, address: str, identifier: str, password: str) -> dict[str, Any]:
    """Sign in as a client at `address` (the test server trusts X-Forwarded-For from
    loopback, as production trusts its ingress)."""
    result = await api.query(
        LOGIN,
        {"input": {"identifier": identifier, "password": password}},
        headers={"x-forwarded-for": address},
    )
    return result.data["login"]


async def test_a_throttled_address_still_lets_a_correct_password_through(aurora: Api) -> None:
    """Customers behind one address (an office, a carrier's NAT) are not locked out
    together: a spray from their address throttles guesses, not everyone's sign-in."""
    from domain.kernel.settings import get_settings

    await aurora.register(email="fay@example.com")
    await aurora.register(email="gil@example.com")
    shared = "203.0.113.7"
    for attempt in range(get_settings().login_failures_per_address):
        await _login_from(aurora, shared, f"spray{attempt}@example.com", "wrong-password-1")

    fay = await _login_from(aurora, shared, "fay@example.com", STRONG_PASSWORD)
    assert fay["errors"] == [] and fay["token"]

    # From the throttled address an account gets one guess: after a miss even the right
    # password waits (as for an unknown account); elsewhere the account is unaffected.
    missed = await _login_from(aurora, shared, "gil@example.com", "wrong-password-1")
    locked = await _login_from(aurora, shared, "gil@example.com", STRONG_PASSWORD)
    unknown = await _login_from(aurora, shared, "spray0@example.com", "wrong-password-1")
    elsewhere = await _login_from(aurora, "198.51.100.9", "gil@example.com", STRONG_PASSWORD)

    assert [error["code"] for error in missed["errors"]] == ["INVALID_CREDENTIALS"]
    assert [error["code"] for error in locked["errors"]] == ["TOO_MANY_ATTEMPTS"]
    assert locked == unknown
    assert elsewhere["errors"] == [] and elsewhere["token"]


async def test_failures_count_per_account_whatever_identifier_named_it(aurora: Api) -> None:
    await aurora.register(email="hedy@example.com", phone="+35699111222", username="hedy")
    for identifier in ("hedy@example.com", "hedy", "+35699111222", "HEDY@example.com", "hedy"):
        missed = await aurora.login(identifier, "wrong-password-1")
        assert [error["code"] for error in missed["errors"]] == ["INVALID_CREDENTIALS"]

    # Five misses in all lock the account, whichever identifier is tried next.
    for identifier in ("hedy", "+356 9911 1222", "hedy@example.com"):
        payload = await aurora.login(identifier, STRONG_PASSWORD)
        assert payload["token"] is None, identifier
        assert [error["code"] for error in payload["errors"]] == ["TOO_MANY_ATTEMPTS"]


async def test_a_token_of_one_brand_is_unauthenticated_on_another(
    aurora: Api, northstar: Api
) -> None:
    await aurora.register(email="gus@example.com")
    await aurora.login("gus@example.com")

    northstar.token = aurora.token
    on_northstar = await northstar.query(VIEWER)
    on_aurora = await aurora.query(VIEWER)

    assert on_northstar.data["viewer"] is None
    assert on_aurora.data["viewer"]["player"]["email"] == "gus@example.com"


async def test_logout_revokes_the_token(aurora: Api) -> None:
    await aurora.register(email="hal@example.com")
    await aurora.login("hal@example.com")

    result = await aurora.query("mutation { logout { signedOut errors { code } } }")

    assert result.data["logout"] == {"signedOut": True, "errors": []}
    assert (await aurora.query(VIEWER)).data["viewer"] is None


async def test_revoke_all_other_sessions(aurora: Api, server: str) -> None:
    await aurora.register(email="ida@example.com")
    other = Api(server, aurora.host)
    await other.login("ida@example.com")
    await aurora.login("ida@example.com")

    result = await aurora.query(
        "mutation { revokeMySessions(input: {keepCurrent: true}) { revokedCount } }"
    )

    assert result.data["revokeMySessions"]["revokedCount"] == 1
    assert (await other.query(VIEWER)).data["viewer"] is None
    assert (await aurora.query(VIEWER)).data["viewer"]["player"]["email"] == "ida@example.com"
    sessions = (await aurora.query("{ viewer { sessions { current transport } } }")).data
    assert sessions["viewer"]["sessions"] == [{"current": True, "transport": "BEARER"}]
    await other.aclose()


async def test_cookie_login_sets_a_host_prefixed_cookie_and_rotates(aurora: Api) -> None:
    await aurora.register(email="jo@example.com")
    document = "mutation($i: LoginInput!) { login(input: $i) { token errors { code } } }"
    variables = {
        "i": {"identifier": "jo@example.com", "password": STRONG_PASSWORD, "transport": "COOKIE"}
    }
    origin = {"origin": "http://aurora.localhost"}

    first = await aurora.query(document, variables, headers=origin)
    cookie = first.headers["set-cookie"]
    assert first.data["login"]["token"] is None
    assert cookie.startswith("__Host-stakehouse_session=")
    for attribute in ("HttpOnly", "Path=/", "SameSite=lax", "Secure"):
        assert attribute.lower() in cookie.lower()
    old_token = cookie.split(";")[0].split("=", 1)[1]

    # Signing in again with the cookie present rotates it: the old session dies.
    aurora.client.cookies.set("__Host-stakehouse_session", old_token)
    second = await aurora.query(document, variables, headers=origin)
    new_token = second.headers["set-cookie"].split(";")[0].split("=", 1)[1]
    assert new_token != old_token
    aurora.client.cookies.set("__Host-stakehouse_session", old_token)
    stale = await aurora.query(VIEWER, headers=origin)
    assert stale.data["viewer"] is None


async def test_cookie_without_same_origin_is_ignored(aurora: Api) -> None:
    await aurora.register(email="kai@example.com")
    document = "mutation($i: LoginInput!) { login(input: $i) { errors { code } } }"
    variables = {
        "i": {"identifier": "kai@example.com", "password": STRONG_PASSWORD, "transport": "COOKIE"}
    }
    login = await aurora.query(document, variables, headers={"origin": "http://aurora.localhost"})
    token = login.headers["set-cookie"].split(";")[0].split("=", 1)[1]
    aurora.client.cookies.set("__Host-stakehouse_session", token)

    # A cross-site page cannot ride on the cookie (CSRF): no Origin or a foreign one.
    foreign = await aurora.query(VIEWER, headers={"origin": "https://evil.example"})
    missing = await aurora.query(VIEWER)
    same = await aurora.query(VIEWER, headers={"origin": "http://aurora.localhost"})

    assert foreign.data["viewer"] is None
    assert missing.data["viewer"] is None
    assert same.data["viewer"]["player"]["email"] == "kai@example.com"


async def test_spellings_of_one_phone_number_share_one_failure_count(aurora: Api) -> None:
    await aurora.register(phone="+35699111222")
    for spelling in ("+356 9911 1222", "+356-99-111-222", "+35699111222", "+356 99111222"):
        await aurora.login(spelling, "wrong-password-1")
    await aurora.login("+356 (99) 111 222", "wrong-password-1")

    payload = await aurora.login("+35699111222")

    assert [error["code"] for error in payload["errors"]] == ["TOO_MANY_ATTEMPTS"]


async def test_a_suspended_player_cannot_sign_in(aurora: Api, db: Database) -> None:
    await aurora.register(email="sid@example.com")
    async with db.transaction() as uow:
        await uow.session.execute(update(Player).values(status="suspended"))

    payload = await aurora.login("sid@example.com")

    assert payload["token"] is None
    assert [error["code"] for error in payload["errors"]] == ["ACCOUNT_SUSPENDED"]


async def test_guessing_the_current_password_through_change_password_is_throttled(
    aurora: Api,
) -> None:
    change = """mutation($i: ChangePasswordInput!) {
      changePassword(input: $i) { changed errors { code } } }"""
    await aurora.register(email="gus@example.com")
    await aurora.login("gus@example.com")
    for attempt in range(5):
        await aurora.query(
            change, {"i": {"currentPassword": f"guess-{attempt}-xyz", "newPassword": "n3w pass!!"}}
        )

    right = await aurora.query(
        change, {"i": {"currentPassword": STRONG_PASSWORD, "newPassword": "n3w pass word!"}}
    )

    assert right.data["changePassword"] == {
        "changed": False,
        "errors": [{"code": "TOO_MANY_ATTEMPTS"}],
    }
