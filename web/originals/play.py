"""One round of an Originals game.

Demo: decided, paid and recorded in one transaction on the studio's play money.

Real money, as any studio plays a seamless wallet (no transaction is held open across a
call):
  1. decide the outcome and record the round `pending` (dice: the seed pair's next nonce);
  2. `bet` the stake (round open). Refused: the round is `refused`. No answer (timeout,
     5xx): the bet's fate is unknown, so it is cancelled with a `rollback` (retried; the
     operator refunds a bet it holds, or tombstones one it never saw): `rolled_back`;
  3. `win` the payout, 0 for a loss, closing the round (retried with the same id): `settled`.
When the operator granted the player free rounds on this game (domain/originals/
free_rounds.py), the round is one of them: played at the reward's stake, its bet sent with
`is_free` and the `reward_uuid` (no money staked); a refused or cancelled one is given back.
A round left `open` (win unconfirmed) or `pending` (rollback unconfirmed) is finished by
the session's next play.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from dataclasses import dataclass
from datetime import timedelta

from domain.kernel import clock
from domain.kernel.db import Database, UnitOfWork
from domain.originals import games, store, studio
from domain.originals.free_rounds import StudioFreeRounds
from domain.originals.models import OriginalsRound, OriginalsSession, RoundStatus
from domain.originals.store import Draw
from web.originals.wallet import OperatorWallet, WalletAnswer, WalletUnavailable

log = logging.getLogger("stakehouse.originals")

# Attempts (and the pause before each) of a rollback or a win whose answer did not come.
RETRY_DELAYS_S = (0.0, 0.2, 0.5)
# A pending round older than this lost its request: its bet is cancelled, not awaited.
PENDING_STALE = timedelta(seconds=60)
OWED_ROUNDS_PER_PLAY_MAX = 5
ROLLBACK_DONE = frozenset({"RS_OK", "RS_ERROR_TRANSACTION_DOES_NOT_EXIST"})
_SLOT_RNG = secrets.SystemRandom()

# Operator refusals of a bet, as the player reads them: (code, message, HTTP status).
_REFUSALS = {
    "RS_ERROR_NOT_ENOUGH_MONEY": ("NOT_ENOUGH_MONEY", "Not enough money for this stake.", 402),
    "RS_ERROR_TOKEN_EXPIRED": (
        "SESSION_EXPIRED",
        "This game session has expired: open the game again from the casino.",
        401,
    ),
    "RS_ERROR_INVALID_TOKEN": ("INVALID_SESSION", "This game session is not valid.", 401),
    "RS_ERROR_USER_DISABLED": ("PLAY_BLOCKED", "Your account cannot play right now.", 403),
    "RS_ERROR_LIMIT_REACHED": ("LIMIT_REACHED", "One of your limits stops this bet.", 403),
}
_REFUSED = ("BET_REFUSED", "The casino refused the bet.", 409)


class PlayRefused(Exception):
    def __init__(
        self, code: str, message: str, http_status: int, balance_minor: int | None = None
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.http_status = http_status
        self.balance_minor = balance_minor


@dataclass(frozen=True)
class Bet:
    stake_minor: int
    # Dice: roll under this, in hundredths.
    target: int | None = None
    # Roulette: the bet's name (studio.ROULETTE_BETS).
    choice: str | None = None


@dataclass(frozen=True)
class PlayResult:
    round: OriginalsRound
    balance_minor: int | None
    # False: the win is not confirmed yet (the next play sends it again).
    settled: bool


async def _decide(
    uow: UnitOfWork, session: OriginalsSession, bet: Bet
) -> tuple[games.Outcome, Draw | None]:
    demo_game = studio.STUDIO_GAMES.get(session.game_code)
    if demo_game is not None:
        # A fresh seed per round from the OS CSPRNG; the round keeps it (replayable).
        seeded = studio.SeededDraw.fresh()
        if demo_game.kind == "roulette":
            assert bet.choice is not None
            payout, detail = studio.roulette_outcome(bet.stake_minor, bet.choice, seeded)
        else:
            payout, detail = studio.slot_outcome(demo_game, bet.stake_minor, seeded)
        return games.Outcome(payout, detail), None
    if session.game_code == games.DICE:
        assert bet.target is not None
        draw = await store.take_nonce(uow, session.owner)
        outcome = games.dice_outcome(
            bet.stake_minor, bet.target, draw.server_seed, draw.client_seed, draw.nonce
        )
        return outcome, draw
    return games.slot_outcome(bet.stake_minor, _SLOT_RNG), None


async def play_demo(db: Database, session: OriginalsSession, bet: Bet) -> PlayResult:
    """Errors: PlayRefused (NOT_ENOUGH_MONEY: nothing recorded, the nonce not used)."""
    async with db.transaction() as uow:
        outcome, draw = await _decide(uow, session, bet)
        balance = await store.play_demo_money(
            uow, session.id, bet.stake_minor, outcome.payout_minor
        )
        if balance is None:
            raise PlayRefused(
                "NOT_ENOUGH_MONEY",
                "Not enough play money for this stake.",
                402,
                session.demo_balance_minor,
            )
        round_row = await store.add_round(
            uow,
            session,
            stake_minor=bet.stake_minor,
            payout_minor=outcome.payout_minor,
            outcome=outcome.detail,
            status=RoundStatus.SETTLED,
            draw=draw,
            balance_after_minor=balance,
        )
    return PlayResult(round_row, balance, settled=True)


def _fields(session: OriginalsSession, round_row: OriginalsRound) -> dict[str, object]:
    return {
        "token": session.operator_token,
        "user": session.user_ref,
        "round": round_row.round_ref,
        "game_code": session.game_code,
        "currency": session.currency,
    }


def _bet_id(round_row: OriginalsRound) -> str:
    return f"{round_row.round_ref}:bet"


async def play_real(
    db: Database, wallet: OperatorWallet, session: OriginalsSession, bet: Bet
) -> PlayResult:
    """Errors: PlayRefused (the operator refused the bet, or never confirmed it and it was
    cancelled)."""
    await settle_owed(db, wallet, session)
    free_rounds = StudioFreeRounds(db)
    assert session.user_ref is not None
    free = await free_rounds.take_round(
        provider=wallet.provider,
        brand=session.brand,
        user=session.user_ref,
        game_code=session.game_code,
        currency=session.currency,
    )
    free_fields: dict[str, object] = {}
    if free is not None:
        reward_id, free_stake = free
        bet = Bet(free_stake, bet.target, bet.choice)
        free_fields = {"is_free": True, "reward_uuid": reward_id}
    async with db.transaction() as uow:
        outcome, draw = await _decide(uow, session, bet)
        round_row = await store.add_round(
            uow,
            session,
            stake_minor=bet.stake_minor,
            payout_minor=outcome.payout_minor,
            outcome=outcome.detail if free is None else {**outcome.detail, "free_round": True},
            status=RoundStatus.PENDING,
            draw=draw,
        )
    fields = _fields(session, round_row)
    try:
        answer = await wallet.call(
            "bet",
            {
                **fields,
                "transaction_uuid": _bet_id(round_row),
                "amount": bet.stake_minor,
                "round_closed": False,
                **free_fields,
            },
        )
    except WalletUnavailable as error:
        log.warning("originals bet %s unconfirmed (%s): cancelling", round_row.round_ref, error)
        if await cancel(db, wallet, session, round_row) and free is not None:
            await free_rounds.give_back_round(free[0])
        raise PlayRefused(
            "WALLET_UNAVAILABLE",
            "The casino did not confirm the bet, so it was cancelled. Please try again.",
            503,
        ) from None
    if not answer.ok:
        await _move(db, round_row, RoundStatus.REFUSED, (RoundStatus.PENDING,))
        if free is not None:
            await free_rounds.give_back_round(free[0])
        code, message, http_status = _REFUSALS.get(answer.status, _REFUSED)
        raise PlayRefused(code, message, http_status, answer.balance_minor)
    await _move(
        db, round_row, RoundStatus.OPEN, (RoundStatus.PENDING,), balance=answer.balance_minor
    )
    balance = await settle(db, wallet, session, round_row)
    if balance is None:
        return PlayResult(replace_status(round_row, RoundStatus.OPEN), answer.balance_minor, False)
    return PlayResult(replace_status(round_row, RoundStatus.SETTLED), balance, True)


def replace_status(round_row: OriginalsRound, status: RoundStatus) -> OriginalsRound:
    # The row is detached after its transaction: this only updates what the page is sent.
    round_row.status = status.value
    return round_row


async def _move(
    db: Database,
    round_row: OriginalsRound,
    to: RoundStatus,
    allowed_from: tuple[RoundStatus, ...],
    *,
    balance: int | None = None,
) -> bool:
    async with db.transaction() as uow:
        return await store.move_round(
            uow, round_row.id, to=to, allowed_from=allowed_from, balance_after_minor=balance
        )


async def _with_retries(
    wallet: OperatorWallet, operation: str, fields: dict[str, object]
) -> WalletAnswer | None:
    for delay_s in RETRY_DELAYS_S:
        if delay_s:
            await asyncio.sleep(delay_s)
        try:
            return await wallet.call(operation, fields)
        except WalletUnavailable as error:
            log.warning(
                "originals %s %s unanswered: %s", operation, fields["transaction_uuid"], error
            )
    return None


async def cancel(
    db: Database, wallet: OperatorWallet, session: OriginalsSession, round_row: OriginalsRound
) -> bool:
    """Roll back a bet whose answer never came (the operator refunds it if it holds it,
    or refuses it for good if it does not). True once the operator confirmed."""
    answer = await _with_retries(
        wallet,
        "rollback",
        {
            **_fields(session, round_row),
            "transaction_uuid": f"{round_row.round_ref}:rollback",
            "reference_transaction_uuid": _bet_id(round_row),
            "round_closed": True,
        },
    )
    if answer is None or answer.status not in ROLLBACK_DONE:
        log.error("originals rollback of %s not confirmed: %s", round_row.round_ref, answer)
        return False
    await _move(
        db, round_row, RoundStatus.ROLLED_BACK, (RoundStatus.PENDING,), balance=answer.balance_minor
    )
    return True


async def settle(
    db: Database, wallet: OperatorWallet, session: OriginalsSession, round_row: OriginalsRound
) -> int | None:
    """Send the round's win (0 for a loss) and close it; the balance after, or None while
    unconfirmed."""
    answer = await _with_retries(
        wallet,
        "win",
        {
            **_fields(session, round_row),
            "transaction_uuid": f"{round_row.round_ref}:win",
            "reference_transaction_uuid": _bet_id(round_row),
            "amount": round_row.payout_minor,
            "round_closed": True,
        },
    )
    if answer is None or not answer.ok:
        log.error("originals win of %s not confirmed: %s", round_row.round_ref, answer)
        return None
    await _move(
        db, round_row, RoundStatus.SETTLED, (RoundStatus.OPEN,), balance=answer.balance_minor
    )
    return answer.balance_minor


async def settle_owed(db: Database, wallet: OperatorWallet, session: OriginalsSession) -> None:
    """Finish what earlier plays of the session left: wins not confirmed, and bets whose
    request died before they were cancelled."""
    async with db.uow() as uow:
        owed = await store.rounds_in(uow, session.id, (RoundStatus.OPEN, RoundStatus.PENDING))
    stale_before = clock.now() - PENDING_STALE
    for round_row in owed[:OWED_ROUNDS_PER_PLAY_MAX]:
        if round_row.status == RoundStatus.OPEN:
            await settle(db, wallet, session, round_row)
        elif round_row.created_at < stale_before:
            await cancel(db, wallet, session, round_row)
