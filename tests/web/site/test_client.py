"""The site's GraphQL client: signed-out answers shared per brand for a few seconds
(`run_shared`), never a signed-in visitor's."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import text
from starlette.requests import Request

from domain.brands.service import BrandRegistry
from domain.casino.catalog import seed_demo_catalog
from domain.kernel.db import Database
from domain.kernel.pubsub import EventHub
from domain.kernel.settings import get_settings
from resolvers.context import SESSION_COOKIE
from schema import build_schema
from web.site import client
from web.site.client import SiteGraphQL

LOBBY = {
    "first": 24, "after": None, "search": None, "category": None, "provider": None,
    "favouritesOnly": False, "signedIn": False,
}  # fmt: skip
MAX_AGE_S = 5.0
DICE = "originals-dice"


class Clock:
    def __init__(self) -> None:
        self.now_s = 1000.0

    def __call__(self) -> float:
        return self.now_s


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    clock = Clock()
    monkeypatch.setattr(client.time, "monotonic", clock)
    return clock


@pytest.fixture
def graphql() -> SiteGraphQL:
    settings = get_settings()
    site_graphql = SiteGraphQL(build_schema(settings), settings)
    site_graphql.shares_answers = True  # off by default under test
    return site_graphql


@pytest.fixture
async def dice_switch(db: Database) -> Any:
    """Switch Originals Dice on or off on aurora; switched on again afterwards."""
    async with db.transaction() as uow:
        await seed_demo_catalog(uow, ["aurora", "northstar"])

    async def switch(enabled: bool) -> None:
        async with db.transaction() as uow:
            await uow.session.execute(
                text(
                    "UPDATE casino_brand_games SET enabled = :on WHERE brand = 'aurora' "
                    "AND game_id = (SELECT id FROM casino_games WHERE code = :code)"
                ),
                {"on": enabled, "code": DICE},
            )

    yield switch
    await switch(True)


def _request(
    db: Database, registry: BrandRegistry, brand: str, cookie: str | None = None
) -> Request:
    headers = [(b"host", f"{brand}.localhost".encode())]
    if cookie is not None:
        headers.append((b"cookie", f"{SESSION_COOKIE}={cookie}".encode()))
    state = {
        "db": db, "brand": registry.get(brand), "registry": registry,
        "hub": EventHub(get_settings().database_url or ""), "request_id": "test",
    }  # fmt: skip
    scope = {
        "type": "http", "method": "GET", "path": "/casino", "headers": headers,
        "client": ("127.0.0.1", 50000), "state": state,
    }  # fmt: skip
    return Request(scope)


def _codes(result: client.OperationResult) -> list[str]:
    return [edge["node"]["code"] for edge in result.data["casinoGames"]["edges"]]


async def test_a_switched_off_game_leaves_the_signed_out_lobby_once_the_answer_expires(
    graphql: SiteGraphQL, db: Database, registry: BrandRegistry, clock: Clock, dice_switch: Any
) -> None:
    async def lobby(brand: str = "aurora", cookie: str | None = None) -> client.OperationResult:
        request = _request(db, registry, brand, cookie)
        return await graphql.run_shared(request, "CasinoLobby", LOBBY, max_age_s=MAX_AGE_S)

    first = await lobby()
    await dice_switch(False)
    clock.now_s += MAX_AGE_S - 0.1
    shared = await lobby()
    with_a_session_cookie = await lobby(cookie="not-a-session")
    other_brand = await lobby("northstar")
    clock.now_s += 0.1
    expired = await lobby()

    assert DICE in _codes(first)
    # Within its age the answer is shared by every signed-out visitor of the brand...
    assert shared is first
    # ...but never with a request that carries a session, nor with another brand.
    assert DICE not in _codes(with_a_session_cookie)
    assert DICE in _codes(other_brand)
    assert DICE not in _codes(expired)


async def test_nothing_is_shared_when_sharing_is_off(
    graphql: SiteGraphQL, db: Database, registry: BrandRegistry, clock: Clock, dice_switch: Any
) -> None:
    graphql.shares_answers = False
    first = await graphql.run_shared(
        _request(db, registry, "aurora"), "CasinoLobby", LOBBY, max_age_s=MAX_AGE_S
    )
    await dice_switch(False)
    second = await graphql.run_shared(
        _request(db, registry, "aurora"), "CasinoLobby", LOBBY, max_age_s=MAX_AGE_S
    )

    assert DICE in _codes(first)
    assert DICE not in _codes(second)
