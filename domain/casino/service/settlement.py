"""Wins and rollbacks: money back to the player for a bet we hold.

Each claims its own transaction id first (a replay answers the stored reply), then locks
the bet's round: every change of a round's bets and totals happens under that lock, so a
win and a rollback of the same round, or several rollbacks of one bet, take turns. A
rollback of a bet we never saw leaves a tombstone in the bet's id, so the late bet is
refused; a bet is refunded once (the ledger key is the bet's id too); a round with a win
refuses rollbacks.
"""

from __future__ import annotations

from domain.bonuses import free_rounds
from domain.bonuses.wagering import unwind
from domain.brands.service import Brand
from domain.casino import repository
from domain.casino.errors import RoundSettled, TransactionNotFound, WalletStatus
from domain.casino.models import TransactionKind, TransactionStatus
from domain.casino.protocol import WalletReply, WalletRequest
from domain.casino.repository import SessionRow, TransactionRow
from domain.casino.service.common import ledger_scope, playable_balance, replay, session_for
from domain.kernel.db import UnitOfWork
from domain.wallets.models import WalletKind
from domain.wallets.stakes import pay_win


async def win(
    uow: UnitOfWork, *, brand: Brand, provider: str, request: WalletRequest
) -> WalletReply:
    """Pay a win for a bet of the round, split back in the proportion the bet was paid
    (a win of 0 records the outcome and moves nothing). Accepted after the token expired.

    Errors: InvalidToken, WrongCurrency, TransactionNotFound (no such bet of this player and
    round, or it was rolled back), DuplicateTransaction.
    """
    assert request.transaction_uuid is not None
    assert request.amount_minor is not None
    session = await session_for(uow, brand, provider, request)
    claimed = await _claim(
        uow, brand, provider=provider, session=session, request=request, kind=TransactionKind.WIN
    )
    if isinstance(claimed, WalletReply):
        return claimed
    bet = await _bet_of(uow, provider, session, request)
    if bet is None or bet.round_ref != request.round:
        raise TransactionNotFound(field="reference_transaction_uuid")
    assert bet.round_id is not None
    await repository.lock_round(uow, bet.round_id)
    if await repository.transaction_status(uow, bet.id) != TransactionStatus.ACCEPTED:
        raise TransactionNotFound(field="reference_transaction_uuid")
    ledger_transaction = None
    if bet.reward_uuid is not None:
        # A free round's win: the bonus engine pays it per the reward's terms, once per id.
        ledger_transaction = await free_rounds.pay_win(
            uow,
            brand.slug,
            reward_uuid=bet.reward_uuid,
            player_id=session.player_id,
            amount_minor=request.amount_minor,
            key=f"{provider}:{request.transaction_uuid}",
            metadata={"provider": provider, "round": request.round, "bet": bet.id},
        )
    elif request.amount_minor > 0:
        assert bet.stake_split
        posting = await pay_win(
            uow,
            brand=brand.slug,
            player_id=session.player_id,
            currency=session.currency,
            amount_minor=request.amount_minor,
            stake_split={WalletKind(kind): int(paid) for kind, paid in bet.stake_split.items()},
            kind="casino.win",
            scope=ledger_scope(provider, "win"),
            key=request.transaction_uuid,
            metadata={"provider": provider, "round": request.round, "bet": bet.id},
        )
        ledger_transaction = posting.transaction_id
    await repository.add_to_round(
        uow, bet.round_id, wins=1, win_minor=request.amount_minor, closed=request.round_closed
    )
    return await _finish(
        uow,
        brand,
        session,
        claimed,
        round_id=bet.round_id,
        ledger_transaction_id=ledger_transaction,
    )


async def rollback(
    uow: UnitOfWork, *, brand: Brand, provider: str, request: WalletRequest
) -> WalletReply:
    """Refund a bet to the wallets that paid it, once. A rollback of a bet we never saw
    answers TRANSACTION_DOES_NOT_EXIST and leaves a tombstone (committed: the late bet is
    refused); of a bet already rolled back, RS_OK without a second refund. Accepted after
    the token expired.

    Errors: InvalidToken, WrongCurrency, RoundSettled (the round has a win),
    DuplicateTransaction.
    """
    assert request.transaction_uuid is not None
    assert request.reference_transaction_uuid is not None
    session = await session_for(uow, brand, provider, request)
    claimed = await _claim(
        uow,
        brand,
        provider=provider,
        session=session,
        request=request,
        kind=TransactionKind.ROLLBACK,
    )
    if isinstance(claimed, WalletReply):
        return claimed
    tombstone = await _tombstone(uow, brand, provider, session, request)
    bet = None if tombstone else await _bet_of(uow, provider, session, request)
    if bet is None:
        return await _finish(
            uow, brand, session, claimed, status=WalletStatus.TRANSACTION_DOES_NOT_EXIST
        )
    assert bet.round_id is not None
    wins = await repository.lock_round(uow, bet.round_id)
    if await repository.transaction_status(uow, bet.id) != TransactionStatus.ACCEPTED:
        # Already refunded (by another rollback id): the provider's intent holds; pay nothing.
        return await _finish(uow, brand, session, claimed, round_id=bet.round_id)
    if wins > 0:
        raise RoundSettled(field="reference_transaction_uuid")
    if bet.reward_uuid is not None:
        # A free round staked no money: the round goes back to the player's reward.
        await repository.mark_rolled_back(uow, bet.id)
        await free_rounds.give_back_round(uow, brand.slug, bet.reward_uuid)
        await repository.add_to_round(uow, bet.round_id, closed=request.round_closed)
        return await _finish(uow, brand, session, claimed, round_id=bet.round_id)
    ledger_transaction = await _refund(uow, brand, provider, session, bet)
    await repository.add_to_round(
        uow, bet.round_id, refund_minor=bet.amount_minor, closed=request.round_closed
    )
    return await _finish(
        uow,
        brand,
        session,
        claimed,
        round_id=bet.round_id,
        ledger_transaction_id=ledger_transaction,
    )


async def _tombstone(
    uow: UnitOfWork, brand: Brand, provider: str, session: SessionRow, request: WalletRequest
) -> bool:
    """Take the referenced bet's id if nobody has: True when the bet never came (and now
    never will: its late arrival finds the id taken)."""
    assert request.reference_transaction_uuid is not None
    taken = await repository.claim(
        uow,
        provider=provider,
        transaction_uuid=request.reference_transaction_uuid,
        brand=brand.slug,
        player_id=session.player_id,
        kind=TransactionKind.BET,
        status=TransactionStatus.TOMBSTONE,
        currency=session.currency,
        amount_minor=0,
        round_ref=request.round,
        game_code=request.game_code,
        reference=None,
    )
    return taken is not None


async def _refund(
    uow: UnitOfWork, brand: Brand, provider: str, session: SessionRow, bet: TransactionRow
) -> int:
    """Pay the bet back to the wallets that paid it, exactly; mark it rolled back. The
    caller holds the round's lock. Returns the ledger transaction id."""
    assert bet.round_id is not None
    assert bet.stake_split
    posting = await pay_win(
        uow,
        brand=brand.slug,
        player_id=session.player_id,
        currency=session.currency,
        amount_minor=bet.amount_minor,
        stake_split={WalletKind(kind): int(paid) for kind, paid in bet.stake_split.items()},
        kind="casino.rollback",
        scope=ledger_scope(provider, "rollback"),
        # The bet's id, not the rollback's: whatever happens above, one refund per bet.
        key=bet.transaction_uuid,
        metadata={"provider": provider, "round": bet.round_ref, "bet": bet.id},
    )
    await repository.mark_rolled_back(uow, bet.id)
    # A refunded stake no longer counts toward the bonus it fed.
    await unwind(uow, brand.slug, await repository.stake_bonus(uow, bet.id))
    return posting.transaction_id


async def _claim(
    uow: UnitOfWork,
    brand: Brand,
    *,
    provider: str,
    session: SessionRow,
    request: WalletRequest,
    kind: TransactionKind,
) -> int | WalletReply:
    """The new row's id, or the stored reply when the id is taken by this same request.
    Errors: DuplicateTransaction."""
    assert request.transaction_uuid is not None
    claimed = await repository.claim(
        uow,
        provider=provider,
        transaction_uuid=request.transaction_uuid,
        brand=brand.slug,
        player_id=session.player_id,
        kind=kind,
        status=TransactionStatus.ACCEPTED,
        currency=session.currency,
        amount_minor=request.amount_minor or 0,
        round_ref=request.round,
        game_code=request.game_code,
        reference=request.reference_transaction_uuid,
    )
    if claimed is not None:
        return claimed
    existing = await repository.find_transaction(uow, provider, request.transaction_uuid)
    assert existing is not None, "a taken id has a committed row"
    return replay(existing, request, session.player_id)


async def _bet_of(
    uow: UnitOfWork, provider: str, session: SessionRow, request: WalletRequest
) -> TransactionRow | None:
    """The referenced bet, if it is a real bet of this player (a tombstone is not)."""
    assert request.reference_transaction_uuid is not None
    bet = await repository.find_transaction(uow, provider, request.reference_transaction_uuid)
    if (
        bet is None
        or bet.kind != TransactionKind.BET
        or bet.status == TransactionStatus.TOMBSTONE
        or bet.player_id != str(session.player_id)
    ):
        return None
    return bet


async def _finish(
    uow: UnitOfWork,
    brand: Brand,
    session: SessionRow,
    transaction_id: int,
    *,
    round_id: int | None = None,
    ledger_transaction_id: int | None = None,
    status: WalletStatus = WalletStatus.OK,
) -> WalletReply:
    amount = await playable_balance(uow, brand, session.player_id, session.currency)
    await repository.finish(
        uow,
        transaction_id,
        response_status=status.value,
        balance_minor=amount,
        status=TransactionStatus.ACCEPTED
        if status is WalletStatus.OK
        else TransactionStatus.REFUSED,
        round_id=round_id,
        ledger_transaction_id=ledger_transaction_id,
    )
    return WalletReply(status, session.currency, amount)
