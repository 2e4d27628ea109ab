"""Navigating the book over GraphQL: sports -> competitions -> events -> markets ->
outcomes, odds in three formats, and a constant number of statements per page."""

from __future__ import annotations

from domain.kernel.db import Database
from tests.schema.sportsbook.support import add_market
from tests.schema.wallets.support import counted_statements
from tests.support import Api

EVENT_LIST = """query($first: Int!) { sportsbookEvents(first: $first) {
  edges { node { name status markets { name status outcomes {
    name odds decimal: display fractional: display(format: FRACTIONAL)
    american: display(format: AMERICAN) } } } }
  pageInfo { hasNextPage } } }"""

# A page of two events per competition: ten of every competition of every sport with all
# their markets would cost over the operation limit (schema/cost.py), as it should.
TREE = """{ sports { name competitions { name events(first: 2) {
  edges { node { id name markets { outcomes { name odds } } } } } } } }"""


async def _book(db: Database, events: int) -> None:
    for _ in range(events):
        market = await add_market(db, {"home": "2.50", "draw": "3.20", "away": "1.50"})
        await add_market(
            db, {"over": "1.90", "under": "1.95"}, market_type="total", event_id=market.event_id
        )


async def test_the_event_list_with_markets_and_outcomes_costs_three_statements(
    aurora: Api, db: Database
) -> None:
    await _book(db, 1)
    with counted_statements() as one_event:
        single = (await aurora.query(EVENT_LIST, {"first": 20})).data["sportsbookEvents"]
    await _book(db, 4)
    with counted_statements() as five_events:
        many = (await aurora.query(EVENT_LIST, {"first": 20})).data["sportsbookEvents"]

    assert single["edges"][0]["node"] == {
        "name": "Home v Away",
        "status": "SCHEDULED",
        "markets": [
            {
                "name": "match_result",
                "status": "ACTIVE",
                "outcomes": [
                    {"name": "home", "odds": "2.5000", "decimal": "2.50", "fractional": "3/2",
                     "american": "+150"},
                    {"name": "draw", "odds": "3.2000", "decimal": "3.20", "fractional": "11/5",
                     "american": "+220"},
                    {"name": "away", "odds": "1.5000", "decimal": "1.50", "fractional": "1/2",
                     "american": "-200"},
                ],
            },
            {
                "name": "total",
                "status": "ACTIVE",
                "outcomes": [
                    {"name": "over", "odds": "1.9000", "decimal": "1.90", "fractional": "9/10",
                     "american": "-111"},
                    {"name": "under", "odds": "1.9500", "decimal": "1.95",
                     "fractional": "19/20", "american": "-105"},
                ],
            },
        ],
    }  # fmt: skip
    assert len(many["edges"]) == 5
    assert [len(edge["node"]["markets"]) for edge in many["edges"]] == [2] * 5
    assert len(one_event) == len(five_events) == 3


async def test_the_tree_from_sports_down_batches_each_level(aurora: Api, db: Database) -> None:
    await _book(db, 1)
    with counted_statements() as small:
        assert (await aurora.query(TREE)).data["sports"]
    await _book(db, 3)
    with counted_statements() as large:
        tree = (await aurora.query(TREE)).data["sports"]

    assert [sport["name"] for sport in tree] == ["Football"] * 4
    assert all(len(s["competitions"][0]["events"]["edges"]) == 1 for s in tree)
    # sports, competitions, events (one windowed statement), markets, outcomes.
    assert len(small) == len(large) == 5


async def test_pages_follow_the_cursor_and_nodes_resolve(aurora: Api, db: Database) -> None:
    await _book(db, 3)
    page = """query($after: String) { sportsbookEvents(first: 2, after: $after) {
      edges { node { id } } pageInfo { hasNextPage endCursor } } }"""

    first = (await aurora.query(page)).data["sportsbookEvents"]
    second = (await aurora.query(page, {"after": first["pageInfo"]["endCursor"]})).data[
        "sportsbookEvents"
    ]
    node = await aurora.query(
        "query($id: ID!) { node(id: $id) { ... on SportsbookEvent { name } } }",
        {"id": second["edges"][0]["node"]["id"]},
    )
    bad = await aurora.query("{ sportsbookEvents(first: 101) { edges { cursor } } }")

    assert [len(first["edges"]), first["pageInfo"]["hasNextPage"]] == [2, True]
    assert [len(second["edges"]), second["pageInfo"]["hasNextPage"]] == [1, False]
    assert {e["node"]["id"] for e in first["edges"]}.isdisjoint(
        {e["node"]["id"] for e in second["edges"]}
    )
    assert node.data == {"node": {"name": "Home v Away"}}
    assert bad.body["errors"][0]["extensions"]["code"] == "INVALID_PAGE_SIZE"
