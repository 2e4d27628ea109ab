"""The lobby: the games a brand lists (keyset pages, search, filters), its categories, a
player's recently played games and the check in front of a launch.

A game is listed on a brand when the brand offers it (`casino_brand_games`), its own switch
and its provider's switch on that brand are on, and the brand's jurisdiction is not among
the game's restricted ones. Every statement here applies that rule, in SQL.

Search is PostgreSQL trigram matching (pg_trgm, migration 0005): a name containing the text
(ILIKE) or a word of the name close to it (`<%`, word similarity >= 0.6, so "crsh" finds
"Crash"). Both use the trigram index on the name.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, Final, TypeAlias

from sqlalchemy import (
    ColumnElement,
    Select,
    Subquery,
    and_,
    any_,
    exists,
    func,
    literal,
    not_,
    or_,
    select,
    tuple_,
)

from domain.brands.service import Brand
from domain.casino.errors import GameNotFound
from domain.casino.models import (
    BrandGame,
    BrandProvider,
    CasinoGame,
    CasinoProvider,
    FavouriteGame,
    GameSession,
)
from domain.kernel import paging
from domain.kernel.db import UnitOfWork
from domain.kernel.errors import DomainError
from domain.kernel.paging import (
    TEXT,
    UUID,
    InvalidCursor,
    InvalidPageSize,
    check_page_size,
    cursor_payload,
    cursor_version,
    decode_cursor,
    encode_cursor,
)

PAGE_SIZE_DEFAULT: Final = 24
# The schema's argument docs cite it.
PAGE_SIZE_MAX: Final = paging.PAGE_SIZE_MAX
SEARCH_LENGTH_MAX: Final = 100
TAGS_MAX: Final = 10
TAG_LENGTH_MAX: Final = 40
RECENTLY_PLAYED_MAX: Final = 50
# The home page's "top" and "new" rails: at most this many games each.
RAIL_MAX: Final = 50
# "Top" counts the rounds played on the brand over this many days.
TOP_WINDOW_DAYS_DEFAULT: Final = 30
TOP_WINDOW_DAYS_MAX: Final = 90
_CURSOR_VERSION: Final = "g2"
# Cursors issued before the paging kit (base64 of a JSON list); still accepted, so a client
# paging across a deploy does not fail.
_CURSOR_VERSION_JSON: Final = "g1"


class InvalidLobbyFilter(DomainError):
    code = "INVALID_FILTER"
    message = "The filter is invalid."


class GameDisabled(DomainError):
    code = "GAME_DISABLED"
    message = "This game is switched off on this brand for now."


@dataclass(frozen=True)
class Game:
    id: uuid.UUID
    provider: str
    provider_name: str
    code: str
    name: str
    category: str
    tags: tuple[str, ...]
    rtp_basis_points: int
    volatility: str
    thumbnail_url: str | None
    demo_available: bool
    # The game's and its provider's switches on the brand, together.
    enabled: bool
    # The studio's release day, else the day the game reached the lobby.
    released_on: date

    @property
    def cursor(self) -> LobbyCursor:
        return LobbyCursor(self.name, self.id)


@dataclass(frozen=True)
class LobbyCursor:
    """A position in the lobby's order: (name, game id)."""

    name: str
    game_id: uuid.UUID

    def encode(self) -> str:
        return encode_cursor(_CURSOR_VERSION, self.name, self.game_id)

    @classmethod
    def decode(cls, text: str) -> LobbyCursor:
        """Errors: InvalidCursor."""
        if cursor_version(text) == _CURSOR_VERSION:
            return cls(*decode_cursor(text, _CURSOR_VERSION, TEXT, UUID))
        return cls._decode_json(text)

    @classmethod
    def _decode_json(cls, text: str) -> LobbyCursor:
        """A g1 cursor: `["g1", name, game id]`. Errors: InvalidCursor."""
        try:
            version, name, game_id = json.loads(cursor_payload(text))
            cursor = cls(str(name), uuid.UUID(str(game_id)))
        except (ValueError, TypeError):
            raise InvalidCursor(field="after") from None
        if version != _CURSOR_VERSION_JSON:
            raise InvalidCursor(field="after")
        return cursor


@dataclass(frozen=True)
class LobbyFilter:
    search: str | None = None
    category: str | None = None
    provider: str | None = None
    tags: tuple[str, ...] = ()
    # Only this player's favourites.
    favourites_of: uuid.UUID | None = None

    @classmethod
    def of(
        cls,
        *,
        search: str | None = None,
        category: str | None = None,
        provider: str | None = None,
        tags: Sequence[str] | None = None,
        favourites_of: uuid.UUID | None = None,
    ) -> LobbyFilter:
        """A validated filter (a blank search is no search). Errors: InvalidLobbyFilter."""
        text = " ".join((search or "").split())
        if len(text) > SEARCH_LENGTH_MAX:
            raise InvalidLobbyFilter(
                f"Search for at most {SEARCH_LENGTH_MAX} characters.", field="search"
            )
        unique_tags = tuple(sorted(set(tags or ())))
        if len(unique_tags) > TAGS_MAX or any(
            not 0 < len(tag) <= TAG_LENGTH_MAX for tag in unique_tags
        ):
            raise InvalidLobbyFilter(
                f"Give at most {TAGS_MAX} tags of 1-{TAG_LENGTH_MAX} characters.", field="tags"
            )
        return cls(text or None, category, provider, unique_tags, favourites_of)


@dataclass(frozen=True)
class LobbyPage:
    games: list[Game]
    has_next_page: bool


@dataclass(frozen=True)
class Category:
    code: str
    game_count: int


@dataclass(frozen=True)
class Provider:
    code: str
    name: str


# A game, its provider's name, and whether its switches on the brand are on.
_GameSelect: TypeAlias = Select[CasinoGame, str, bool]


def _enabled() -> ColumnElement[bool]:
    return and_(BrandGame.enabled, func.coalesce(BrandProvider.enabled, True))


def _offered(brand: Brand, *, include_disabled: bool = False) -> _GameSelect:
    """Games the brand offers in its jurisdiction (and only the switched-on ones, unless
    `include_disabled`), with the provider's name and the switches' state."""
    statement = (
        select(CasinoGame, CasinoProvider.name, _enabled().label("enabled"))
        .join(CasinoProvider, CasinoProvider.code == CasinoGame.provider)
        .join(BrandGame, and_(BrandGame.game_id == CasinoGame.id, BrandGame.brand == brand.slug))
        .outerjoin(
            BrandProvider,
            and_(BrandProvider.brand == brand.slug, BrandProvider.provider == CasinoGame.provider),
        )
        .where(not_(literal(brand.jurisdiction) == any_(CasinoGame.restricted_jurisdictions)))
    )
    return statement if include_disabled else statement.where(_enabled())


def _game(row: Any) -> Game:
    game, provider_name, enabled = row
    return Game(
        id=game.id,
        provider=game.provider,
        provider_name=provider_name,
        code=game.code,
        name=game.name,
        category=game.category,
        tags=tuple(game.tags),
        rtp_basis_points=game.rtp_basis_points,
        volatility=game.volatility,
        thumbnail_url=game.thumbnail_url,
        demo_available=game.demo_available,
        enabled=bool(enabled),
        released_on=game.released_on or game.created_at.date(),
    )


def _like_pattern(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _filtered(statement: _GameSelect, filters: LobbyFilter) -> _GameSelect:
    if filters.search is not None:
        statement = statement.where(
            or_(
                CasinoGame.name.ilike(_like_pattern(filters.search), escape="\\"),
                literal(filters.search).op("<%")(CasinoGame.name),
            )
        )
    if filters.category is not None:
        statement = statement.where(CasinoGame.category == filters.category)
    if filters.provider is not None:
        statement = statement.where(CasinoGame.provider == filters.provider)
    if filters.tags:
        statement = statement.where(CasinoGame.tags.contains(list(filters.tags)))
    if filters.favourites_of is not None:
        statement = statement.where(
            exists().where(
                FavouriteGame.player_id == filters.favourites_of,
                FavouriteGame.game_id == CasinoGame.id,
            )
        )
    return statement


async def games_page(
    uow: UnitOfWork,
    brand: Brand,
    *,
    first: int = PAGE_SIZE_DEFAULT,
    after: LobbyCursor | None = None,
    filters: LobbyFilter | None = None,
    include_disabled: bool = False,
) -> LobbyPage:
    """One page of the brand's games by name, after `after`: one statement.
    Errors: InvalidPageSize."""
    check_page_size(first)
    statement = _filtered(
        _offered(brand, include_disabled=include_disabled), filters or LobbyFilter()
    )
    if after is not None:
        statement = statement.where(
            tuple_(CasinoGame.name, CasinoGame.id) > tuple_(literal(after.name), after.game_id)
        )
    # One extra row tells whether another page follows, without a count.
    rows = (
        await uow.session.execute(
            statement.order_by(CasinoGame.name, CasinoGame.id).limit(first + 1)
        )
    ).all()
    games = [_game(row) for row in rows]
    return LobbyPage(games[:first], has_next_page=len(games) > first)


async def categories(uow: UnitOfWork, brand: Brand) -> list[Category]:
    """The categories of the brand's listed games, by code, with how many games each."""
    listed = _offered(brand).subquery()
    rows = await uow.session.execute(
        select(listed.c.category, func.count())
        .group_by(listed.c.category)
        .order_by(listed.c.category)
    )
    return [Category(code, int(count)) for code, count in rows]


async def providers(uow: UnitOfWork, brand: Brand) -> list[Provider]:
    """The providers of the brand's listed games, by name (then code)."""
    statement = (
        _offered(brand)
        .with_only_columns(CasinoGame.provider, CasinoProvider.name, maintain_column_froms=True)
        .distinct()
        .order_by(CasinoProvider.name, CasinoGame.provider)
    )
    rows = await uow.session.execute(statement)
    return [Provider(code, name) for code, name in rows]


async def game_by_code(
    uow: UnitOfWork, brand: Brand, code: str, *, provider: str | None = None
) -> Game | None:
    """A listed game by its code (codes are unique per provider: when two providers share
    one, the first provider by code wins unless `provider` is given)."""
    statement = _offered(brand).where(CasinoGame.code == code)
    if provider is not None:
        statement = statement.where(CasinoGame.provider == provider)
    row = (await uow.session.execute(statement.order_by(CasinoGame.provider).limit(1))).first()
    return None if row is None else _game(row)


async def games_by_id(
    uow: UnitOfWork, brand: Brand, ids: Sequence[uuid.UUID], *, include_disabled: bool = False
) -> dict[uuid.UUID, Game]:
    """The brand's games among `ids` (listed ones, or every offered one)."""
    if not ids:
        return {}
    statement = _offered(brand, include_disabled=include_disabled).where(
        CasinoGame.id.in_(list(ids))
    )
    return {game.id: game for game in map(_game, await uow.session.execute(statement))}


async def games_by_code(
    uow: UnitOfWork, brand: Brand, keys: Sequence[tuple[str, str]]
) -> dict[tuple[str, str], Game]:
    """The brand's offered games (switched on or not) by (provider, code): one statement."""
    if not keys:
        return {}
    statement = _offered(brand, include_disabled=True).where(
        tuple_(CasinoGame.provider, CasinoGame.code).in_(sorted(set(keys)))
    )
    games = map(_game, await uow.session.execute(statement))
    return {(game.provider, game.code): game for game in games}


async def favourite_ids(
    uow: UnitOfWork, player_id: uuid.UUID, game_ids: Sequence[uuid.UUID]
) -> set[uuid.UUID]:
    """Which of `game_ids` the player marked as favourites: one statement for a page."""
    if not game_ids:
        return set()
    found = await uow.session.scalars(
        select(FavouriteGame.game_id).where(
            FavouriteGame.player_id == player_id, FavouriteGame.game_id.in_(list(game_ids))
        )
    )
    return set(found)


async def recently_played(
    uow: UnitOfWork, brand: Brand, player_id: uuid.UUID, *, limit: int = 12
) -> list[Game]:
    """The listed games the player launched (real or demo), the latest launch first."""
    if type(limit) is not int or not 1 <= limit <= RECENTLY_PLAYED_MAX:
        raise InvalidPageSize(f"Ask for 1 to {RECENTLY_PLAYED_MAX} games.", field="first")
    launches = (
        select(GameSession.game_id, func.max(GameSession.created_at).label("last_played"))
        .where(GameSession.brand == brand.slug, GameSession.player_id == player_id)
        .group_by(GameSession.game_id)
        .subquery()
    )
    statement = (
        _offered(brand)
        .join(launches, launches.c.game_id == CasinoGame.id)
        .order_by(launches.c.last_played.desc(), CasinoGame.id)
        .limit(limit)
    )
    return [_game(row) for row in await uow.session.execute(statement)]


def _rail_size(limit: int) -> None:
    if type(limit) is not int or not 1 <= limit <= RAIL_MAX:
        raise InvalidPageSize(f"Ask for 1 to {RAIL_MAX} games.", field="first")


def _released() -> ColumnElement[date]:
    """A game's release day: the studio's, else the day it reached the lobby."""
    return func.coalesce(CasinoGame.released_on, func.date(CasinoGame.created_at))


async def top_games(
    uow: UnitOfWork,
    brand: Brand,
    plays: Subquery,
    *,
    limit: int = 12,
    category: str | None = None,
) -> list[tuple[Game, int]]:
    """The brand's listed games by popularity: `plays` (provider, game_code, rounds) ranks
    them, most first (the caller reads it from a rollup: domain/reporting/popularity.py);
    games nobody played follow, the newest first, so a new brand's rail is not empty. One
    statement, each game with its count. Errors: InvalidPageSize."""
    _rail_size(limit)
    rounds = func.coalesce(plays.c.rounds, 0)
    statement = (
        _filtered(_offered(brand), LobbyFilter(category=category))
        .add_columns(rounds)
        .outerjoin(
            plays,
            and_(plays.c.provider == CasinoGame.provider, plays.c.game_code == CasinoGame.code),
        )
        .order_by(rounds.desc(), _released().desc(), CasinoGame.name, CasinoGame.id)
        .limit(limit)
    )
    rows = await uow.session.execute(statement)
    return [(_game(row[:3]), int(row[3])) for row in rows]


def check_top_window(days: int) -> None:
    """Errors: InvalidLobbyFilter (days)."""
    if type(days) is not int or not 1 <= days <= TOP_WINDOW_DAYS_MAX:
        raise InvalidLobbyFilter(f"Count 1 to {TOP_WINDOW_DAYS_MAX} days.", field="days")


async def new_games(
    uow: UnitOfWork, brand: Brand, *, limit: int = 12, category: str | None = None
) -> list[Game]:
    """The brand's listed games, the latest released first (then by name): one statement.
    Errors: InvalidPageSize."""
    _rail_size(limit)
    statement = (
        _filtered(_offered(brand), LobbyFilter(category=category))
        .order_by(_released().desc(), CasinoGame.name, CasinoGame.id)
        .limit(limit)
    )
    return [_game(row) for row in await uow.session.execute(statement)]


async def offered_game(
    uow: UnitOfWork, brand: Brand, game_id: uuid.UUID | None, *, include_disabled: bool = False
) -> Game | None:
    if game_id is None:
        return None
    found = await games_by_id(uow, brand, [game_id], include_disabled=include_disabled)
    return found.get(game_id)


async def launchable(uow: UnitOfWork, brand: Brand, game_id: uuid.UUID | None) -> Game:
    """The game, if a player may launch it on the brand now.
    Errors: GameNotFound (unknown, not offered or restricted here), GameDisabled."""
    found = await offered_game(uow, brand, game_id, include_disabled=True)
    if found is None:
        raise GameNotFound(field="game")
    if not found.enabled:
        raise GameDisabled(field="game")
    return found
