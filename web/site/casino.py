"""The casino pages: the lobby (live search, filters, favourites, infinite scroll, recently
played) and a game page that launches the game into an iframe next to the player's rounds.

Everything goes through the named documents Casino*.graphql (the lobby page is one
execution of CasinoLobby), LaunchGame.graphql and ToggleFavourite.graphql. Without
JavaScript the lobby is a GET form with "More games" links and favourites are form posts
answered by a redirect; htmx swaps partials instead.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final
from urllib.parse import urlencode, urlsplit

from starlette.datastructures import QueryParams
from starlette.requests import Request
from starlette.responses import Response

from domain.casino.lobby import LobbyCursor
from domain.kernel.errors import DomainError
from schema.inputs import typed_text
from web.site.refusals import refusal, refusals
from web.site.security import content_security_policy
from web.site.site import Page, Site, local_path

LOBBY_PAGE_SIZE: Final = 24
# The API's own limit on `search`; longer input is cut rather than refused.
SEARCH_LENGTH_MAX: Final = 100
FILTER_LENGTH_MAX: Final = 100
RECENT_ROUNDS_SHOWN: Final = 10
# How long the signed-out lobby (its first page of games, categories and providers) may be
# served from the site's per-brand cache: a game switched off, or a new one, shows within
# this time; launching a switched-off game is refused by the API all the same.
LOBBY_MAX_AGE_S: Final = 5.0
# Launch refusals after which the page offers play money instead (the account may not
# wager now, or the player is not signed in).
DEMO_FALLBACK_CODES: Final = frozenset(
    {"NOT_AUTHENTICATED", "TWO_FACTOR_REQUIRED", "SELF_EXCLUDED", "ACCOUNT_SUSPENDED",
     "ACCOUNT_CLOSED", "PLAYER_BLOCKED", "WITHDRAW_ONLY"}
)  # fmt: skip


@dataclass(frozen=True)
class LobbyFilters:
    search: str
    category: str
    provider: str
    favourites: bool

    @classmethod
    def of(cls, params: QueryParams, *, signed_in: bool) -> LobbyFilters:
        return cls(
            search=typed_text(params.get("q", ""), SEARCH_LENGTH_MAX),
            category=typed_text(params.get("category", ""), FILTER_LENGTH_MAX),
            provider=typed_text(params.get("provider", ""), FILTER_LENGTH_MAX),
            # Favourites are a signed-in player's; signed out the box is ignored.
            favourites=signed_in and params.get("favourites") == "1",
        )

    def query(self, after: str | None = None) -> str:
        """The lobby's query string for these filters (empty values left out)."""
        values = {
            "q": self.search,
            "category": self.category,
            "provider": self.provider,
            "favourites": "1" if self.favourites else "",
            "after": after or "",
        }
        return urlencode({name: value for name, value in values.items() if value})

    def variables(self, after: str | None) -> dict[str, Any]:
        return {
            "first": LOBBY_PAGE_SIZE,
            "after": after,
            "search": self.search or None,
            "category": self.category or None,
            "provider": self.provider or None,
            "favouritesOnly": self.favourites,
        }


UNFILTERED: Final = LobbyFilters(search="", category="", provider="", favourites=False)


def _valid_cursor(value: str | None) -> str | None:
    """The `after` cursor if the API issued it, else None (a stale or edited link starts
    again at the first page rather than failing)."""
    if not value:
        return None
    try:
        LobbyCursor.decode(value)
    except DomainError:
        return None
    return value


def _frame_source(launch_url: str) -> str:
    """The CSP source of the game server: this site itself, or an outside studio's origin."""
    parts = urlsplit(launch_url)
    if parts.scheme in {"http", "https"} and parts.netloc:
        return f"{parts.scheme}://{parts.netloc}"
    return "'self'"


class CasinoPages:
    def __init__(self, site: Site) -> None:
        self.site = site

    async def _games(
        self, request: Request, filters: LobbyFilters, after: str | None
    ) -> dict[str, Any]:
        result = await self.site.graphql.run(request, "CasinoGames", filters.variables(after))
        connection: dict[str, Any] = result.data["casinoGames"]
        return connection

    def _next_url(self, filters: LobbyFilters, connection: dict[str, Any], path: str) -> str | None:
        page_info = connection["pageInfo"]
        if not page_info["hasNextPage"]:
            return None
        return f"{path}?{filters.query(page_info['endCursor'])}"

    async def lobby(self, request: Request) -> Response:
        page = await self.site.page(request)
        signed_in = page.viewer.signed_in
        filters = LobbyFilters.of(request.query_params, signed_in=signed_in)
        after = _valid_cursor(request.query_params.get("after"))
        variables = {**filters.variables(after), "signedIn": signed_in}
        if filters == UNFILTERED and after is None:
            # The lobby a first visit lands on: the same for every signed-out visitor.
            result = await self.site.graphql.run_shared(
                request, "CasinoLobby", variables, max_age_s=LOBBY_MAX_AGE_S
            )
        else:
            result = await self.site.graphql.run(request, "CasinoLobby", variables)
        connection = result.data["casinoGames"]
        return self.site.render(
            page,
            "casino/lobby.html",
            filters=filters,
            edges=connection["edges"],
            next_url=self._next_url(filters, connection, "/casino/games"),
            more_url=self._next_url(filters, connection, "/casino"),
            categories=result.data["casinoCategories"],
            providers=result.data["casinoProviders"],
            recently_played=result.data.get("recentlyPlayedGames") or [],
            return_path=request.url.path + (f"?{request.url.query}" if request.url.query else ""),
        )

    async def games(self, request: Request) -> Response:
        """The partial: one page of game cards and, if more follow, the element that loads
        the next page once it is revealed. A plain GET (no htmx) gets the whole lobby."""
        if request.headers.get("hx-request") != "true":
            query = request.url.query
            return self.site.redirect(request, "/casino" + (f"?{query}" if query else ""))
        page = await self.site.page(request)
        filters = LobbyFilters.of(request.query_params, signed_in=page.viewer.signed_in)
        after = _valid_cursor(request.query_params.get("after"))
        connection = await self._games(request, filters, after)
        response = self.site.render(
            page,
            "casino/_games.html",
            filters=filters,
            edges=connection["edges"],
            next_url=self._next_url(filters, connection, "/casino/games"),
            more_url=self._next_url(filters, connection, "/casino"),
            return_path="/casino" + (f"?{filters.query()}" if filters.query() else ""),
        )
        if after is None:
            # A new search or filter: the address bar shows the lobby it amounts to.
            query = filters.query()
            response.headers["hx-replace-url"] = "/casino" + (f"?{query}" if query else "")
        return response

    async def favourite(self, request: Request) -> Response:
        """Mark or unmark a favourite (POST, CSRF-checked). htmx gets the button back; a
        form post without JavaScript goes back to the page it came from."""
        page = await self.site.page(request)
        form = await self.site.form(request)
        if form is None:
            return self.site.forbidden(page)
        if not page.viewer.signed_in:
            return self.site.sign_in_first(request, page)
        add = form.get("favourite") == "1"
        operation, field = (
            ("AddFavouriteGame", "addFavouriteGame") if add else
            ("RemoveFavouriteGame", "removeFavouriteGame")
        )  # fmt: skip
        variables = {"input": {"game": str(form.get("game") or "")}}
        result = await self.site.graphql.run(request, operation, variables)
        payload = result.data[field]
        if request.headers.get("hx-request") != "true":
            return self.site.redirect(request, local_path(form.get("next"), "/casino"))
        if payload["errors"] or payload["game"] is None:
            return self.site.render(
                page,
                "casino/_favourite_error.html",
                status=200,
                message=refusal(page, payload["errors"][0]) if payload["errors"] else "",
            )
        return self.site.render(
            page,
            "casino/_favourite.html",
            game=payload["game"],
            return_path=local_path(form.get("next"), "/casino"),
        )

    async def game(self, request: Request) -> Response:
        """The game in an iframe. Opening the page launches a session for a signed-in player
        (REAL when allowed, else DEMO; the API launches nothing, not even play money, for
        a visitor who is signed out): a GET, like following a link to a game. It moves no money
        (only playing in the game does), and its one-time URL reaches only this no-store
        page, which no other site may frame or read."""
        page = await self.site.page(request)
        signed_in = page.viewer.signed_in
        variables = {
            "code": request.path_params["code"][:FILTER_LENGTH_MAX],
            "provider": request.query_params.get("provider") or None,
            "signedIn": signed_in,
        }
        found = await self.site.graphql.run(request, "CasinoGame", variables)
        game = found.data["casinoGame"]
        if game is None:
            return self.site.render(
                page,
                "error.html",
                status=404,
                title=page.gettext("Game not found"),
                message=page.gettext("This casino does not offer this game."),
            )
        launched: dict[str, Any] | None = None
        notice: str | None = page.gettext("Sign in to play, for real money or for fun.")
        wallets: list[dict[str, Any]] = []
        if signed_in:
            wants_demo = request.query_params.get("mode") == "demo"
            launched, notice = await self._launch(request, page, game, demo=wants_demo)
            balances = await self.site.graphql.run(request, "AccountBalances")
            wallets = ((balances.data.get("viewer") or {}).get("player") or {}).get("wallets") or []
        response = self.site.render(
            page,
            "casino/game.html",
            personal=True,
            game=game,
            launch=launched,
            notice=notice,
            wallets=wallets,
            rounds=_rounds_of(found.data, game),
        )
        if launched is not None:
            source = _frame_source(launched["launchUrl"])
            response.headers["content-security-policy"] = content_security_policy(
                page.nonce, frame_sources=(source,)
            )
        return response

    async def rounds(self, request: Request) -> Response:
        """The game page's list of the player's latest rounds of the game: htmx asks for it
        again when the page's balance changes, so the round just played shows at once.
        Nothing (204, no swap) for a visitor who is signed out."""
        page = await self.site.page(request)
        if not page.viewer.signed_in:
            return Response(status_code=204)
        variables = {
            "code": request.path_params["code"][:FILTER_LENGTH_MAX],
            "provider": request.query_params.get("provider") or None,
            "signedIn": True,
        }
        found = await self.site.graphql.run(request, "CasinoGame", variables)
        game = found.data["casinoGame"]
        if game is None:
            return Response(status_code=404)
        return self.site.render(
            page, "casino/_rounds.html", personal=True, rounds=_rounds_of(found.data, game)
        )

    async def _launch(
        self, request: Request, page: Page, game: dict[str, Any], *, demo: bool
    ) -> tuple[dict[str, Any] | None, str | None]:
        """The launch (None if refused) and a note for the player, if any."""
        notice = None
        if not demo:
            real = await self._run_launch(request, game["id"], "REAL")
            if not real["errors"]:
                return real, None
            error = real["errors"][0]
            reason = (await refusals(self.site, request, page, [error]))[0]
            if error["code"] not in DEMO_FALLBACK_CODES or not game["demoAvailable"]:
                return None, reason
            notice = page.gettext("You cannot play for real money now: %(reason)s") % {
                "reason": reason
            }
        if not game["demoAvailable"]:
            return None, page.gettext("This game has no play-money mode.")
        launched = await self._run_launch(request, game["id"], "DEMO")
        if launched["errors"]:
            return None, refusal(page, launched["errors"][0])
        return launched, notice

    async def _run_launch(self, request: Request, game_id: str, mode: str) -> dict[str, Any]:
        variables = {"input": {"game": game_id, "mode": mode}}
        result = await self.site.graphql.run(request, "LaunchGame", variables)
        launched: dict[str, Any] = result.data["launchGame"]
        return launched


def _rounds_of(data: dict[str, Any], game: dict[str, Any]) -> list[dict[str, Any]]:
    """The viewer's latest rounds of this game (from their latest rounds of any game)."""
    player = (data.get("viewer") or {}).get("player") or {}
    edges = (player.get("gameRounds") or {}).get("edges") or []
    rounds = [
        edge["node"]
        for edge in edges
        if edge["node"]["gameCode"] == game["code"]
        and edge["node"]["provider"] == game["provider"]["code"]
    ]
    return rounds[:RECENT_ROUNDS_SHOWN]
