"""Request errors (documents that do not parse or validate, variables that do not coerce):
typed, free of schema suggestions outside development, and never an unexpected error, even
for number literals of thousands of digits."""

from __future__ import annotations

from typing import Any

import pytest

from domain.kernel.settings import Environment, get_settings
from schema import build_schema
from schema.extensions import NUMBER_LITERAL_LENGTH_MAX
from tests.support import Api

GRAPHQL_RESPONSE = "application/graphql-response+json"


class Context:
    request_id = "req-edges-01"
    request_error = False


# Each document (with its variables) makes graphql-core suggest a name of the schema.
SUGGESTING = {
    "a field": ("{ brnd { slug } }", None),
    "an argument": ("{ casinoGames(frst: 2) { edges { cursor } } }", None),
    "a type": (
        "mutation($i: LoginInpt!) { login(input: $i) { token } }",
        {"i": {"identifier": "a", "password": "b"}},
    ),
    "an enum value": (
        "mutation { setOddsFormat(input: {format: DECIMEL}) { errors { code } } }",
        None,
    ),
    "an input field of a variable": (
        "mutation($i: LoginInput!) { login(input: $i) { token } }",
        {"i": {"identifer": "a", "password": "b"}},
    ),
}


async def _messages(
    environment: Environment, document: str, variables: dict[str, Any] | None
) -> list[str]:
    schema = build_schema(get_settings().model_copy(update={"env": environment}))
    result = await schema.execute(document, variable_values=variables, context_value=Context())
    assert result.errors
    return [error.message for error in result.errors]


@pytest.mark.parametrize(("document", "variables"), SUGGESTING.values(), ids=SUGGESTING.keys())
async def test_errors_suggest_names_only_in_development(
    document: str, variables: dict[str, Any] | None
) -> None:
    development = await _messages(Environment.DEV, document, variables)
    production = await _messages(Environment.PRODUCTION, document, variables)
    test = await _messages(Environment.TEST, document, variables)

    assert any("Did you mean" in message for message in development), development
    assert production == test
    assert not any("Did you mean" in message for message in production), production
    # The rest of the message stays: it says what is wrong, not what would be right.
    assert len(development) == len(production)
    for shown, hidden in zip(development, production, strict=True):
        assert hidden.startswith(shown.split(" Did you mean")[0])


async def test_the_api_does_not_suggest_field_names(aurora: Api) -> None:
    result = await aurora.query("{ brnd { slug } }", headers={"accept": GRAPHQL_RESPONSE})

    assert result.status == 400
    assert result.body["errors"][0]["message"] == "Cannot query field 'brnd' on type 'Query'."


REQUEST_ERRORS = {
    "a syntax error": ("{ brand { slug ", None, "GRAPHQL_PARSE_FAILED"),
    "an unknown field": ("{ nope }", None, "GRAPHQL_VALIDATION_FAILED"),
    "a variable that does not coerce": (
        "query($s: String!) { players(search: $s) { id } }",
        {"s": 5},
        "BAD_USER_INPUT",
    ),
}


@pytest.mark.parametrize(
    ("document", "variables", "code"), REQUEST_ERRORS.values(), ids=REQUEST_ERRORS.keys()
)
async def test_request_errors_carry_a_code(
    aurora: Api, document: str, variables: dict[str, Any] | None, code: str
) -> None:
    result = await aurora.query(document, variables, headers={"accept": GRAPHQL_RESPONSE})

    assert result.status == 400
    assert [error["extensions"]["code"] for error in result.body["errors"]] == [code]


DIGITS = "1" * 4_400


def games(arguments: str) -> str:
    return "{ casinoGames(" + arguments + ") { edges { cursor } } }"


LONG_LITERALS = {
    "an Int": games(f"first: {DIGITS}"),
    "a negative Int": games(f"first: -{DIGITS}"),
    "a Float": games(f"first: 1.{DIGITS}"),
    "an exponent": games(f"first: 1e{DIGITS}"),
    "an ID": "{ node(id: " + DIGITS + ") { id } }",
    "a default value": "query($n: Int = "
    + DIGITS
    + ") { casinoGames(first: $n) { edges { cursor } } }",
    "inside a list": games(f"first: 1, tags: [{DIGITS}]"),
}


@pytest.mark.parametrize("document", LONG_LITERALS.values(), ids=LONG_LITERALS.keys())
async def test_a_number_literal_of_thousands_of_digits_is_a_typed_400(
    aurora: Api, document: str
) -> None:
    result = await aurora.query(document, headers={"accept": GRAPHQL_RESPONSE})

    assert result.status == 400
    assert "data" not in result.body
    assert result.body["errors"] == [
        {
            "message": f"Number literals are at most {NUMBER_LITERAL_LENGTH_MAX} characters long.",
            "locations": result.body["errors"][0]["locations"],
            "extensions": {"code": "GRAPHQL_VALIDATION_FAILED"},
        }
    ]


async def test_a_number_literal_at_the_bound_is_left_to_the_type_rules(aurora: Api) -> None:
    document = games("first: " + "1" * NUMBER_LITERAL_LENGTH_MAX)

    result = await aurora.query(document, headers={"accept": GRAPHQL_RESPONSE})

    assert result.status == 400
    assert result.body["errors"][0]["message"].startswith(
        "Int cannot represent non 32-bit signed integer value"
    )


@pytest.mark.parametrize(
    "document",
    [games('first: 1, search: "' + "9" * 90 + '"'), "# " + "9" * 90 + "\n" + games("first: 1")],
    ids=["in a string", "in a comment"],
)
async def test_a_long_digit_run_that_is_not_a_number_literal_is_not_refused(
    aurora: Api, document: str
) -> None:
    result = await aurora.query(document, headers={"accept": GRAPHQL_RESPONSE})

    assert result.status == 200
    assert "errors" not in result.body
