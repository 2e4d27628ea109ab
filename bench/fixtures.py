"""What the ledger benchmark runs against: a database of its own (on the embedded
PostgreSQL, or on the server of STAKEHOUSE_DATABASE_URL), funded players, a signed-in
finance staff member, and the real app under uvicorn in a child process.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import httpx
from sqlalchemy import update

from domain.accounts import sessions
from domain.accounts import staff as staff_service
from domain.accounts.models import PrincipalKind, SessionState, SessionTransport, StaffUser
from domain.accounts.players import Registration
from domain.brands.service import BrandRegistry, sync_brands
from domain.compliance.onboarding import register
from domain.kernel.db import Database
from domain.kernel.migrate import upgrade
from domain.wallets.models import HouseAccountKind, WalletKind
from domain.wallets.service import house_account_id, transfer, wallet_id
from web import embedded

REPO_ROOT = Path(__file__).resolve().parents[1]
DATA_DIR = REPO_ROOT / ".stakehouse" / "bench"
BRAND = "aurora"
CURRENCY = "EUR"
# Far more than any run can debit one minor unit at a time: no debit is ever refused.
FUNDING_MINOR = 10**12
# Generous: on a loaded 2-core machine the app takes over 30 s to import and start (and
# over 120 s at a load of 15); STAKEHOUSE_BENCH_SERVER_START_TIMEOUT_S sets it.
SERVER_START_TIMEOUT_S = float(os.environ.get("STAKEHOUSE_BENCH_SERVER_START_TIMEOUT_S", "120"))
# The benchmark's players never sign in; they need a password that registration accepts.
PLAYER_PASSWORD = "correct horse battery"  # noqa: S105


@dataclass(frozen=True)
class Player:
    id: uuid.UUID
    cash_account: int


@dataclass(frozen=True)
class Fixtures:
    players: list[Player]
    wagers_account: int
    adjustments_account: int
    staff_token: str


@contextlib.contextmanager
def bench_database() -> Iterator[tuple[str, str | None]]:
    """A migrated database of this run; yields (url, broker url or None) and drops it after.

    Embedded PostgreSQL and Redis unless STAKEHOUSE_DATABASE_URL / STAKEHOUSE_BROKER_URL
    name servers (then only the database is created and dropped there)."""
    postgres = redis = None
    admin_url = os.environ.get("STAKEHOUSE_DATABASE_URL")
    if not admin_url:
        postgres = embedded.start_postgres(DATA_DIR)
        admin_url = postgres.admin_url
    broker_url = os.environ.get("STAKEHOUSE_BROKER_URL")
    if not broker_url:
        redis = embedded.start_redis(DATA_DIR, f"bench-{os.getpid()}")
        broker_url = redis.url
    name = f"stakehouse_bench_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    asyncio.run(embedded.ensure_database(admin_url, name))
    url = embedded.with_database(admin_url, name)
    try:
        upgrade(url)
        yield url, broker_url
    finally:
        asyncio.run(embedded.drop_database(admin_url, name))
        if redis is not None:
            redis.stop()
        if postgres is not None:
            postgres.stop()


async def prepare(db: Database, registry: BrandRegistry, players: int) -> Fixtures:
    async with db.transaction() as uow:
        await sync_brands(uow, registry)
    created = [await _funded_player(db, registry, index) for index in range(players)]
    async with db.transaction() as uow:
        wagers = await house_account_id(uow, BRAND, HouseAccountKind.WAGERS, CURRENCY)
        adjustments = await house_account_id(uow, BRAND, HouseAccountKind.ADJUSTMENTS, CURRENCY)
    return Fixtures(created, wagers, adjustments, await _staff_token(db))


async def _funded_player(
    db: Database, registry: BrandRegistry, index: int, *, email_prefix: str = "bench"
) -> Player:
    async with db.transaction() as uow:
        player = await register(
            uow,
            registry.get(BRAND),
            Registration(
                email=f"{email_prefix}-{index}@example.com", phone=None, username=None,
                password=PLAYER_PASSWORD, date_of_birth=date(1990, 1, 1),
                country="MT", currency=CURRENCY,
            ),
        )  # fmt: skip
        cash = await wallet_id(uow, BRAND, player.id, WalletKind.CASH, CURRENCY)
        clearing = await house_account_id(uow, BRAND, HouseAccountKind.PSP_CLEARING, CURRENCY)
        await transfer(
            uow, brand=BRAND, kind="deposit", source=clearing, destination=cash,
            amount_minor=FUNDING_MINOR, scope=None, key=None,
        )  # fmt: skip
    return Player(player.id, cash)


async def _staff_token(db: Database) -> str:
    """A bearer token of a finance staff member in the state the real first sign-in leaves
    (TOTP enrolled, password changed, session active), without walking it."""
    async with db.transaction() as uow:
        created = await staff_service.create(
            uow, None, email="bench-finance@example.com", roles=["finance"]
        )
        await uow.session.execute(
            update(StaffUser)
            .where(StaffUser.id == created.staff.id)
            .values(password_change_required=False, two_factor_enabled=True)
        )
        issued = await sessions.issue(
            uow, kind=PrincipalKind.STAFF, principal_id=created.staff.id, brand=None,
            transport=SessionTransport.BEARER, state=SessionState.ACTIVE,
            ip_address="127.0.0.1", user_agent="bench",
        )  # fmt: skip
    return issued.token


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


# uvicorn re-raises the SIGTERM it caught once it has shut down: exit by SystemExit then,
# so the stats are saved.
_PROFILED_UVICORN = """
import cProfile, signal, sys
from uvicorn.main import main
signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
path = sys.argv.pop(1)
profiler = cProfile.Profile()
profiler.enable()
try:
    main(prog_name="uvicorn")
finally:
    profiler.disable()
    profiler.dump_stats(path)
"""


@contextlib.contextmanager
def app_server(
    database_url: str,
    broker_url: str | None,
    *,
    profile_path: str | None = None,
    app: str = "web.cli:asgi_app",
) -> Iterator[str]:
    """The real app (`web.cli:asgi_app`) under uvicorn in a child process, as `stakehouse
    serve` runs it (one worker, its outbox relay included); yields its base URL. With
    `profile_path`, the child runs under cProfile and saves its stats there on exit."""
    port = _free_port()
    env = {
        **os.environ,
        "STAKEHOUSE_DATABASE_URL": database_url,
        "STAKEHOUSE_BROKER_URL": broker_url or "",
        "STAKEHOUSE_LOG_LEVEL": "WARNING",
        "STAKEHOUSE_DATABASE_POOL_SIZE": "20",
    }
    # `python -m cProfile -m uvicorn` trips on the app's import order: start the profiler
    # by hand around uvicorn's own entry point instead.
    launcher = ["-c", _PROFILED_UVICORN, profile_path] if profile_path else ["-m", "uvicorn"]
    command = [
        sys.executable, *launcher, app, "--factory",
        "--host", "127.0.0.1", "--port", str(port), "--no-access-log",
        "--log-level", "warning", "--lifespan", "on",
    ]  # fmt: skip
    server = subprocess.Popen(command, env=env, cwd=REPO_ROOT)  # noqa: S603
    base_url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_live(server, base_url)
        yield base_url
    finally:
        server.terminate()
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def _wait_until_live(server: subprocess.Popen[bytes], base_url: str) -> None:
    deadline = time.monotonic() + SERVER_START_TIMEOUT_S
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"the app server exited with {server.returncode}")
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(f"{base_url}/livez", timeout=1).status_code == 200:
                return
        time.sleep(0.1)
    raise RuntimeError(
        f"the app server's {base_url}/livez did not answer 200 within "
        f"{SERVER_START_TIMEOUT_S:.0f} s (STAKEHOUSE_BENCH_SERVER_START_TIMEOUT_S sets it)"
    )


@dataclass(frozen=True)
class GamePlayer:
    """A funded player with a real-money session on a casino game (the wallet callbacks'
    `user` and `token`)."""

    id: uuid.UUID
    cash_account: int
    token: str


@dataclass(frozen=True)
class CasinoFixtures:
    provider: str
    game_code: str
    players: list[GamePlayer]


async def prepare_casino(db: Database, registry: BrandRegistry, players: int) -> CasinoFixtures:
    """The demo catalogue on the brand and `players` funded players, each with a game
    session on one of its games, made by the domain services as real play makes them."""
    # Imported here: the ledger benchmark needs none of the casino.
    from domain.casino.catalog import ORIGINALS, seed_demo_catalog  # noqa: PLC0415
    from domain.casino.service import launch  # noqa: PLC0415

    game_code = ORIGINALS.games[0].code
    async with db.transaction() as uow:
        await sync_brands(uow, registry)
        await seed_demo_catalog(uow, [BRAND])
    created = []
    for index in range(players):
        player = await _funded_player(db, registry, index, email_prefix="bench-casino")
        async with db.transaction() as uow:
            session = await launch(
                uow, brand=BRAND, player_id=player.id, provider=ORIGINALS.code,
                game_code=game_code,
            )  # fmt: skip
        created.append(GamePlayer(player.id, player.cash_account, session.token))
    return CasinoFixtures(ORIGINALS.code, game_code, created)


# ---- sportsbook ---------------------------------------------------------------------------


@dataclass(frozen=True)
class BookPlayer:
    """A funded player with an active bearer session (the GraphQL `placeBet` caller)."""

    id: uuid.UUID
    cash_account: int
    token: str


@dataclass(frozen=True)
class BookMarket:
    event_id: int
    market_id: int
    # Outcome ids in creation order, and their odds.
    outcomes: list[int]
    odds: list[str]


async def add_book_market(
    db: Database, odds: list[str], *, name: str = "Home v Away", sport_key: str | None = None,
    markets: int = 1,
) -> list[BookMarket]:  # fmt: skip
    """A scheduled event starting in an hour with `markets` active markets, each with one
    active outcome per `odds` entry, no stake, payout or liability limit (so no bet is
    refused for headroom), made with the ORM as the feed's catalogue writes leave them."""
    from datetime import timedelta  # noqa: PLC0415
    from decimal import Decimal  # noqa: PLC0415

    from domain.kernel import clock  # noqa: PLC0415
    from domain.sportsbook.models import (  # noqa: PLC0415
        Competition,
        Event,
        Market,
        Outcome,
        Sport,
    )

    key = sport_key or f"football-{uuid.uuid4().hex[:6]}"
    async with db.transaction() as uow:
        sport = Sport(key=key, name="Football")
        uow.session.add(sport)
        await uow.flush()
        competition = Competition(sport_id=sport.id, key="bench", name="Bench League")
        uow.session.add(competition)
        await uow.flush()
        event = Event(
            competition_id=competition.id, name=name, home="Home", away="Away",
            status="scheduled", starts_at=clock.now() + timedelta(hours=1),
        )  # fmt: skip
        uow.session.add(event)
        await uow.flush()
        made = []
        for number in range(markets):
            market = Market(
                event_id=event.id, type=f"market_{number}", specifiers="",
                name=f"Market {number}", status="active",
            )  # fmt: skip
            uow.session.add(market)
            await uow.flush()
            outcomes = []
            for index, price in enumerate(odds):
                outcome = Outcome(
                    market_id=market.id, key=f"o{index}", name=f"Outcome {index}",
                    odds=Decimal(price), status="active",
                )  # fmt: skip
                uow.session.add(outcome)
                await uow.flush()
                outcomes.append(outcome.id)
            made.append(BookMarket(event.id, market.id, outcomes, list(odds)))
    return made


async def book_players(
    db: Database, registry: BrandRegistry, players: int, *, email_prefix: str = "bench-book"
) -> list[BookPlayer]:
    """`players` registered, funded players (FUNDING_MINOR in cash), each with an active
    player bearer session on the brand, as a completed sign-in leaves it."""
    made = []
    for index in range(players):
        player = await _funded_player(db, registry, index, email_prefix=email_prefix)
        async with db.transaction() as uow:
            issued = await sessions.issue(
                uow, kind=PrincipalKind.PLAYER, principal_id=player.id, brand=BRAND,
                transport=SessionTransport.BEARER, state=SessionState.ACTIVE,
                ip_address="127.0.0.1", user_agent="bench",
            )  # fmt: skip
        made.append(BookPlayer(player.id, player.cash_account, issued.token))
    return made


# One bet per row, set-based: the bet (single, 1.00 staked from cash, policy NONE, open),
# its one leg (outcome by the bet id's parity: even on the first outcome, odd on the second)
# and nothing else; liabilities and the stakes' money are written by `seed_open_bets`.
_SEED_BETS = """
WITH players AS (
    SELECT array_agg(id ORDER BY id) AS ids FROM unnest($2::uuid[]) AS p(id)
), bets AS (
    INSERT INTO sportsbook_bets (
        brand, player_id, currency, bet_type, system_name, combination_sizes, line_count,
        stake_minor, total_stake_minor, each_way, free_bet, odds_policy, status,
        potential_return_minor, stake_split, idempotency_key, request_hash)
    SELECT $1, players.ids[1 + (g % cardinality(players.ids))], $3, 'single', NULL, '{1}', 1,
           $4, $4, false, false, 'none', 'open', 0,
           jsonb_build_object('cash', $4::bigint), $5 || g, sha256(($5 || g)::bytea)
      FROM generate_series(1, $6::int) AS g, players
    RETURNING id, player_id
), legs AS (
    INSERT INTO sportsbook_bet_legs (bet_id, leg_number, outcome_id, market_id, event_id,
                                     requested_odds, odds)
    SELECT id, 0, CASE WHEN id % 2 = 0 THEN $7::bigint ELSE $8::bigint END, $9, $10,
           CASE WHEN id % 2 = 0 THEN $11::numeric ELSE $12::numeric END,
           CASE WHEN id % 2 = 0 THEN $11::numeric ELSE $12::numeric END
      FROM bets
    RETURNING bet_id, outcome_id, odds
)
SELECT (SELECT count(*) FROM legs)
"""

_SEED_POTENTIAL = """
UPDATE sportsbook_bets b
   SET potential_return_minor = floor(b.stake_minor * l.odds)::bigint
  FROM sportsbook_bet_legs l
 WHERE l.bet_id = b.id AND l.market_id = $1
"""

_SEED_LIABILITIES = """
INSERT INTO sportsbook_outcome_liabilities (outcome_id, currency, liability_minor)
SELECT l.outcome_id, $2, sum(b.potential_return_minor)
  FROM sportsbook_bet_legs l JOIN sportsbook_bets b ON b.id = l.bet_id
 WHERE l.market_id = $1
 GROUP BY l.outcome_id
ON CONFLICT (outcome_id, currency)
DO UPDATE SET liability_minor = sportsbook_outcome_liabilities.liability_minor
                                + EXCLUDED.liability_minor
"""

_SEED_STAKES = """
SELECT b.player_id, sum(b.total_stake_minor)::bigint
  FROM sportsbook_bets b JOIN sportsbook_bet_legs l ON l.bet_id = b.id
 WHERE l.market_id = $1
 GROUP BY b.player_id
"""


async def seed_open_bets(
    db: Database, url: str, market: BookMarket, players: list[BookPlayer], bets: int,
    *, stake_minor: int = 100,
) -> None:  # fmt: skip
    """`bets` open single bets on the market's first two outcomes, written set-based (one
    statement for bets and legs), then their potential returns and the outcomes' liabilities
    as placement would have left them, then the stakes' money: one ledger transfer per
    player, cash to the brand's WAGERS account, of the sum of that player's stakes (placement
    posts one per bet; settlement reads only `stake_split`, never the stake transaction, so
    the money is where it would be and `stake_transaction_id` stays NULL)."""
    import asyncpg  # noqa: PLC0415

    from domain.kernel.db import plain_url  # noqa: PLC0415

    connection = await asyncpg.connect(plain_url(url))
    try:
        async with connection.transaction():
            await connection.fetchval(
                _SEED_BETS, BRAND, [p.id for p in players], CURRENCY, stake_minor,
                f"seed-{market.market_id}-", bets, market.outcomes[0], market.outcomes[1],
                market.market_id, market.event_id, market.odds[0], market.odds[1],
            )  # fmt: skip
            await connection.execute(_SEED_POTENTIAL, market.market_id)
            await connection.execute(_SEED_LIABILITIES, market.market_id, CURRENCY)
            stakes = await connection.fetch(_SEED_STAKES, market.market_id)
        await connection.execute("ANALYZE sportsbook_bets")
        await connection.execute("ANALYZE sportsbook_bet_legs")
    finally:
        await connection.close()
    accounts = {p.id: p.cash_account for p in players}
    async with db.transaction() as uow:
        wagers = await house_account_id(uow, BRAND, HouseAccountKind.WAGERS, CURRENCY)
        for player_id, total in stakes:
            await transfer(
                uow, brand=BRAND, kind="sportsbook.stake", source=accounts[player_id],
                destination=wagers, amount_minor=int(total), scope=None, key=None,
            )  # fmt: skip


async def add_book_events(
    db: Database, events: int, odds: list[str], *, markets: int = 1,
    sport_key: str = "football", sport_name: str = "Football",
) -> list[list[BookMarket]]:  # fmt: skip
    """`events` scheduled events of one sport and competition (starting an hour apart, the
    first in an hour), each with `markets` active markets of one active outcome per `odds`
    entry, made with the ORM as `add_book_market` makes one; the markets per event."""
    from datetime import timedelta  # noqa: PLC0415
    from decimal import Decimal  # noqa: PLC0415

    from domain.kernel import clock  # noqa: PLC0415
    from domain.sportsbook.models import (  # noqa: PLC0415
        Competition,
        Event,
        Market,
        Outcome,
        Sport,
    )

    made: list[list[BookMarket]] = []
    async with db.transaction() as uow:
        sport = Sport(key=sport_key, name=sport_name)
        uow.session.add(sport)
        await uow.flush()
        competition = Competition(sport_id=sport.id, key="bench", name="Bench League")
        uow.session.add(competition)
        await uow.flush()
        for number in range(events):
            event = Event(
                competition_id=competition.id, name=f"Home {number} v Away {number}",
                home=f"Home {number}", away=f"Away {number}", status="scheduled",
                starts_at=clock.now() + timedelta(hours=1 + number),
            )  # fmt: skip
            uow.session.add(event)
            await uow.flush()
            event_markets = []
            for index in range(markets):
                market = Market(
                    event_id=event.id, type=f"market_{index}", specifiers="",
                    name=f"Market {index}", status="active",
                )  # fmt: skip
                uow.session.add(market)
                await uow.flush()
                outcomes = []
                for position, price in enumerate(odds):
                    outcome = Outcome(
                        market_id=market.id, key=f"o{position}", name=f"Outcome {position}",
                        odds=Decimal(price), status="active",
                    )  # fmt: skip
                    uow.session.add(outcome)
                    await uow.flush()
                    outcomes.append(outcome.id)
                event_markets.append(BookMarket(event.id, market.id, outcomes, list(odds)))
            made.append(event_markets)
    return made


async def add_simulated_football(db: Database, events: int, *, seed: int = 7) -> int:
    """`events` football fixtures of the feed simulator with every prematch market it
    prices (1X2, double chance, draw no bet, totals, Asian handicaps, both teams to score,
    correct score, first half: about a dozen markets and 42 outcomes each), applied
    through the feed's own processing as a real feed's messages are. Returns the number of
    markets per event (the most any has)."""
    from domain.kernel import clock  # noqa: PLC0415
    from domain.sportsbook.feed.port import OddsChange  # noqa: PLC0415
    from domain.sportsbook.feed.processing import process_message  # noqa: PLC0415
    from domain.sportsbook.feed.simulator import FeedSimulator  # noqa: PLC0415

    simulator = FeedSimulator(seed=seed, start=clock.now(), tick_s=1)
    chosen: list[OddsChange] = []
    for message in simulator.tick():
        if (
            isinstance(message, OddsChange)
            and message.fixture is not None
            and message.fixture.sport_key == "football"
            and message.event_status == "scheduled"
            and len(message.markets) > 1  # a match, not an outright
            and len(chosen) < events
        ):
            chosen.append(message)
    if len(chosen) < events:
        raise RuntimeError(f"the simulator's week has {len(chosen)} football matches")
    async with db.transaction() as uow:
        for message in chosen:
            await process_message(uow, message)
    return max(len(message.markets) for message in chosen)
