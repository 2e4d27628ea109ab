"""The wallet callbacks that read a session or stake: authenticate, balance, bet.

The bet is the hot path: one read of everything it needs (session, player status under the
compliance guard's FOR SHARE lock, wallet ids, a row already holding the transaction id),
then one call of `stakehouse_casino_bet` that claims the id, locks the round, stakes through
the ledger and records the reply. Two statements, inside the caller's transaction.
"""

from __future__ import annotations

import uuid
from typing import Any

from domain.accounts.models import PlayerStatus
from domain.bonuses import free_rounds
from domain.bonuses.errors import FreeRoundsNotAvailable, FreeRoundsNotFound
from domain.bonuses.lifecycle import complete_if_wagered
from domain.brands.service import Brand
from domain.casino import repository
from domain.casino.errors import (
    InvalidFreeRound,
    InvalidGame,
    InvalidToken,
    LimitReached,
    TokenExpired,
    UserDisabled,
    WalletStatus,
)
from domain.casino.models import TransactionKind, TransactionStatus
from domain.casino.protocol import WalletReply, WalletRequest
from domain.casino.repository import BetContext
from domain.casino.service.common import (
    check_session,
    consumption_order,
    ledger_scope,
    playable_balance,
    replay,
    session_for,
)
from domain.casino.service.launch import token_hash
from domain.compliance.errors import LimitReached as PlayerLimitReached
from domain.compliance.errors import PlayerBlocked, TimedOut
from domain.compliance.jurisdictions import pack_for
from domain.compliance.kyc import gates
from domain.compliance.service import Activity, check_protection, check_status
from domain.kernel import clock
from domain.kernel.db import UnitOfWork
from domain.wallets.ledger import Leg, request_hash
from domain.wallets.models import HouseAccountKind
from domain.wallets.service import house_account_id, wallet_id


async def authenticate(
    uow: UnitOfWork, *, brand: Brand, provider: str, request: WalletRequest
) -> WalletReply:
    """The player behind a fresh token, and their balance. Errors: InvalidToken,
    TokenExpired, WrongCurrency."""
    session = await session_for(uow, brand, provider, request)
    if session.expires_at <= clock.now():
        raise TokenExpired(field="token")
    amount = await playable_balance(uow, brand, session.player_id, session.currency)
    return WalletReply(WalletStatus.OK, session.currency, amount)


async def balance(
    uow: UnitOfWork, *, brand: Brand, provider: str, request: WalletRequest
) -> WalletReply:
    """The player's balance (also after the token expired: a game shows it to the end).
    Errors: InvalidToken, WrongCurrency."""
    session = await session_for(uow, brand, provider, request)
    amount = await playable_balance(uow, brand, session.player_id, session.currency)
    return WalletReply(WalletStatus.OK, session.currency, amount)


async def bet(
    uow: UnitOfWork, *, brand: Brand, provider: str, request: WalletRequest
) -> WalletReply:
    """Stake `amount` from the player's wallets in the brand's consumption order, once per
    transaction id. A replay answers the original reply.

    Errors: InvalidToken, WrongCurrency, InvalidGame, TokenExpired, UserDisabled,
    NotEnoughMoney (with the balance), DuplicateTransaction, RoundClosed,
    InvalidFreeRound (a free round: see `_free_bet`), MalformedRequest.
    """
    assert request.transaction_uuid is not None
    assert request.amount_minor is not None
    order = consumption_order(brand)
    context = await repository.bet_context(
        uow,
        brand=brand.slug,
        jurisdiction=brand.jurisdiction,
        provider=provider,
        token_hash=token_hash(request.token),
        transaction_uuid=request.transaction_uuid,
        order=[kind.value for kind in order],
        counter=HouseAccountKind.WAGERS.value,
    )
    if context is None:
        raise InvalidToken(field="token")
    if context.existing is not None:
        return replay(context.existing, request, context.session.player_id)
    _check_bet(context, request, brand.jurisdiction)
    _check_stake(brand, context, request.amount_minor)
    if context.protection_active:
        await _check_protection(uow, brand, context, request.amount_minor)
    if request.is_free:
        return await _free_bet(uow, brand, provider, request, context)
    wallets, counter = await _accounts(uow, brand, context)
    result = await repository.place_bet(
        uow, _bet_parameters(brand, provider, request, context, wallets=wallets, counter=counter)
    )
    if result["outcome"] == "existing":
        # A concurrent duplicate committed first: answer as a replay of it.
        existing = await repository.find_transaction(uow, provider, request.transaction_uuid)
        assert existing is not None, "a taken id has a committed row"
        return replay(existing, request, context.session.player_id)
    balance_minor = int(result["balance"])
    bonus = result.get("bonus")
    if bonus and bonus["completed"]:
        # This stake met the grant's wagering: convert it in the same transaction.
        await complete_if_wagered(uow, brand.slug, uuid.UUID(bonus["grant"]))
        balance_minor = await playable_balance(
            uow, brand, context.session.player_id, context.session.currency
        )
    return WalletReply(WalletStatus.OK, context.session.currency, balance_minor)


async def _free_bet(
    uow: UnitOfWork, brand: Brand, provider: str, request: WalletRequest, context: BetContext
) -> WalletReply:
    """A free round: claim the transaction id, take one round of the reward (the bonus
    engine checks player, game, currency and stake under the reward's lock) and open the
    round; no money moves, nothing counts toward wagering. Errors: InvalidFreeRound,
    RoundClosed."""
    assert request.transaction_uuid is not None
    assert request.amount_minor is not None
    assert request.reward_uuid is not None
    session = context.session
    claimed = await repository.claim(
        uow,
        provider=provider,
        transaction_uuid=request.transaction_uuid,
        brand=brand.slug,
        player_id=session.player_id,
        kind=TransactionKind.BET,
        status=TransactionStatus.ACCEPTED,
        currency=session.currency,
        amount_minor=request.amount_minor,
        round_ref=request.round,
        game_code=request.game_code,
        reference=None,
        reward_uuid=request.reward_uuid,
    )
    if claimed is None:
        existing = await repository.find_transaction(uow, provider, request.transaction_uuid)
        assert existing is not None, "a taken id has a committed row"
        return replay(existing, request, session.player_id)
    try:
        await free_rounds.use_round(
            uow,
            brand.slug,
            provider=provider,
            reward_uuid=request.reward_uuid,
            player_id=session.player_id,
            game_code=request.game_code,
            currency=session.currency,
            stake_minor=request.amount_minor,
        )
    except (FreeRoundsNotFound, FreeRoundsNotAvailable):
        raise InvalidFreeRound(field="reward_uuid") from None
    round_id = await repository.open_free_round(
        uow,
        brand=brand.slug,
        provider=provider,
        player_id=session.player_id,
        round_ref=request.round,
        game_code=request.game_code,
        currency=session.currency,
        closed=request.round_closed,
    )
    balance_minor = await playable_balance(uow, brand, session.player_id, session.currency)
    await repository.finish(
        uow, claimed, response_status=WalletStatus.OK.value, balance_minor=balance_minor,
        round_id=round_id,
    )  # fmt: skip
    return WalletReply(WalletStatus.OK, session.currency, balance_minor)


def _bet_parameters(
    brand: Brand,
    provider: str,
    request: WalletRequest,
    context: BetContext,
    *,
    wallets: list[int],
    counter: int,
) -> dict[str, Any]:
    """The arguments of `stakehouse_casino_bet`: the transaction id is also the ledger's
    idempotency key (scoped to the provider), so the ledger itself refuses a second stake."""
    metadata = {
        "provider": provider,
        "round": request.round,
        "game": request.game_code,
        "category": context.category,
    }
    return {
        "provider": provider,
        "transaction": request.transaction_uuid,
        "brand": brand.slug,
        "player": context.session.player_id,
        "game": request.game_code,
        "round": request.round,
        "round_closed": request.round_closed,
        "currency": context.session.currency,
        "amount": request.amount_minor,
        "wallets": wallets,
        "counter": counter,
        "scope": str(ledger_scope(provider, "bet")),
        "request_hash": request_hash(
            "casino.bet", [Leg(w, 0) for w in wallets], {**metadata, "amount": request.amount_minor}
        ),
        "metadata": metadata,
    }


def _check_bet(context: BetContext, request: WalletRequest, jurisdiction: str) -> None:
    """Errors: InvalidToken, WrongCurrency, InvalidGame, TokenExpired, UserDisabled."""
    check_session(context.session, request)
    if request.game_code != context.session.game_code or not context.game_playable:
        # Also a game (or its provider) switched off, or restricted, since the launch: no
        # new stakes; wins and rollbacks of what was staked before still settle.
        raise InvalidGame(field="game_code")
    if context.session.expires_at <= clock.now():
        raise TokenExpired(field="token")
    try:
        # The one compliance guard decides what a status allows (read FOR SHARE above).
        check_status(PlayerStatus(context.player_status), Activity.WAGER)
        # And the tier the jurisdiction asks for before play (a check rejected since the
        # launch stops new stakes too).
        if context.registered_at is not None:
            gates.check_play(jurisdiction, context.kyc_tier, context.registered_at)
    except PlayerBlocked:
        raise UserDisabled(field="user") from None


def _check_stake(brand: Brand, context: BetContext, amount_minor: int) -> None:
    """On a slot, the largest stake per spin the brand's jurisdiction allows at the
    player's age (its pack's `[slots] stake_bands`), checked inside the bet's transaction
    before the debit.
    Errors: LimitReached (the protocol's limit code)."""
    if not context.is_slot or context.date_of_birth is None:
        return
    pack = pack_for(brand.jurisdiction)
    cap = pack.max_stake_minor(context.session.currency, context.date_of_birth, clock.today())
    if cap is not None and amount_minor > cap:
        raise LimitReached(field="amount")


async def _check_protection(
    uow: UnitOfWork, brand: Brand, context: BetContext, amount_minor: int
) -> None:
    """The time-out and limits of a player who has any. Errors: UserDisabled, LimitReached."""
    try:
        await check_protection(
            uow, brand.slug, context.session.player_id, Activity.WAGER, amount_minor=amount_minor
        )
    except TimedOut:
        raise UserDisabled(field="user") from None
    except PlayerLimitReached:
        raise LimitReached(field="amount") from None


async def _accounts(uow: UnitOfWork, brand: Brand, context: BetContext) -> tuple[list[int], int]:
    """The ledger accounts of the stake; wallets and the counter are opened on first use
    (registration opens wallets in the player's currency, so this is rare)."""
    order = consumption_order(brand)
    session = context.session
    wallets = context.wallet_ids
    if len(wallets) != len(order):
        wallets = [
            await wallet_id(uow, brand.slug, session.player_id, kind, session.currency)
            for kind in order
        ]
    counter = context.counter_id
    if counter is None:
        counter = await house_account_id(uow, brand.slug, HouseAccountKind.WAGERS, session.currency)
    return wallets, counter
