"""Connected login over GraphQL, as a frontend developer drives it, with the built-in test
identity provider the server itself serves: register through it (the jurisdiction's
questions still asked), sign in again later, link an existing account only with its
password; a replayed, foreign-state or wrong-nonce answer is refused. The HTTP adapter
talks to the same provider over real HTTP."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import date
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest
from sqlalchemy import text

from domain.accounts.connected_login import verify_id_token
from domain.integrations import identity_sandbox
from domain.integrations.identity_provider import HttpIdentityProvider
from domain.integrations.registers import SandboxRegister
from domain.kernel.db import Database
from tests.support import AURORA, NORTHSTAR, STRONG_PASSWORD, VIEWER, Api

CALLBACK = f"http://{AURORA}/login/connected/callback"
START = """
mutation Start($input: StartConnectedLoginInput!) {
  startConnectedLogin(input: $input) { authorizationUrl state errors { code field } }
}
"""
COMPLETE = """
mutation Complete($input: CompleteConnectedLoginInput!) {
  completeConnectedLogin(input: $input) {
    signedIn token twoFactorRequired
    registration { ticket email accountExists }
    errors { code field }
  }
}
"""
REGISTER = """
mutation Register($input: RegisterWithConnectedLoginInput!) {
  registerWithConnectedLogin(input: $input) {
    player { id } token errors { code field }
  }
}
"""
LINK = """
mutation Link($input: LinkConnectedLoginInput!) {
  linkConnectedLogin(input: $input) { token errors { code field } }
}
"""
EMAIL_VERIFIED = "query { viewer { player { email emailVerified } } }"


def new_email() -> str:
    return f"{uuid.uuid4().hex[:12]}@example.com"


async def start(api: Api) -> dict[str, str]:
    """The authorization request's parameters, as the provider receives them."""
    callback = f"http://{api.host}/login/connected/callback"
    payload = (await api.query(START, {"input": {"redirectUri": callback}})).data[
        "startConnectedLogin"
    ]
    assert payload["errors"] == []
    url = urlsplit(payload["authorizationUrl"])
    assert url.path == "/test-idp/authorize"
    parameters = {name: values[0] for name, values in parse_qs(url.query).items()}
    assert parameters["state"] == payload["state"]
    assert parameters["code_challenge_method"] == "S256"
    return parameters


async def sign_in_at_provider(api: Api, parameters: dict[str, str], email: str) -> str:
    """The player signs in on the provider's page: its answer's code (for this state)."""
    response = await api.client.get(
        "/test-idp/approve?" + urlencode({**parameters, "email": email})
    )
    assert response.status_code == 303
    answer = parse_qs(urlsplit(response.headers["location"]).query)
    assert answer["state"] == [parameters["state"]]
    return answer["code"][0]


async def complete(api: Api, state: str, code: str) -> dict[str, Any]:
    result = await api.query(COMPLETE, {"input": {"state": state, "code": code}})
    return result.data["completeConnectedLogin"]  # type: ignore[no-any-return]


async def connected_answer(api: Api, email: str) -> dict[str, Any]:
    parameters = await start(api)
    return await complete(
        api, parameters["state"], await sign_in_at_provider(api, parameters, email)
    )


async def register(
    api: Api, ticket: str, date_of_birth: str = "1990-05-17", *, country: str = "MT"
) -> dict[str, Any]:
    variables = {
        "input": {
            "ticket": ticket,
            "dateOfBirth": date_of_birth,
            "country": country,
            "currency": {"MT": "EUR", "SE": "SEK"}[country],
            "depositLimitPeriod": "WEEK",
            "depositLimitAmount": "50.00",
        }
    }
    return (await api.query(REGISTER, variables)).data["registerWithConnectedLogin"]  # type: ignore[no-any-return]


async def test_a_player_registers_through_the_provider_and_later_signs_in_with_it(
    aurora: Api,
) -> None:
    email = new_email()
    answer = await connected_answer(aurora, email)
    assert answer["signedIn"] is False and answer["token"] is None
    assert answer["registration"]["email"] == email
    assert answer["registration"]["accountExists"] is False

    registered = await register(aurora, answer["registration"]["ticket"])
    assert registered["errors"] == [] and registered["token"]
    aurora.token = registered["token"]
    viewer = (await aurora.query(EMAIL_VERIFIED)).data["viewer"]["player"]
    assert viewer == {"email": email, "emailVerified": True}

    aurora.token = None
    again = await connected_answer(aurora, email)
    assert again["signedIn"] is True and again["registration"] is None and again["token"]
    aurora.token = again["token"]
    assert (await aurora.query(VIEWER)).data["viewer"]["player"]["email"] == email


async def test_registration_through_the_provider_asks_the_jurisdictions_minimum_age(
    aurora: Api,
) -> None:
    answer = await connected_answer(aurora, new_email())
    ticket = answer["registration"]["ticket"]

    underage = await register(aurora, ticket, date_of_birth="2015-01-01")
    assert underage["errors"] == [{"code": "UNDERAGE", "field": "dateOfBirth"}]
    assert underage["token"] is None

    # The ticket survives a form error, and is used up by the registration.
    assert (await register(aurora, ticket))["errors"] == []
    assert (await register(aurora, ticket))["errors"] == [
        {"code": "AUTHORIZATION_REFUSED", "field": "ticket"}
    ]


async def test_a_replayed_answer_is_refused(aurora: Api) -> None:
    parameters = await start(aurora)
    code = await sign_in_at_provider(aurora, parameters, new_email())
    assert (await complete(aurora, parameters["state"], code))["errors"] == []

    replayed = await complete(aurora, parameters["state"], code)

    assert replayed["errors"] == [{"code": "AUTHORIZATION_REFUSED", "field": "state"}]
    assert replayed["registration"] is None


async def test_an_answer_with_a_state_this_server_never_issued_is_refused(aurora: Api) -> None:
    parameters = await start(aurora)
    forged_state = {**parameters, "state": "a-state-of-the-attackers-choosing"}
    code = await sign_in_at_provider(aurora, forged_state, new_email())

    refused = await complete(aurora, forged_state["state"], code)

    assert refused["errors"] == [{"code": "AUTHORIZATION_REFUSED", "field": "state"}]


async def test_an_id_token_with_another_attempts_nonce_is_refused(aurora: Api) -> None:
    mine, other = await start(aurora), await start(aurora)
    # The provider's answer to my request, but carrying the nonce of another attempt.
    code = await sign_in_at_provider(aurora, {**mine, "nonce": other["nonce"]}, new_email())

    refused = await complete(aurora, mine["state"], code)

    assert refused["errors"] == [{"code": "AUTHORIZATION_REFUSED", "field": "code"}]
    assert refused["signedIn"] is False and refused["registration"] is None


async def test_a_redirect_uri_off_the_brand_is_refused(aurora: Api) -> None:
    payload = (
        await aurora.query(
            START, {"input": {"redirectUri": "https://evil.example/login/connected/callback"}}
        )
    ).data["startConnectedLogin"]

    assert payload["authorizationUrl"] is None
    assert payload["errors"] == [{"code": "AUTHORIZATION_REFUSED", "field": "redirectUri"}]


async def test_an_existing_account_is_linked_only_with_its_password(aurora: Api) -> None:
    email = new_email()
    assert (await aurora.register(email=email))["errors"] == []
    answer = await connected_answer(aurora, email)
    assert answer["registration"]["accountExists"] is True
    ticket = answer["registration"]["ticket"]

    wrong = await aurora.query(LINK, {"input": {"ticket": ticket, "password": "not it at all"}})
    assert wrong.data["linkConnectedLogin"] == {
        "token": None,
        "errors": [{"code": "INVALID_CREDENTIALS", "field": None}],
    }
    # No link was made: the provider alone still does not sign the account in.
    assert (await connected_answer(aurora, email))["signedIn"] is False

    linked = await aurora.query(LINK, {"input": {"ticket": ticket, "password": STRONG_PASSWORD}})
    assert linked.data["linkConnectedLogin"]["errors"] == []
    assert linked.data["linkConnectedLogin"]["token"]
    assert (await connected_answer(aurora, email))["signedIn"] is True


class _ToServer(httpx.AsyncBaseTransport):
    """Sends every request to the test server, keeping the brand host in `Host`."""

    def __init__(self, server: str) -> None:
        self.address = urlsplit(server)
        self.inner = httpx.AsyncHTTPTransport()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        request.url = request.url.copy_with(
            scheme="http", host=self.address.hostname, port=self.address.port
        )
        return await self.inner.handle_async_request(request)


async def test_the_http_adapter_reads_the_providers_discovery_keys_and_token_endpoint(
    server: str,
) -> None:
    issuer = f"http://{AURORA}/test-idp"
    client_id = identity_sandbox.client_id_for("aurora")
    provider = HttpIdentityProvider(
        issuer, client_id, "any-secret-the-test-provider-takes", transport=_ToServer(server)
    )
    verifier = "a-verifier-long-enough-for-pkce-0123456789abcdef"
    code = identity_sandbox.issue_code(
        issuer=issuer,
        client_id=client_id,
        redirect_uri=CALLBACK,
        email="over-http@example.com",
        nonce="n-over-http",
        code_challenge=identity_sandbox.pkce_challenge(verifier),
    )

    endpoints = await provider.endpoints()
    token = await provider.exchange_code(code=code, code_verifier=verifier, redirect_uri=CALLBACK)
    identity = await verify_id_token(provider, token, "n-over-http")

    assert endpoints.token_endpoint == f"{issuer}/token"
    assert identity.email == "over-http@example.com"
    assert identity.subject == identity_sandbox.subject_for("over-http@example.com")


@pytest.mark.parametrize("code", ["not-a-code", ""])
async def test_a_code_the_provider_never_issued_changes_nothing(aurora: Api, code: str) -> None:
    parameters = await start(aurora)

    refused = await complete(aurora, parameters["state"], code)

    assert refused["errors"][0]["code"] in {
        "AUTHORIZATION_REFUSED",
        "IDENTITY_PROVIDER_UNAVAILABLE",
    }
    assert refused["signedIn"] is False


# The national self-exclusion register (northstar: Sweden, Spelpaus) and the person's
# self-exclusion on another brand refuse connected login exactly as they refuse a password.
SELF_EXCLUDED = [{"code": "SELF_EXCLUDED", "field": None}]
SELF_EXCLUDE = """mutation { selfExclude(input: {period: SIX_MONTHS, confirm: true}) {
  excluded errors { code } } }"""


@pytest.fixture
async def northstar(server: str) -> AsyncIterator[Api]:
    api = Api(server, NORTHSTAR)
    yield api
    await api.aclose()


async def _status(db: Database, email: str) -> dict[str, str]:
    async with db.uow() as uow:
        rows = await uow.session.execute(
            text("SELECT brand, status FROM players WHERE email = :e"), {"e": email}
        )
        return {str(brand): str(status) for brand, status in rows.all()}


async def test_a_person_on_the_register_cannot_register_through_the_provider(
    northstar: Api, db: Database
) -> None:
    email = new_email()
    SandboxRegister.exclude("Spelpaus", email, date(1990, 5, 17))
    answer = await connected_answer(northstar, email)

    registered = await register(northstar, answer["registration"]["ticket"], country="SE")

    # As with a password: the account is made, excluded, and no session is handed out.
    assert registered["errors"] == SELF_EXCLUDED and registered["token"] is None
    assert await _status(db, email) == {"northstar": "self_excluded"}
    again = await connected_answer(northstar, email)
    assert again["errors"] == SELF_EXCLUDED and again["token"] is None


async def test_a_player_listed_after_registering_cannot_sign_in_through_the_provider(
    northstar: Api, db: Database
) -> None:
    email = new_email()
    answer = await connected_answer(northstar, email)
    registered = await register(northstar, answer["registration"]["ticket"], country="SE")
    assert registered["errors"] == [] and registered["token"]
    SandboxRegister.exclude("Spelpaus", email, date(1990, 5, 17))

    again = await connected_answer(northstar, email)
    northstar.token = registered["token"]
    viewer = await northstar.query(VIEWER)

    assert again["errors"] == SELF_EXCLUDED and again["token"] is None
    assert again["signedIn"] is False
    # The session of the registration ended with the exclusion.
    assert (viewer.body["data"]["viewer"] or {}).get("player") is None
    assert await _status(db, email) == {"northstar": "self_excluded"}


async def test_linking_a_listed_players_account_with_its_password_is_refused(
    northstar: Api, db: Database
) -> None:
    email = new_email()
    assert (await northstar.register(email=email, country="SE", currency="SEK"))["errors"] == []
    SandboxRegister.exclude("Spelpaus", email, date(1990, 5, 17))
    answer = await connected_answer(northstar, email)

    linked = await northstar.query(
        LINK,
        {"input": {"ticket": answer["registration"]["ticket"], "password": STRONG_PASSWORD}},
    )

    assert linked.data["linkConnectedLogin"] == {"token": None, "errors": SELF_EXCLUDED}
    assert await _status(db, email) == {"northstar": "self_excluded"}


async def test_a_person_self_excluded_on_another_brand_cannot_register_or_sign_in_with_it(
    aurora: Api, northstar: Api, db: Database
) -> None:
    email, other = new_email(), new_email()
    # `other` registered on aurora through the provider before excluding themselves.
    first = await connected_answer(aurora, other)
    assert (await register(aurora, first["registration"]["ticket"]))["errors"] == []
    for person in (email, other):
        assert (await northstar.register(email=person, country="SE", currency="SEK"))[
            "errors"
        ] == []
        await northstar.login(person)
        assert (await northstar.query(SELF_EXCLUDE)).data["selfExclude"]["excluded"] is True
        northstar.token = None

    answer = await connected_answer(aurora, email)
    registered = await register(aurora, answer["registration"]["ticket"])
    signed_in = await connected_answer(aurora, other)

    assert registered["errors"] == SELF_EXCLUDED and registered["token"] is None
    assert (await _status(db, email))["aurora"] == "self_excluded"
    assert signed_in["errors"] == SELF_EXCLUDED and signed_in["token"] is None


ERROR_CODES = """query($name: String!) { __type(name: $name) { enumValues { name } } }"""


@pytest.mark.parametrize(
    "enum",
    ["CompleteConnectedLoginErrorCode", "RegisterWithConnectedLoginErrorCode",
     "LinkConnectedLoginErrorCode"],
)  # fmt: skip
async def test_a_register_that_cannot_answer_where_the_pack_fails_closed_is_a_typed_error(
    aurora: Api, enum: str
) -> None:
    # As for a password (Great Britain's pack): REGISTER_UNAVAILABLE, never an unlisted code.
    found = (await aurora.query(ERROR_CODES, {"name": enum})).data["__type"]
    assert "REGISTER_UNAVAILABLE" in {value["name"] for value in found["enumValues"]}
