"""The cost limit on operations: the estimate counts what nesting lists and pages make the
server resolve, an operation over the limit is refused before it runs (a request error
with its cost and the limit), and every answer tells the client its cost."""

from __future__ import annotations

from pathlib import Path

import pytest
from graphql import OperationDefinitionNode, parse

from domain.kernel.paging import PAGE_SIZE_MAX
from domain.kernel.settings import get_settings
from schema import build_schema
from schema.cost import LIST_SIZE_ASSUMED, operation_cost
from schema.extensions import graphql_core_schema
from tests.support import Api

GRAPHQL_RESPONSE = "application/graphql-response+json"
DOCUMENTS = sorted((Path(__file__).parents[2] / "web" / "site" / "documents").glob("*.graphql"))
EVENTS = """
query Events($first: Int!) {
  sportsbookEvents(first: $first) { edges { node { markets { outcomes { id } } } } }
}
"""


@pytest.fixture(scope="module")
def core_schema():  # type: ignore[no-untyped-def]
    return graphql_core_schema(build_schema(get_settings()))


def test_pages_and_nested_lists_multiply(core_schema) -> None:  # type: ignore[no-untyped-def]
    cost = operation_cost(core_schema, parse(EVENTS), None, {"first": 50})

    markets = 50 * LIST_SIZE_ASSUMED
    outcomes = markets * LIST_SIZE_ASSUMED
    # events, edges, nodes, markets, outcomes, their ids
    assert cost.value == 1 + 50 + 50 + 50 + markets + outcomes
    assert cost.variables_read == ("first",)
    assert operation_cost(core_schema, parse(EVENTS), None, {"first": 1}).value < cost.value


def test_a_list_argument_multiplies_by_its_length(core_schema) -> None:  # type: ignore[no-untyped-def]
    one = 'subscription { oddsChanged(events: ["a"]) { event } }'
    three = 'subscription { oddsChanged(events: ["a", "b", "c"]) { event } }'

    assert operation_cost(core_schema, parse(three), None, {}).value == 1 + 3
    assert operation_cost(core_schema, parse(one), None, {}).value == 1 + 1


@pytest.mark.parametrize("path", DOCUMENTS, ids=lambda path: path.stem)
def test_every_site_document_fits_the_limit_at_the_largest_page(core_schema, path: Path) -> None:  # type: ignore[no-untyped-def]
    document = parse(path.read_text(encoding="utf-8"))
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    for operation in operations:
        assert operation.name is not None
        largest = {
            definition.variable.name.value: PAGE_SIZE_MAX
            for definition in operation.variable_definitions or ()
        }
        cost = operation_cost(core_schema, document, operation.name.value, largest)
        assert 0 < cost.value <= get_settings().graphql_max_cost, operation.name.value


async def test_an_operation_over_the_limit_is_refused_before_it_runs(aurora: Api) -> None:
    page = (
        "sportsbookEvents(first: 100) { edges { node { markets { outcomes { id name odds } } } } }"
    )
    # Four pages of events with their markets and outcomes: each alone is fine.
    document = "query Greedy { " + " ".join(f"{alias}: {page}" for alias in "abcd") + " }"

    result = await aurora.query(document, headers={"accept": GRAPHQL_RESPONSE})

    assert result.status == 400
    assert "data" not in result.body
    (error,) = result.body["errors"]
    limit = get_settings().graphql_max_cost
    assert error["extensions"]["code"] == "QUERY_TOO_COSTLY"
    assert error["extensions"]["limit"] == limit
    assert error["extensions"]["cost"] > limit
    assert f"over the limit of {limit}" in error["message"]


async def test_every_answer_carries_its_estimated_cost(aurora: Api) -> None:
    small = await aurora.query(EVENTS, variables={"first": 1})
    large = await aurora.query(EVENTS, variables={"first": 20})

    assert small.status == large.status == 200
    assert small.body["extensions"]["cost"] == {
        "estimated": 1 + 1 + 1 + 1 + LIST_SIZE_ASSUMED + LIST_SIZE_ASSUMED**2,
        "limit": get_settings().graphql_max_cost,
    }
    assert (
        large.body["extensions"]["cost"]["estimated"]
        > small.body["extensions"]["cost"]["estimated"]
    )
