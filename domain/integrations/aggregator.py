"""The game aggregator port: where the casino's catalogue comes from.

Operators reach dozens of studios through an aggregator that lists each studio's games
(paginated, with opaque cursors) and later calls the seamless-wallet API for their rounds.
This port covers the listing; `TestAggregator` is a built-in provider that behaves like a
real one: several studios, pages and cursors, an invalid entry now and then, refused
cursors, and an answer that can be too slow (every call is bounded by a timeout). Its two
invented studios' games really play, on the platform's demo game server.
"""

from __future__ import annotations

import asyncio
import base64
from collections.abc import Awaitable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Protocol, TypeVar

from domain.kernel.errors import DomainError

AGGREGATOR_CALL_TIMEOUT_S = 10.0
# A studio listing more pages than this is cut off (and the sync says so): a bound on work.
PAGES_PER_PROVIDER_MAX = 200

T = TypeVar("T")


class AggregatorUnavailable(DomainError):
    code = "AGGREGATOR_UNAVAILABLE"
    message = "The game aggregator did not answer. The catalogue was left as it was."


class InvalidCatalogueCursor(DomainError):
    code = "INVALID_CURSOR"
    message = "The aggregator does not know this cursor."


@dataclass(frozen=True)
class CatalogueGame:
    code: str
    name: str
    category: str
    # Return to player in basis points as the studio certifies it (e.g. 9612 = 96.12 %).
    rtp_basis_points: int
    volatility: str
    tags: tuple[str, ...] = ()
    thumbnail_url: str | None = None
    demo_available: bool = True
    restricted_jurisdictions: tuple[str, ...] = ()
    # The day the studio released it (None: the studio does not say).
    released_on: date | None = None


@dataclass(frozen=True)
class CatalogueProvider:
    code: str
    name: str
    launch_url: str


@dataclass(frozen=True)
class CataloguePage:
    games: tuple[CatalogueGame, ...]
    # None on the last page.
    next_cursor: str | None = None


class GameAggregator(Protocol):
    async def providers(self) -> list[CatalogueProvider]: ...

    async def games(self, provider: str, cursor: str | None) -> CataloguePage:
        """One page of a studio's games. Errors: InvalidCatalogueCursor."""
        ...


async def call_aggregator(
    operation: Awaitable[T], *, timeout_s: float = AGGREGATOR_CALL_TIMEOUT_S
) -> T:
    """Await an aggregator call within `timeout_s`; a timeout or connection failure becomes
    AggregatorUnavailable."""
    try:
        async with asyncio.timeout(timeout_s):
            return await operation
    except (TimeoutError, OSError):
        raise AggregatorUnavailable() from None


# The built-in studios (invented names): their games run on this platform's own demo game
# server (web/originals, under /studio), behind the same signed seamless-wallet API as any
# outside studio, so every game of the dev lobby plays. The certified RTPs below are the
# exact returns of the games' maths (domain/originals/studio.py; a test compares them).
DEMO_SLOT_STUDIO = "quillmoor"
DEMO_TABLE_STUDIO = "velvetine"
DEMO_STUDIO_LAUNCH_URL = "/studio/launch"
_STUDIOS = (
    CatalogueProvider(DEMO_SLOT_STUDIO, "Quillmoor Games", DEMO_STUDIO_LAUNCH_URL),
    CatalogueProvider(DEMO_TABLE_STUDIO, "Velvetine Tables", DEMO_STUDIO_LAUNCH_URL),
)
TEST_AGGREGATOR_STUDIOS = tuple(studio.code for studio in _STUDIOS)
DEMO_STUDIO_NAMES = {studio.code: studio.name for studio in _STUDIOS}
# Studios that earlier versions of this aggregator listed: their games framed hosts that do
# not exist. The dev seed switches them off on a database seeded back then.
FORMER_TEST_AGGREGATOR_STUDIOS = ("northlight", "tidewater")
# Bumped whenever the artwork generator draws differently: the art is cached for a year.
STUDIO_ART_VERSION = "v1"
# RTP in basis points of each slot variant (by volatility) and of single-zero roulette.
DEMO_SLOT_RTP_BASIS_POINTS = {"low": 9589, "medium": 9591, "high": 9540}
DEMO_ROULETTE_RTP_BASIS_POINTS = 9730
_ADJECTIVES = (
    "Ember", "Frostbound", "Copper", "Velvet", "Thistle", "Lantern", "Saffron", "Moonlit",
)  # fmt: skip
_NOUNS = ("Owls", "Comets", "Harbour", "Orchard", "Foxes", "Beacons", "Meadow", "Kites")
_TABLES = ("Quayside Roulette", "Marble Wheel", "Salt and Silk Roulette", "Cinder Wheel")
SLOT_GAMES_PER_STUDIO = len(_ADJECTIVES) * 3
# The built-in studios' release days: a slot every 11 days from this day on (the last one
# the newest), a table every 90 days from the other; fixed, so the "new" rail is the same
# on every machine.
_FIRST_SLOT_RELEASE = date(2025, 3, 3)
_FIRST_TABLE_RELEASE = date(2024, 9, 2)


def studio_art_url(code: str) -> str:
    return f"/studio/art/{STUDIO_ART_VERSION}/{code}.svg"


def _slot_name(index: int) -> str:
    # Adjective and noun walk at different strides, so the 24 names never repeat.
    adjective = _ADJECTIVES[index % len(_ADJECTIVES)]
    noun = _NOUNS[(index * 3 + index // len(_ADJECTIVES)) % len(_NOUNS)]
    return f"{adjective} {noun}"


def _studio_games(studio: str) -> tuple[CatalogueGame, ...]:
    """A studio's catalogue: invented, but shaped like the real ones."""
    if studio == DEMO_TABLE_STUDIO:
        tables = []
        for number, name in enumerate(_TABLES):
            code = f"{DEMO_TABLE_STUDIO}-{name.lower().replace(' ', '-')}"
            tables.append(
                CatalogueGame(
                    code=code,
                    name=name,
                    category="table",
                    rtp_basis_points=DEMO_ROULETTE_RTP_BASIS_POINTS,
                    volatility="low",
                    tags=("table", "roulette"),
                    thumbnail_url=studio_art_url(code),
                    released_on=_FIRST_TABLE_RELEASE + timedelta(days=90 * number),
                )
            )
        return tuple(tables)
    if studio != DEMO_SLOT_STUDIO:
        return ()
    games = []
    for index in range(SLOT_GAMES_PER_STUDIO):
        name = _slot_name(index)
        volatility = ("low", "medium", "high")[index % 3]
        code = f"{DEMO_SLOT_STUDIO}-{index:03d}"
        games.append(
            CatalogueGame(
                code=code,
                name=name,
                category="slots",
                rtp_basis_points=DEMO_SLOT_RTP_BASIS_POINTS[volatility],
                volatility=volatility,
                tags=("slots", name.split(maxsplit=1)[0].lower()),
                thumbnail_url=studio_art_url(code),
                # Not certified in Sweden: a jurisdiction rule the lobby applies.
                restricted_jurisdictions=("SE",) if index % 7 == 0 else (),
                released_on=_FIRST_SLOT_RELEASE + timedelta(days=11 * index),
            )
        )
    return tuple(games)


def demo_studio_games() -> dict[str, tuple[str, CatalogueGame]]:
    """Every game of the built-in studios by code, with its studio."""
    return {
        game.code: (studio.code, game) for studio in _STUDIOS for game in _studio_games(studio.code)
    }


@dataclass
class TestAggregator:
    """The built-in aggregator: two studios, pages of `page_size`, opaque cursors; set
    `delay_s` to answer slowly, `withdrawn` to drop games from a studio's list, `broken`
    to send entries a real feed sometimes sends (no name, an RTP over 100 %)."""

    __test__ = False  # not a pytest test class

    page_size: int = 10
    delay_s: float = 0.0
    withdrawn: frozenset[str] = frozenset()
    broken: bool = False
    calls: int = field(default=0, init=False)

    async def providers(self) -> list[CatalogueProvider]:
        await self._answer()
        return list(_STUDIOS)

    async def games(self, provider: str, cursor: str | None) -> CataloguePage:
        await self._answer()
        games = [game for game in _studio_games(provider) if game.code not in self.withdrawn]
        if self.broken:
            games.append(CatalogueGame(f"{provider}-broken", "", "slots", 9600, "low"))
            games.append(CatalogueGame(f"{provider}-impossible", "Too Good", "slots", 12000, "low"))
        start = _offset(cursor)
        page = tuple(games[start : start + self.page_size])
        following = start + self.page_size
        return CataloguePage(page, _cursor(following) if following < len(games) else None)

    async def _answer(self) -> None:
        self.calls += 1
        if self.delay_s:
            await asyncio.sleep(self.delay_s)


def _cursor(offset: int) -> str:
    return base64.urlsafe_b64encode(f"page:{offset}".encode()).decode()


def _offset(cursor: str | None) -> int:
    if cursor is None:
        return 0
    try:
        label, _, number = base64.urlsafe_b64decode(cursor).decode().partition(":")
        offset = int(number)
    except (ValueError, UnicodeDecodeError):
        raise InvalidCatalogueCursor() from None
    if label != "page" or offset < 0:
        raise InvalidCatalogueCursor()
    return offset
