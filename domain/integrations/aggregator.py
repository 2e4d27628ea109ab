"""The game aggregator port: where the casino's catalogue comes from.

Operators reach dozens of studios through an aggregator that lists each studio's games
(paginated, with opaque cursors) and later calls the seamless-wallet API for their rounds.
This port covers the listing; `TestAggregator` is a built-in provider that behaves like a
real one: several studios, pages and cursors, an invalid entry now and then, refused
cursors, and an answer that can be too slow (every call is bounded by a timeout).
"""

from __future__ import annotations

import asyncio
import base64
from collections.abc import Awaitable
from dataclasses import dataclass, field
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


_STUDIOS = (
    CatalogueProvider("northlight", "Northlight Gaming", "https://games.northlight.example/launch"),
    CatalogueProvider("tidewater", "Tidewater Live", "https://live.tidewater.example/launch"),
)
TEST_AGGREGATOR_STUDIOS = tuple(studio.code for studio in _STUDIOS)
_THEMES = ("Book of", "Gates of", "Fortune", "Lucky", "Golden", "Wild", "Mystic", "Royal")
_NOUNS = ("Ra", "Olympus", "Dragons", "Sevens", "Fruits", "Wolves", "Pearls", "Crowns")


def _studio_games(studio: str) -> tuple[CatalogueGame, ...]:
    """A studio's catalogue: made up, but shaped like the real ones."""
    if studio == "tidewater":
        return tuple(
            CatalogueGame(
                code=f"tidewater-{name.lower().replace(' ', '-')}",
                name=name,
                category="live",
                rtp_basis_points=rtp,
                volatility="low",
                tags=("live", "table"),
                demo_available=False,
            )
            for name, rtp in (
                ("Lightning Roulette", 9730), ("Live Blackjack", 9950),
                ("Speed Baccarat", 9894), ("Dream Catcher", 9642),
            )
        )  # fmt: skip
    games = []
    for index in range(len(_THEMES) * 3):
        name = f"{_THEMES[index % len(_THEMES)]} {_NOUNS[(index * 3) % len(_NOUNS)]}"
        games.append(
            CatalogueGame(
                code=f"northlight-{index:03d}",
                name=name,
                category="slots",
                rtp_basis_points=9400 + (index * 37) % 300,
                volatility=("low", "medium", "high")[index % 3],
                tags=("slots", name.split(maxsplit=1)[0].lower()),
                # Not certified in Sweden: a jurisdiction rule the lobby applies.
                restricted_jurisdictions=("SE",) if index % 7 == 0 else (),
            )
        )
    return tuple(games)


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
