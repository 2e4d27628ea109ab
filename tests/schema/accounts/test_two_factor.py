"""TOTP: optional for players, enforced at sign-in once on, codes single-use."""

from __future__ import annotations

import asyncio

from tests.support import VIEWER, Api, fresh_code

BEGIN = "mutation { beginTwoFactorEnrolment { secret provisioningUri errors { code } } }"
CONFIRM = "mutation($c: String!) { confirmTwoFactorEnrolment(input: {code: $c}) { enabled token errors { code } } }"
COMPLETE = (
    "mutation($c: String!) { completeTwoFactor(input: {code: $c}) { token errors { code field } } }"
)
DISABLE = (
    "mutation($c: String!) { disableTwoFactor(input: {code: $c}) { disabled errors { code } } }"
)


async def _enrolled_player(api: Api, email: str) -> str:
    await api.register(email=email)
    await api.login(email)
    begin = (await api.query(BEGIN)).data["beginTwoFactorEnrolment"]
    assert begin["provisioningUri"].startswith("otpauth://totp/Stakehouse:")
    confirm = (await api.query(CONFIRM, {"c": fresh_code(begin["secret"])})).data
    assert confirm["confirmTwoFactorEnrolment"] == {"enabled": True, "token": None, "errors": []}
    return str(begin["secret"])


async def test_sign_in_asks_for_the_code_once_two_factor_is_on(aurora: Api) -> None:
    secret = await _enrolled_player(aurora, "lea@example.com")

    payload = await aurora.login("lea@example.com")
    assert payload["twoFactorRequired"] is True
    pending = (await aurora.query(VIEWER)).data["viewer"]
    assert pending == {"twoFactorPending": True, "permissions": [], "player": None, "staff": None}

    done = (await aurora.query(COMPLETE, {"c": fresh_code(secret, steps_ahead=1)})).data[
        "completeTwoFactor"
    ]
    assert done["errors"] == [] and done["token"] != aurora.token
    aurora.token = done["token"]
    assert (await aurora.query(VIEWER)).data["viewer"]["player"]["email"] == "lea@example.com"


async def test_a_wrong_or_replayed_code_is_refused(aurora: Api) -> None:
    secret = await _enrolled_player(aurora, "max@example.com")
    await aurora.login("max@example.com")
    pending_token = aurora.token

    wrong = (await aurora.query(COMPLETE, {"c": "000000"})).data["completeTwoFactor"]
    assert wrong["errors"] == [{"code": "INVALID_TWO_FACTOR_CODE", "field": "code"}]

    # The code used for enrolment was consumed; it cannot be replayed.
    replay = (await aurora.query(COMPLETE, {"c": fresh_code(secret)})).data["completeTwoFactor"]
    assert replay["errors"][0]["code"] == "INVALID_TWO_FACTOR_CODE"
    assert aurora.token == pending_token
    assert (await aurora.query(VIEWER)).data["viewer"]["twoFactorPending"] is True


async def test_pending_session_is_revoked_after_five_wrong_codes(aurora: Api) -> None:
    secret = await _enrolled_player(aurora, "ned@example.com")
    await aurora.login("ned@example.com")
    for _ in range(5):
        await aurora.query(COMPLETE, {"c": "123456"})

    late = (await aurora.query(COMPLETE, {"c": fresh_code(secret, steps_ahead=1)})).data[
        "completeTwoFactor"
    ]

    assert late["errors"][0]["code"] == "NOT_AUTHENTICATED"


async def test_a_player_can_turn_two_factor_off_with_a_code(aurora: Api) -> None:
    secret = await _enrolled_player(aurora, "ola@example.com")

    off = (await aurora.query(DISABLE, {"c": fresh_code(secret, steps_ahead=1)})).data[
        "disableTwoFactor"
    ]

    assert off == {"disabled": True, "errors": []}
    assert (await aurora.login("ola@example.com"))["twoFactorRequired"] is False


async def test_parallel_guesses_are_each_counted(aurora: Api) -> None:
    secret = await _enrolled_player(aurora, "ola@example.com")
    await aurora.login("ola@example.com")

    # Ten guesses at once: every one is counted, so the pending session ends after five.
    await asyncio.gather(*(aurora.query(COMPLETE, {"c": "123456"}) for _ in range(10)))
    late = (await aurora.query(COMPLETE, {"c": fresh_code(secret, steps_ahead=1)})).data

    assert late["completeTwoFactor"]["errors"][0]["code"] == "NOT_AUTHENTICATED"


async def test_a_fresh_password_login_buys_no_fresh_guesses(aurora: Api) -> None:
    secret = await _enrolled_player(aurora, "pia@example.com")
    await aurora.login("pia@example.com")
    for _ in range(5):
        await aurora.query(COMPLETE, {"c": "123456"})

    await aurora.login("pia@example.com")
    right = (await aurora.query(COMPLETE, {"c": fresh_code(secret, steps_ahead=1)})).data

    assert right["completeTwoFactor"]["token"] is None
    assert right["completeTwoFactor"]["errors"][0]["code"] == "TOO_MANY_ATTEMPTS"


async def test_a_password_alone_can_neither_list_nor_end_the_owners_sessions(
    aurora: Api, server: str
) -> None:
    await _enrolled_player(aurora, "quy@example.com")
    intruder = Api(server, aurora.host)
    await intruder.login("quy@example.com")  # password only: the code is still owed

    listed = (await intruder.query("{ viewer { sessions { id } } }")).data["viewer"]["sessions"]
    revoke = await intruder.query(
        "mutation { revokeMySessions(input: {keepCurrent: true}) { revokedCount errors { code } } }"
    )

    assert listed == []
    assert revoke.data["revokeMySessions"] == {
        "revokedCount": 0,
        "errors": [{"code": "TWO_FACTOR_REQUIRED"}],
    }
    assert (await aurora.query(VIEWER)).data["viewer"]["player"]["email"] == "quy@example.com"
    await intruder.aclose()


async def test_wrong_codes_to_turn_two_factor_off_are_counted(aurora: Api) -> None:
    secret = await _enrolled_player(aurora, "rex@example.com")
    for _ in range(5):
        await aurora.query(DISABLE, {"c": "123456"})

    right = (await aurora.query(DISABLE, {"c": fresh_code(secret, steps_ahead=1)})).data

    assert right["disableTwoFactor"] == {
        "disabled": False,
        "errors": [{"code": "TOO_MANY_ATTEMPTS"}],
    }
