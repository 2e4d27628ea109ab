"""The lobby over GraphQL: listing, search and filters, keyset pages, brand and jurisdiction
scoping, favourites (batched), recently played and launchGame."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

from sqlalchemy import text

from domain.accounts.models import PrincipalKind
from domain.accounts.principal import Principal
from domain.brands.service import BrandRegistry
from domain.casino.models import GameMode
from domain.kernel.db import Database
from domain.kernel.ids import new_id
from resolvers.casino import lobby as lobby_resolvers
from schema.casino.mutations import LaunchGameError
from schema.errors import to_errors
from tests.schema.accounts.test_player_list_queries import statements_on
from tests.schema.casino.support import PROVIDER, game_uuid
from tests.support import Api

GAMES = """query($first: Int!, $after: String, $search: String, $category: String,
                 $tags: [String!], $favouritesOnly: Boolean! = false) {
  casinoGames(first: $first, after: $after, search: $search, category: $category,
              provider: "lobby-test", tags: $tags, favouritesOnly: $favouritesOnly) {
    edges { node { name } }
    pageInfo { hasNextPage hasPreviousPage endCursor }
  }
}"""
FAVOURITE_PAGE = """query($first: Int!) {
  casinoGames(first: $first, provider: "lobby-test") { edges { node { code isFavourite } } }
}"""
ADD = "mutation($g: ID!) { addFavouriteGame(input: {game: $g}) { game { code isFavourite } errors { code field } } }"
REMOVE = (
    "mutation($g: ID!) { removeFavouriteGame(input: {game: $g}) { game { code } errors { code } } }"
)
LAUNCH = """mutation($g: ID!, $mode: GameMode!) {
  launchGame(input: {game: $g, mode: $mode}) {
    launchUrl session { id mode expiresAt } errors { code field }
  }
}"""


def _names(result: Any) -> list[str]:
    return [edge["node"]["name"] for edge in result.data["casinoGames"]["edges"]]


async def _player(api: Api, email: str) -> Api:
    await api.register(email=email)
    await api.login(email)
    return api


async def _session_count(db: Database) -> int:
    async with db.uow() as uow:
        count = await uow.session.scalar(
            text("SELECT count(*) FROM casino_game_sessions WHERE provider = :p"), {"p": PROVIDER}
        )
    return int(count or 0)


async def test_the_lobby_lists_the_brands_games_by_name_in_keyset_pages(
    aurora: Api, catalogue: dict[str, str]
) -> None:
    first = await aurora.query(GAMES, {"first": 4})
    info = first.data["casinoGames"]["pageInfo"]
    second = await aurora.query(GAMES, {"first": 4, "after": info["endCursor"]})

    assert _names(first) == [
        "Blackjack Classic",
        "Book of Stars",
        "Gonzo Gold",
        "Lightning Roulette",
    ]
    assert (info["hasNextPage"], info["hasPreviousPage"]) == (True, False)
    assert _names(second) == ["No Demo Poker", "Starlight Nights"]
    assert second.data["casinoGames"]["pageInfo"]["hasNextPage"] is False


async def test_a_game_shows_its_catalogue_fields(aurora: Api, catalogue: dict[str, str]) -> None:
    result = await aurora.query(
        """{ casinoGame(code: "book-of-stars") { id code name provider { code name } category
             tags rtp volatility thumbnailUrl demoAvailable enabled isFavourite } }"""
    )

    assert result.data["casinoGame"] == {
        "id": catalogue["book-of-stars"], "code": "book-of-stars", "name": "Book of Stars",
        "provider": {"code": "lobby-test", "name": "Lobby Test Studio"},
        "category": "test-slots", "tags": ["books", "egypt"], "rtp": "96.10",
        "volatility": "MEDIUM", "thumbnailUrl": "/static/book-of-stars.png",
        "demoAvailable": True, "enabled": True, "isFavourite": False,
    }  # fmt: skip
    node = await aurora.query(
        "query($id: ID!) { node(id: $id) { ... on CasinoGame { code } } }",
        {"id": catalogue["book-of-stars"]},
    )
    assert node.data["node"] == {"code": "book-of-stars"}


async def test_each_brand_lists_its_own_games_in_its_jurisdiction(
    aurora: Api, northstar: Api, catalogue: dict[str, str]
) -> None:
    on_northstar = await northstar.query(GAMES, {"first": 10})
    restricted = await aurora.query('{ casinoGame(code: "mega-jackpot") { name } }')
    categories = await aurora.query("{ casinoCategories { code gameCount } }")

    # Mega Jackpot is not certified in Malta (aurora), but is in Sweden (northstar).
    assert _names(on_northstar) == ["Book of Stars", "Mega Jackpot"]
    assert restricted.data["casinoGame"] is None
    assert [
        row for row in categories.data["casinoCategories"] if row["code"].startswith("test-")
    ] == [
        {"code": "test-live", "gameCount": 1},
        {"code": "test-slots", "gameCount": 3},
        {"code": "test-table", "gameCount": 2},
    ]


async def test_search_matches_names_with_typos_and_filters_combine(
    aurora: Api, catalogue: dict[str, str]
) -> None:
    async def names(**variables: Any) -> list[str]:
        return _names(await aurora.query(GAMES, {"first": 10, **variables}))

    assert await names(search="book") == ["Book of Stars"]
    # A word close enough (trigram word similarity >= 0.6) matches too.
    assert await names(search="stars") == ["Book of Stars", "Starlight Nights"]
    assert await names(search="  rulette ") == ["Lightning Roulette"]
    assert await names(search="gonzo gold") == ["Gonzo Gold"]
    assert await names(search="%") == []
    assert await names(category="test-table") == ["Blackjack Classic", "No Demo Poker"]
    assert await names(tags=["egypt"]) == ["Book of Stars", "Gonzo Gold"]
    assert await names(tags=["egypt", "books"]) == ["Book of Stars"]
    assert await names(search="gold", tags=["egypt"], category="test-live") == []


async def test_bad_pages_and_filters_are_errors_with_codes(
    aurora: Api, catalogue: dict[str, str]
) -> None:
    results = [
        await aurora.query(GAMES, {"first": 101}),
        await aurora.query(GAMES, {"first": 10, "after": "bm90LWEtY3Vyc29y"}),
        await aurora.query(GAMES, {"first": 10, "search": "x" * 101}),
        await aurora.query(GAMES, {"first": 10, "favouritesOnly": True}),
    ]

    assert [r.body["errors"][0]["extensions"]["code"] for r in results] == [
        "INVALID_PAGE_SIZE", "INVALID_CURSOR", "INVALID_FILTER", "NOT_AUTHENTICATED",
    ]  # fmt: skip


async def test_favourites_are_marked_listed_and_removed_idempotently(
    aurora: Api, catalogue: dict[str, str]
) -> None:
    player = await _player(aurora, "fan@example.com")

    added = await player.query(ADD, {"g": catalogue["gonzo-gold"]})
    again = await player.query(ADD, {"g": catalogue["gonzo-gold"]})
    favourites = await player.query(GAMES, {"first": 10, "favouritesOnly": True})
    removed = await player.query(REMOVE, {"g": catalogue["gonzo-gold"]})
    after_removal = await player.query(GAMES, {"first": 10, "favouritesOnly": True})

    expected = {"game": {"code": "gonzo-gold", "isFavourite": True}, "errors": []}
    assert added.data["addFavouriteGame"] == again.data["addFavouriteGame"] == expected
    assert _names(favourites) == ["Gonzo Gold"]
    assert removed.data["removeFavouriteGame"] == {"game": {"code": "gonzo-gold"}, "errors": []}
    assert _names(after_removal) == []


async def test_favourites_refuse_strangers_and_games_the_brand_does_not_list(
    aurora: Api, db: Database, catalogue: dict[str, str]
) -> None:
    anonymous = await aurora.query(ADD, {"g": catalogue["gonzo-gold"]})
    player = await _player(aurora, "fan2@example.com")
    restricted = await player.query(ADD, {"g": catalogue["mega-jackpot"]})
    unknown = await player.query(ADD, {"g": "Q2FzaW5vR2FtZTpub3Bl"})

    assert anonymous.data["addFavouriteGame"] == {
        "game": None, "errors": [{"code": "NOT_AUTHENTICATED", "field": None}],
    }  # fmt: skip
    for result in (restricted, unknown):
        assert result.data["addFavouriteGame"] == {
            "game": None, "errors": [{"code": "GAME_NOT_FOUND", "field": "game"}],
        }  # fmt: skip
    async with db.uow() as uow:
        assert await uow.session.scalar(text("SELECT count(*) FROM casino_favourites")) == 0


async def test_is_favourite_of_a_page_of_games_takes_one_statement(
    aurora: Api, catalogue: dict[str, str]
) -> None:
    player = await _player(aurora, "fan3@example.com")
    await player.query(ADD, {"g": catalogue["book-of-stars"]})

    with statements_on("casino_favourites") as two_games:
        small = await player.query(FAVOURITE_PAGE, {"first": 2})
    with statements_on("casino_favourites") as six_games:
        large = await player.query(FAVOURITE_PAGE, {"first": 6})

    assert [e["node"]["isFavourite"] for e in small.data["casinoGames"]["edges"]] == [False, True]
    assert [e["node"]["isFavourite"] for e in large.data["casinoGames"]["edges"]] == [
        False, True, False, False, False, False,
    ]  # fmt: skip
    assert len(two_games) == len(six_games) == 1


async def test_launch_real_and_demo_open_sessions_with_a_provider_url(
    aurora: Api, db: Database, catalogue: dict[str, str]
) -> None:
    # A new player has no money: launching is not betting, and demo never moves any.
    player = await _player(aurora, "launcher@example.com")

    real = (await player.query(LAUNCH, {"g": catalogue["book-of-stars"], "mode": "REAL"})).data
    demo = (await player.query(LAUNCH, {"g": catalogue["gonzo-gold"], "mode": "DEMO"})).data

    real_url = urlsplit(real["launchGame"]["launchUrl"])
    query = parse_qs(real_url.query)
    assert (real_url.netloc, real_url.path) == ("games.example", "/launch")
    assert (query["game"], query["mode"], query["currency"]) == (
        ["book-of-stars"],
        ["real"],
        ["EUR"],
    )
    assert len(query["token"][0]) >= 32
    assert real["launchGame"]["session"]["mode"] == "REAL"
    assert real["launchGame"]["errors"] == []
    assert parse_qs(urlsplit(demo["launchGame"]["launchUrl"]).query)["mode"] == ["demo"]
    assert demo["launchGame"]["session"]["mode"] == "DEMO"
    assert await _session_count(db) == 2


async def test_launch_refusals_are_typed_and_open_no_session(
    aurora: Api, db: Database, catalogue: dict[str, str]
) -> None:
    anonymous = await aurora.query(LAUNCH, {"g": catalogue["book-of-stars"], "mode": "REAL"})
    player = await _player(aurora, "refused@example.com")
    no_demo = await player.query(LAUNCH, {"g": catalogue["no-demo-poker"], "mode": "DEMO"})
    restricted = await player.query(LAUNCH, {"g": catalogue["mega-jackpot"], "mode": "DEMO"})
    async with db.transaction() as uow:
        await uow.session.execute(
            text(
                "UPDATE casino_brand_games SET enabled = false WHERE brand = 'aurora' "
                "AND game_id = :g"
            ),
            {"g": game_uuid(catalogue["gonzo-gold"])},
        )
    disabled = await player.query(LAUNCH, {"g": catalogue["gonzo-gold"], "mode": "REAL"})

    assert [
        result.data["launchGame"]["errors"] for result in (anonymous, no_demo, restricted, disabled)
    ] == [
        [{"code": "NOT_AUTHENTICATED", "field": None}],
        [{"code": "DEMO_UNAVAILABLE", "field": "mode"}],
        [{"code": "GAME_NOT_FOUND", "field": "game"}],
        [{"code": "GAME_DISABLED", "field": "game"}],
    ]
    assert [r.data["launchGame"]["launchUrl"] for r in (anonymous, no_demo, disabled)] == [None] * 3
    assert await _session_count(db) == 0


async def test_a_provider_switched_off_hides_and_refuses_its_games(
    aurora: Api, db: Database, catalogue: dict[str, str]
) -> None:
    player = await _player(aurora, "switch@example.com")
    async with db.transaction() as uow:
        await uow.session.execute(
            text(
                "INSERT INTO casino_brand_providers (brand, provider, enabled) "
                "VALUES ('aurora', :p, false)"
            ),
            {"p": PROVIDER},
        )

    listed = await player.query(GAMES, {"first": 10})
    launched = await player.query(LAUNCH, {"g": catalogue["book-of-stars"], "mode": "DEMO"})

    assert _names(listed) == []
    assert launched.data["launchGame"]["errors"] == [{"code": "GAME_DISABLED", "field": "game"}]
    assert await _session_count(db) == 0


async def test_providers_are_those_of_the_games_a_brand_lists(
    aurora: Api, northstar: Api, db: Database, catalogue: dict[str, str]
) -> None:
    query = "{ casinoProviders { code name } }"
    before = await aurora.query(query)
    on_northstar = await northstar.query(query)
    async with db.transaction() as uow:
        await uow.session.execute(
            text(
                "UPDATE casino_brand_games SET enabled = false WHERE brand = 'aurora' "
                "AND game_id IN (SELECT id FROM casino_games WHERE provider = :p)"
            ),
            {"p": PROVIDER},
        )
    switched_off = await aurora.query(query)

    studio = {"code": PROVIDER, "name": "Lobby Test Studio"}
    names = [row["name"] for row in before.data["casinoProviders"]]
    assert studio in before.data["casinoProviders"]
    assert names == sorted(names)
    assert studio in on_northstar.data["casinoProviders"]
    # Each of its games switched off on aurora: the studio is no longer a choice there.
    assert studio not in switched_off.data["casinoProviders"]


async def test_a_suspended_player_cannot_launch(
    aurora: Api, db: Database, catalogue: dict[str, str]
) -> None:
    player = await _player(aurora, "suspended@example.com")
    async with db.transaction() as uow:
        await uow.session.execute(
            text("UPDATE players SET status = 'suspended' WHERE email = 'suspended@example.com'")
        )

    result = await player.query(LAUNCH, {"g": catalogue["book-of-stars"], "mode": "REAL"})

    # A suspension ends the player's sessions: the token no longer signs anyone in.
    assert result.data["launchGame"]["errors"] == [{"code": "NOT_AUTHENTICATED", "field": None}]
    assert await _session_count(db) == 0


async def test_the_wager_guard_refuses_real_play_to_a_player_excluded_mid_request(
    db: Database, registry: BrandRegistry, catalogue: dict[str, str]
) -> None:
    from tests.support import create_player, request_context

    player_id = await create_player(db, registry)
    context = request_context(db, registry, "aurora")
    # Signed in when the request began; self-excluded (in another transaction) since.
    context._principal = Principal(PrincipalKind.PLAYER, player_id, new_id(), "aurora", True)
    context._principal_loaded = True
    async with db.transaction() as uow:
        await uow.session.execute(
            text("UPDATE players SET status = 'self_excluded' WHERE id = :p"), {"p": player_id}
        )

    real = await lobby_resolvers.launch_game(
        context, game_uuid(catalogue["book-of-stars"]), GameMode.REAL
    )

    errors = to_errors(LaunchGameError, real.errors)
    assert [(error.code.value, error.field) for error in errors] == [("SELF_EXCLUDED", None)]
    assert await _session_count(db) == 0


async def test_recently_played_lists_the_latest_launch_first(
    aurora: Api, catalogue: dict[str, str]
) -> None:
    player = await _player(aurora, "recent@example.com")
    for code in ("gonzo-gold", "book-of-stars", "gonzo-gold"):
        await player.query(LAUNCH, {"g": catalogue[code], "mode": "DEMO"})

    result = await player.query("{ recentlyPlayedGames(first: 5) { code } }")
    anonymous = await Api(aurora.base_url, aurora.host).query("{ recentlyPlayedGames { code } }")

    assert result.data["recentlyPlayedGames"] == [{"code": "gonzo-gold"}, {"code": "book-of-stars"}]
    assert anonymous.body["errors"][0]["extensions"]["code"] == "NOT_AUTHENTICATED"
