"""Providers and their games: upserted from a provider's catalogue (a feed, or the built-in
Stakehouse Originals), and enabled per brand. Safe to run again: it only upserts."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert

from domain.casino.models import BrandGame, CasinoGame, CasinoProvider
from domain.kernel.db import UnitOfWork


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


@dataclass(frozen=True)
class ProviderSpec:
    code: str
    name: str
    launch_url: str
    games: tuple[GameSpec, ...] = field(default_factory=tuple)


# The in-house provider every demo brand offers (the games themselves come later).
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
        ),
        GameSpec(
            code="originals-crash",
            name="Crash",
            category="originals",
            rtp_basis_points=9700,
            volatility="high",
            tags=("crash", "multiplier"),
            thumbnail_url="/static/originals/crash.svg",
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
            }
            for game in spec.games
        ]
    )
    updated = ("name", "category", "tags", "rtp_basis_points", "volatility", "thumbnail_url")
    await uow.session.execute(
        games.on_conflict_do_update(
            index_elements=[CasinoGame.provider, CasinoGame.code],
            set_={
                **{name: games.excluded[name] for name in updated},
                "demo_available": games.excluded.demo_available,
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
