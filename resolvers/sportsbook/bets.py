"""Bets over the API: placing one, the viewer's bets (batched legs and cash-out values),
and cashing out. The mutations own their transaction."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from sqlalchemy import select

from domain.accounts.errors import PlayerNotFound
from domain.accounts.models import Player
from domain.accounts.permissions import Permission
from domain.accounts.principal import (
    Principal,
    holds_permission,
    require_player,
    require_player_record_reader,
)
from domain.bonuses import abuse
from domain.kernel.db import UnitOfWork
from domain.sportsbook import bet_history, cashout
from domain.sportsbook import catalog as book
from domain.sportsbook.errors import BetNotFound, BonusMaxBetExceeded
from domain.sportsbook.models import Bet, BetLeg
from domain.sportsbook.models import Outcome as BookOutcome
from domain.sportsbook.placement import BetSlip, place_bet, read_with_session
from domain.sportsbook.queries import PlacedBet
from domain.sportsbook.repository import PlacementContext
from domain.wallets.errors import UnsupportedCurrency
from resolvers.context import Context
from resolvers.results import Outcome, attempt
from resolvers.sportsbook.catalog import batched
from resolvers.wallets.adjustments import amount_minor


async def require_bet_reader(ctx: Context, player_id: uuid.UUID) -> Principal:
    """That player, or staff with player.read. Errors: NotAuthenticated,
    TwoFactorRequired, PermissionDenied, PasswordChangeRequired."""
    return require_player_record_reader(
        await ctx.principal(), player_id, Permission.PLAYER_READ, ctx.brand.slug
    )


async def _player_currency(uow: UnitOfWork, brand: str, player_id: uuid.UUID) -> str:
    currency = await uow.session.scalar(
        select(Player.currency).where(Player.id == player_id, Player.brand == brand)
    )
    if currency is None:
        raise PlayerNotFound(field="playerId")
    return currency


async def stake_minor(
    uow: UnitOfWork,
    ctx: Context,
    player_id: uuid.UUID,
    stake: tuple[str, str],
    *,
    field: str = "stake",
) -> int:
    """The stake in minor units of the player's currency (the only one it bets in).
    Errors: PlayerNotFound, UnsupportedCurrency, InvalidAmount."""
    amount, currency = stake
    if currency != await _player_currency(uow, ctx.brand.slug, player_id):
        raise UnsupportedCurrency("Stake in your account's currency.", field=field)
    return amount_minor(amount, currency, field=field)


@dataclass(frozen=True)
class Placement:
    placed: PlacedBet
    # The bet as the payload shows it, read in the placement's transaction.
    view: BetView


async def _bettor(
    ctx: Context, uow: UnitOfWork, slip: BetSlip
) -> tuple[Principal, PlacementContext | None]:
    """The signed-in player and, when the request had not authenticated yet, their
    placement context read with the session in one statement (else None: placement reads
    it). Errors: NotAuthenticated, TwoFactorRequired, WithdrawOnly."""
    credentials = ctx.credentials
    if credentials is not None and not ctx.principal_known():
        read = await read_with_session(uow, brand=ctx.brand, token=credentials.token, slip=slip)
        if read is not None:
            ctx.authenticated(read.principal)
            return require_player(read.principal), read.context
    return require_player(await ctx.principal(uow)), None


async def place(ctx: Context, slip: BetSlip) -> Outcome[Placement]:
    """Place `slip` for the signed-in player, in one unit of work whose first statement
    also authenticates the caller (one connection, one transaction, no round trip for the
    session), and show the bet with its legs and their outcomes as the placement wrote
    them (a replay reads them back)."""

    async def run() -> Placement:
        player = None
        try:
            async with ctx.db.uow() as uow:
                player, context = await _bettor(ctx, uow, slip)
                placed = await place_bet(
                    uow, brand=ctx.brand, player_id=player.id, slip=slip, context=context
                )
                read = placed.shown or await bet_history.bet_with_legs(
                    uow, ctx.brand.slug, placed.bet_id
                )
                await uow.commit()
        except BonusMaxBetExceeded:
            assert player is not None, "only a placement refuses a bonus's max bet"
            # Refused (nothing moved); risk staff see the attempt.
            await abuse.record_max_bet_refused(
                ctx.db, ctx.brand.slug, player.id, product="sportsbook",
                stake_minor=slip.stake_minor,
            )  # fmt: skip
            raise
        assert read is not None, "a placed bet is the player's, in the placing brand"
        return Placement(placed, BetView(read.bet, read.legs, read.outcomes))

    return await attempt(run)


async def cash_out(
    ctx: Context,
    bet_id: int | None,
    *,
    expected: tuple[str, str],
    idempotency_key: str,
) -> Outcome[cashout.CashOut]:
    async def run() -> cashout.CashOut:
        player = require_player(await ctx.principal())
        if bet_id is None:
            raise BetNotFound(field="bet")
        async with ctx.db.uow() as uow:
            expected_minor = await stake_minor(uow, ctx, player.id, expected, field="expectedValue")
            done = await cashout.cash_out(
                uow,
                brand=ctx.brand.slug,
                player_id=player.id,
                bet_id=bet_id,
                expected_value_minor=expected_minor,
                idempotency_key=idempotency_key,
            )
            await uow.commit()
        return done

    return await attempt(run)


async def player_bets(
    ctx: Context,
    player_id: uuid.UUID,
    *,
    first: int,
    after: str | None,
    group: bet_history.BetGroup | None,
) -> bet_history.BetPage:
    """Errors: those of require_bet_reader, then InvalidPageSize, InvalidCursor."""
    await require_bet_reader(ctx, player_id)
    async with ctx.db.uow() as uow:
        return await bet_history.player_bets(
            uow, ctx.brand.slug, player_id, first=first, after=after, group=group
        )


def _reads_bets(principal: Principal | None, brand: str) -> bool:
    """Whether `principal` may read bets of `brand` at all: players (their own), staff with
    player.read there (through the one gate: scope, second factor and password too)."""
    if principal is not None and principal.is_player:
        return principal.fully_authenticated
    return holds_permission(principal, Permission.PLAYER_READ, brand)


async def bets_by_id(ctx: Context, ids: Sequence[int]) -> dict[int, Bet]:
    """The bets among `ids` the caller may see: its own, or any of the brand's for staff
    with player.read (others are left out)."""
    principal = await ctx.principal()
    if principal is None or not ids or not _reads_bets(principal, ctx.brand.slug):
        return {}

    async def fetch(uow: UnitOfWork, keys: list[int]) -> dict[int, Bet]:
        return await bet_history.bets_by_id(uow, ctx.brand.slug, keys)

    found = await batched(ctx, "sportsbook.bet", fetch).load_many(list(ids))
    return {bet.id: bet for bet in found if bet is not None and _sees(principal, bet)}


def _sees(principal: Principal, bet: Bet) -> bool:
    """A player sees their own bets; staff who read bets see any of the brand's."""
    return not principal.is_player or bet.player_id == principal.id


@dataclass(frozen=True)
class BetView:
    """A bet and, when read with it, its legs and their outcomes by id (None: not read)."""

    bet: Bet
    legs: list[BetLeg] | None = None
    outcomes: Mapping[int, BookOutcome] | None = None


async def bet_view(ctx: Context, bet_id: int, *, legs: bool, outcomes: bool) -> BetView | None:
    """The bet a mutation just committed, if the caller may see it (as `bets_by_id`), with
    its legs and their outcomes when asked: standalone statements in one go (the bet is
    committed, no transaction needed), not a loader round and a unit of work per level."""
    principal = await ctx.principal()
    if principal is None or not _reads_bets(principal, ctx.brand.slug):
        return None
    async with ctx.db.autocommit() as uow:
        bet = (await bet_history.bets_by_id(uow, ctx.brand.slug, [bet_id])).get(bet_id)
        if bet is None or not _sees(principal, bet):
            return None
        if not legs:
            return BetView(bet)
        leg_rows = (await bet_history.legs_of(uow, [bet_id]))[bet_id]
        if not outcomes or not leg_rows:
            return BetView(bet, leg_rows, {} if outcomes else None)
        outcome_ids = sorted({leg.outcome_id for leg in leg_rows})
        return BetView(bet, leg_rows, await book.outcomes_by_id(uow, outcome_ids))


async def legs_of(ctx: Context, bet_id: int) -> list[BetLeg]:
    return await batched(ctx, "sportsbook.legs_of", bet_history.legs_of).load(bet_id) or []


async def cash_out_value(ctx: Context, bet: Bet) -> int | None:
    """The bet's cash-out value now (None: not offered); batched over a page of bets."""
    if not cashout.cashable(_quoted(bet)):
        return None

    async def fetch(uow: UnitOfWork, keys: list[Bet]) -> dict[Bet, int | None]:
        values = await cashout.quotes(uow, [_quoted(row) for row in keys])
        return {row: values[row.id] for row in keys}

    return await batched(ctx, "sportsbook.cash_out_value", fetch).load(bet)


def _quoted(bet: Bet) -> cashout.QuotedBet:
    return cashout.QuotedBet(
        bet.id, bet.bet_type, bet.each_way, bet.free_bet, bet.status, bet.stake_minor
    )
