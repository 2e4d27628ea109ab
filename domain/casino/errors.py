"""Casino errors. Seamless-wallet errors carry the `status` the provider is answered with;
the rest (launch) have stable codes for the GraphQL layer."""

from __future__ import annotations

from enum import StrEnum

from domain.kernel.errors import DomainError


class WalletStatus(StrEnum):
    """The statuses of the seamless-wallet protocol (what providers switch on)."""

    # S105 reads the TOKEN_* names below as passwords: they are status codes.

    OK = "RS_OK"
    NOT_ENOUGH_MONEY = "RS_ERROR_NOT_ENOUGH_MONEY"
    INVALID_SIGNATURE = "RS_ERROR_INVALID_SIGNATURE"
    TOKEN_EXPIRED = "RS_ERROR_TOKEN_EXPIRED"  # noqa: S105
    INVALID_TOKEN = "RS_ERROR_INVALID_TOKEN"  # noqa: S105
    TRANSACTION_DOES_NOT_EXIST = "RS_ERROR_TRANSACTION_DOES_NOT_EXIST"
    DUPLICATE_TRANSACTION = "RS_ERROR_DUPLICATE_TRANSACTION"
    USER_DISABLED = "RS_ERROR_USER_DISABLED"
    LIMIT_REACHED = "RS_ERROR_LIMIT_REACHED"
    WRONG_CURRENCY = "RS_ERROR_WRONG_CURRENCY"
    INVALID_GAME = "RS_ERROR_INVALID_GAME"
    UNKNOWN = "RS_ERROR_UNKNOWN"


class WalletError(DomainError):
    """A callback refused with no effect (the caller rolls back)."""

    status = WalletStatus.UNKNOWN


class InvalidSignature(WalletError):
    code = "INVALID_SIGNATURE"
    message = "The request signature is missing, invalid or stale."
    status = WalletStatus.INVALID_SIGNATURE


class MalformedRequest(WalletError):
    code = "MALFORMED_REQUEST"
    message = "The request body is not a wallet request this platform understands."


class InvalidToken(WalletError):
    code = "INVALID_TOKEN"
    message = "No real-money game session has this token for this user."
    status = WalletStatus.INVALID_TOKEN


class TokenExpired(WalletError):
    code = "TOKEN_EXPIRED"
    message = "The game session has expired."
    status = WalletStatus.TOKEN_EXPIRED


class UserDisabled(WalletError):
    code = "USER_DISABLED"
    message = "The player may not wager."
    status = WalletStatus.USER_DISABLED


class LimitReached(WalletError):
    code = "LIMIT_REACHED"
    message = "The bet is over a limit the player set."
    status = WalletStatus.LIMIT_REACHED


class BonusMaxBetRefused(LimitReached):
    """A stake above the max bet of the player's active bonus (the protocol's limit code)."""


class WrongCurrency(WalletError):
    code = "WRONG_CURRENCY"
    message = "The currency is not the game session's."
    status = WalletStatus.WRONG_CURRENCY


class InvalidGame(WalletError):
    code = "INVALID_GAME"
    message = "The game is not the game session's."
    status = WalletStatus.INVALID_GAME


class TransactionNotFound(WalletError):
    code = "TRANSACTION_DOES_NOT_EXIST"
    message = "The referenced bet does not exist (or was rolled back)."
    status = WalletStatus.TRANSACTION_DOES_NOT_EXIST


class DuplicateTransaction(WalletError):
    code = "DUPLICATE_TRANSACTION"
    message = "This transaction id was already used for another request."
    status = WalletStatus.DUPLICATE_TRANSACTION


class NotEnoughMoney(WalletError):
    code = "NOT_ENOUGH_MONEY"
    message = "The player's balance is too low for this bet."
    status = WalletStatus.NOT_ENOUGH_MONEY

    def __init__(self, balance_minor: int | None) -> None:
        super().__init__(field="amount")
        self.balance_minor = balance_minor


class RoundClosed(WalletError):
    code = "ROUND_CLOSED"
    message = "The round is closed: it takes no more bets."


class RoundSettled(WalletError):
    code = "ROUND_SETTLED"
    message = "The round already has a win: its bets cannot be rolled back."


class InvalidFreeRound(WalletError):
    code = "INVALID_FREE_ROUND"
    message = (
        "No free rounds of this player have this reward id, or they cannot take this round "
        "(used up, ended, another game, currency or stake)."
    )


class GameNotFound(DomainError):
    code = "GAME_NOT_FOUND"
    message = "No such game on this brand."


class DemoUnavailable(DomainError):
    code = "DEMO_UNAVAILABLE"
    message = "This game has no demo mode."
