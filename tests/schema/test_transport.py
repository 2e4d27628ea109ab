"""GraphQL over HTTP: media types, limits, no GET, brand hosts, masked errors, introspection."""

from __future__ import annotations

import json

import httpx
import pytest
import strawberry

from domain.kernel.settings import Environment, get_settings
from schema import build_schema
from schema.extensions import extensions_for
from tests.support import Api

GRAPHQL_RESPONSE = "application/graphql-response+json"


async def test_a_document_that_fails_to_validate_is_a_400_without_data(aurora: Api) -> None:
    result = await aurora.query("{ nope }", headers={"accept": GRAPHQL_RESPONSE})

    assert result.status == 400
    assert result.headers["content-type"].startswith(GRAPHQL_RESPONSE)
    assert "data" not in result.body
    assert "nope" in result.body["errors"][0]["message"]


async def test_a_document_that_fails_to_parse_is_a_400(aurora: Api) -> None:
    result = await aurora.query("{ brand { ", headers={"accept": GRAPHQL_RESPONSE})

    assert result.status == 400
    assert "Syntax Error" in result.body["errors"][0]["message"]


async def test_a_good_document_is_200_in_either_media_type(aurora: Api) -> None:
    modern = await aurora.query(
        "{ brand { slug name currencies } }", headers={"accept": GRAPHQL_RESPONSE}
    )
    legacy = await aurora.query("{ brand { slug } }")

    assert modern.status == legacy.status == 200
    assert modern.headers["content-type"].startswith(GRAPHQL_RESPONSE)
    assert legacy.headers["content-type"].startswith("application/json")
    assert modern.data["brand"] == {
        "slug": "aurora",
        "name": "Aurora Casino",
        "currencies": ["EUR", "GBP"],
    }


async def test_too_deep_a_query_is_refused(aurora: Api) -> None:
    depth = get_settings().graphql_max_depth + 2
    document = "{ " + "viewer { player { " * (depth // 2) + "id" + " }" * (depth // 2 * 2) + " }"

    result = await aurora.query(document, headers={"accept": GRAPHQL_RESPONSE})

    assert result.status == 400
    assert "exceeds maximum operation depth" in result.body["errors"][0]["message"]


async def test_too_many_aliases_are_refused(aurora: Api) -> None:
    aliases = " ".join(
        f"a{index}: brand {{ slug }}" for index in range(get_settings().graphql_max_aliases + 1)
    )

    result = await aurora.query("{ " + aliases + " }", headers={"accept": GRAPHQL_RESPONSE})

    assert result.status == 400
    assert "aliases" in result.body["errors"][0]["message"]


async def test_too_many_tokens_are_refused(aurora: Api) -> None:
    fields = " ".join("slug" for _ in range(get_settings().graphql_max_tokens))

    result = await aurora.query(
        "{ brand { " + fields + " } }", headers={"accept": GRAPHQL_RESPONSE}
    )

    assert result.status == 400
    assert "token" in result.body["errors"][0]["message"].lower()


async def test_an_oversize_body_is_413(aurora: Api) -> None:
    padding = "x" * (get_settings().graphql_max_body_bytes + 1)

    response = await aurora.post({"query": "{ brand { slug } }", "variables": {"pad": padding}})

    assert response.status_code == 413
    assert response.json()["error"]["code"] == "BODY_TOO_LARGE"


async def test_get_operations_are_not_allowed(aurora: Api) -> None:
    response = await aurora.client.get("/graphql", params={"query": "{ brand { slug } }"})

    assert response.status_code == 405


async def test_batching_is_not_supported(aurora: Api) -> None:
    response = await aurora.post([{"query": "{ brand { slug } }"}, {"query": "{ brand { slug } }"}])

    assert response.status_code == 400


async def test_an_unknown_host_is_refused_without_a_default_brand(server: str) -> None:
    async with httpx.AsyncClient(base_url=server, headers={"host": "evil.example"}) as client:
        response = await client.post("/graphql", json={"query": "{ brand { slug } }"})

    assert response.status_code == 421
    assert response.json()["error"]["code"] == "UNKNOWN_BRAND"


async def test_api_host_takes_the_brand_header(server: str) -> None:
    async with httpx.AsyncClient(base_url=server, headers={"host": "api.localhost"}) as client:
        named = await client.post(
            "/graphql",
            json={"query": "{ brand { slug } }"},
            headers={"x-stakehouse-brand": "northstar"},
        )
        unnamed = await client.post("/graphql", json={"query": "{ brand { slug } }"})
        unknown = await client.post(
            "/graphql", json={"query": "{ brand { slug } }"}, headers={"x-stakehouse-brand": "nope"}
        )

    assert named.json()["data"]["brand"]["slug"] == "northstar"
    assert unnamed.status_code == unknown.status_code == 421


async def test_a_brand_header_that_contradicts_the_host_is_refused(aurora: Api) -> None:
    response = await aurora.post(
        {"query": "{ brand { slug } }"}, headers={"x-stakehouse-brand": "northstar"}
    )

    assert response.status_code == 421


async def test_every_response_carries_a_request_id(aurora: Api) -> None:
    response = await aurora.post(
        {"query": "{ brand { slug } }"}, headers={"x-request-id": "trace-12345678"}
    )

    assert response.headers["x-request-id"] == "trace-12345678"
    assert response.headers["x-content-type-options"] == "nosniff"


async def test_unexpected_errors_are_masked_with_the_request_id() -> None:
    @strawberry.type
    class Query:
        @strawberry.field
        def boom(self) -> str:
            raise RuntimeError("database password is hunter2")

    class Context:
        request_id = "req-abcdef12"
        request_error = False

    schema = strawberry.Schema(query=Query, extensions=extensions_for(get_settings()))
    result = await schema.execute("{ boom }", context_value=Context())

    assert result.errors is not None
    message = result.errors[0].message
    assert message == "Unexpected error (request id req-abcdef12)."
    assert "hunter2" not in json.dumps(result.errors[0].formatted)


@pytest.mark.parametrize(
    ("environment", "allowed"), [(Environment.DEV, True), (Environment.PRODUCTION, False)]
)
async def test_introspection_only_outside_production(
    environment: Environment, allowed: bool
) -> None:
    settings = get_settings().model_copy(update={"env": environment})

    result = await build_schema(settings).execute("{ __schema { queryType { name } } }")

    assert (result.errors is None) is allowed


async def test_livez_readyz_and_metrics_answer_on_any_host(server: str) -> None:
    async with httpx.AsyncClient(base_url=server, headers={"host": "10.0.0.7:8000"}) as client:
        livez = await client.get("/livez")
        readyz = await client.get("/readyz")
        metrics = await client.get("/metrics")

    assert livez.status_code == 200
    assert readyz.json() == {
        "status": "ok",
        "checks": {"pubsub": "ok", "outbox-relay": "ok", "database": "ok", "broker": "ok"},
    }
    assert "stakehouse_http_requests_total" in metrics.text


async def test_variables_that_do_not_coerce_are_a_400_naming_the_variable(aurora: Api) -> None:
    response = await aurora.query(
        "query($s: String!) { players(search: $s) { id } }",
        {"s": 5},
        headers={"accept": GRAPHQL_RESPONSE},
    )

    assert response.status == 400
    assert "data" not in response.body
    assert response.body["errors"][0]["message"].startswith("Variable '$s' has invalid value")


async def test_a_subscription_over_http_is_a_400_not_an_internal_error(aurora: Api) -> None:
    response = await aurora.post(
        {"query": "subscription { sessionEvents { kind } }"},
        headers={"accept": GRAPHQL_RESPONSE},
    )

    assert response.status_code == 400
    assert "subscriptions are not allowed" in response.text


@pytest.mark.parametrize("host", ["aurora.localhost", "api.localhost"])
async def test_metrics_are_not_served_on_public_hosts(server: str, host: str) -> None:
    async with httpx.AsyncClient(base_url=server, headers={"host": host}) as client:
        metrics = await client.get("/metrics")
        livez = await client.get("/livez")

    assert metrics.status_code == 404
    assert "stakehouse_http_requests_total" not in metrics.text
    assert livez.status_code == 200
