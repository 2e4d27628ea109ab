"""Providers and their games: upserted from a provider's catalogue (a feed, or the built-in
Stakehouse Originals), and enabled per brand. Safe to run again: it only upserts."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import date

from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert

from domain.casino.models import BrandGame, CasinoGame, CasinoProvider
from domain.integrations.aggregator import (
    AGGREGATOR_CALL_TIMEOUT_S,
    PAGES_PER_PROVIDER_MAX,
    CatalogueGame,
    GameAggregator,
    call_aggregator,
)
from domain.kernel.db import UnitOfWork

# 100 %: a studio cannot certify a game that returns more than it takes.
RTP_BASIS_POINTS_MAX = 10_000


@dataclass(frozen=True)
class GameSpec:
    code: str
    name: str
    category: str
    rtp_basis_points: int
    volatility: str
    tags: tuple[str, ...] = ()
    thumbnail_url: str | None = None
    demo_available: bool = True
    # Jurisdictions where the game is not certified (no brand there lists it).
    restricted_jurisdictions: tuple[str, ...] = ()
    # The studio's release day (None: not said; a day said before is kept).
    released_on: date | None = None


@dataclass(frozen=True)
class ProviderSpec:
    code: str
    name: str
    launch_url: str
    games: tuple[GameSpec, ...] = field(default_factory=tuple)


# The in-house studio every demo brand offers; its game server is web/originals.
ORIGINALS = ProviderSpec(
    code="stakehouse-originals",
    name="Stakehouse Originals",
    launch_url="/originals/launch",
    games=(
        GameSpec(
            code="originals-dice",
            name="Dice",
            category="originals",
            rtp_basis_points=9900,
            volatility="low",
            tags=("dice", "provably-fair"),
            thumbnail_url="/static/originals/dice.svg",
            released_on=date(2024, 11, 4),
        ),
        GameSpec(
            code="originals-slot",
            name="Originals Slot",
            category="originals",
            # 8051/8379 = 96.085 %, computed exactly from the reels (domain/originals/slot.py).
            rtp_basis_points=9609,
            volatility="low",
            tags=("slot", "classic"),
            thumbnail_url="/static/originals/slot.svg",
            released_on=date(2025, 6, 2),
        ),
    ),
)


async def sync_provider(uow: UnitOfWork, spec: ProviderSpec) -> None:
    """Upsert a provider and its games (a game missing from the spec is left as it is)."""
    provider = insert(CasinoProvider).values(
        code=spec.code, name=spec.name, launch_url=spec.launch_url
    )
    await uow.session.execute(
        provider.on_conflict_do_update(
            index_elements=[CasinoProvider.code],
            set_={"name": provider.excluded.name, "launch_url": provider.excluded.launch_url},
        )
    )
    if not spec.games:
        return
    games = insert(CasinoGame).values(
        [
            {
                "provider": spec.code,
                "code": game.code,
                "name": game.name,
                "category": game.category,
                "tags": list(game.tags),
                "rtp_basis_points": game.rtp_basis_points,
                "volatility": game.volatility,
                "thumbnail_url": game.thumbnail_url,
                "demo_available": game.demo_available,
                "restricted_jurisdictions": list(game.restricted_jurisdictions),
                "released_on": game.released_on,
            }
            for game in spec.games
        ]
    )
    updated = (
        "name",
        "category",
        "tags",
        "rtp_basis_points",
        "volatility",
        "thumbnail_url",
        "restricted_jurisdictions",
    )
    await uow.session.execute(
        games.on_conflict_do_update(
            index_elements=[CasinoGame.provider, CasinoGame.code],
            set_={
                **{name: games.excluded[name] for name in updated},
                "demo_available": games.excluded.demo_available,
                "released_on": func.coalesce(games.excluded.released_on, CasinoGame.released_on),
            },
        )
    )


async def enable_games(
    uow: UnitOfWork, brand: str, provider: str, codes: Iterable[str] | None = None
) -> None:
    """Offer the provider's games (all, or those of `codes`) on `brand`. A game a brand
    switched off stays off: enabling is first-time only."""
    query = select(CasinoGame.id).where(CasinoGame.provider == provider)
    if codes is not None:
        query = query.where(CasinoGame.code.in_(list(codes)))
    game_ids = list(await uow.session.scalars(query))
    if game_ids:
        await uow.session.execute(
            insert(BrandGame)
            .values([{"brand": brand, "game_id": game_id, "enabled": True} for game_id in game_ids])
            .on_conflict_do_nothing()
        )


async def seed_demo_catalog(uow: UnitOfWork, brands: Iterable[str]) -> None:
    """Stakehouse Originals with its games, enabled on each of `brands` (idempotent)."""
    await sync_provider(uow, ORIGINALS)
    for brand in brands:
        await enable_games(uow, brand, ORIGINALS.code)
    # Games the studio no longer serves (Crash, before the Slot) leave every lobby.
    await _retire(uow, ORIGINALS.code, [game.code for game in ORIGINALS.games])


@dataclass(frozen=True)
class CatalogueSync:
    providers: int
    games: int
    # Entries the aggregator sent that no lobby may show (no name, an impossible RTP).
    rejected: tuple[str, ...]
    # Games a studio no longer lists: switched off on every brand.
    retired: int


async def fetch_catalogue(
    aggregator: GameAggregator, *, timeout_s: float = AGGREGATOR_CALL_TIMEOUT_S
) -> list[ProviderSpec]:
    """Every studio's full game list from the aggregator (outside any transaction: it is
    slow I/O). Errors: AggregatorUnavailable, InvalidCatalogueCursor."""
    specs = []
    for provider in await call_aggregator(aggregator.providers(), timeout_s=timeout_s):
        games: list[CatalogueGame] = []
        cursor: str | None = None
        for _ in range(PAGES_PER_PROVIDER_MAX):
            page = await call_aggregator(
                aggregator.games(provider.code, cursor), timeout_s=timeout_s
            )
            games.extend(page.games)
            cursor = page.next_cursor
            if cursor is None:
                break
        specs.append(
            ProviderSpec(
                provider.code, provider.name, provider.launch_url, tuple(map(_spec, games))
            )
        )
    return specs


def _spec(game: CatalogueGame) -> GameSpec:
    return GameSpec(
        code=game.code,
        name=game.name.strip(),
        category=game.category,
        rtp_basis_points=game.rtp_basis_points,
        volatility=game.volatility,
        tags=game.tags,
        thumbnail_url=game.thumbnail_url,
        demo_available=game.demo_available,
        restricted_jurisdictions=game.restricted_jurisdictions,
        released_on=game.released_on,
    )


def _acceptable(game: GameSpec) -> bool:
    return bool(game.code and game.name) and 0 < game.rtp_basis_points <= RTP_BASIS_POINTS_MAX


async def apply_catalogue(
    uow: UnitOfWork, specs: Iterable[ProviderSpec], brands: Iterable[str]
) -> CatalogueSync:
    """Upsert each studio and its acceptable games, offer new games on `brands` (a game a
    brand switched off stays off), and switch off everywhere the games a studio no longer
    lists. Safe to run again."""
    brand_list = list(brands)
    rejected: list[str] = []
    providers = games = retired = 0
    for spec in specs:
        accepted = tuple(game for game in spec.games if _acceptable(game))
        rejected.extend(game.code for game in spec.games if not _acceptable(game))
        await sync_provider(uow, replace(spec, games=accepted))
        for brand in brand_list:
            await enable_games(uow, brand, spec.code, [game.code for game in accepted])
        retired += await _retire(uow, spec.code, [game.code for game in accepted])
        providers += 1
        games += len(accepted)
    return CatalogueSync(providers, games, tuple(rejected), retired)


async def retire_provider_games(uow: UnitOfWork, provider: str) -> int:
    """Switch off every game of a provider on every brand (the rows stay, for history)."""
    return await _retire(uow, provider, [])


async def _retire(uow: UnitOfWork, provider: str, listed: list[str]) -> int:
    gone = select(CasinoGame.id).where(
        CasinoGame.provider == provider, CasinoGame.code.not_in(listed)
    )
    result = await uow.session.execute(
        update(BrandGame)
        .where(BrandGame.game_id.in_(gone), BrandGame.enabled.is_(True))
        .values(enabled=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)
