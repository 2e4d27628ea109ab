"""The words a player reads for the API's codes: transaction kinds, wallets, bet types and
statuses, leg results, and the generic names of the sportsbook catalogue (market types,
"Draw", sports). Pages never print a code; each table is checked against what the domain
and the schema can send (tests/web/site/test_translations.py), so a new kind or status
fails a test instead of reaching a page as `sportsbook.payout_reversal`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

from web.site.refusals import N_

# The ledger's transaction kinds (domain: the `kind` of each posting).
TRANSACTION_KINDS: Final[Mapping[str, str]] = {
    "deposit": N_("Deposit"),
    "withdrawal.request": N_("Withdrawal requested"),
    "withdrawal.payout": N_("Withdrawal paid out"),
    "withdrawal.return": N_("Withdrawal returned"),
    "withdrawal.reject": N_("Withdrawal rejected"),
    "adjustment": N_("Adjustment"),
    "casino.bet": N_("Casino bet"),
    "casino.win": N_("Casino win"),
    "casino.rollback": N_("Casino bet refunded"),
    "sportsbook.stake": N_("Sports bet"),
    "sportsbook.payout": N_("Sports bet paid out"),
    "sportsbook.payout_reversal": N_("Sports payout corrected"),
    "sportsbook.refund": N_("Sports bet refunded"),
    "sportsbook.refund_reversal": N_("Sports refund reversed"),
    "sportsbook.cash_out": N_("Cash-out"),
    "stake": N_("Stake"),
    "win": N_("Win"),
    "bonus.grant": N_("Bonus granted"),
    "bonus.conversion": N_("Bonus converted to cash"),
    "bonus.forfeit": N_("Bonus forfeited"),
    "bonus.cashback": N_("Cashback"),
    "bonus.free_round_win": N_("Free spin win"),
    "loyalty.earn": N_("Loyalty points earned"),
    "loyalty.redemption": N_("Loyalty points redeemed"),
    "affiliate.commission": N_("Affiliate commission"),
}
WALLET_KINDS: Final[Mapping[str, str]] = {
    "CASH": N_("Cash"),
    "BONUS": N_("Bonus"),
    "WITHDRAWAL_PENDING": N_("Pending withdrawals"),
    "CASINO_BONUS": N_("Casino bonus"),
    "SPORTSBOOK_FREE_BET": N_("Free bets"),
    "LOYALTY_POINTS": N_("Loyalty points"),
}
# Wallets that hold points, not money: shown as a number of points.
POINTS_WALLETS: Final = frozenset({"LOYALTY_POINTS"})
BET_TYPES: Final[Mapping[str, str]] = {
    "SINGLE": N_("Single"),
    "MULTIPLE": N_("Multiple"),
    "SYSTEM": N_("System"),
}
BET_STATUSES: Final[Mapping[str, str]] = {
    "PENDING": N_("pending"),
    "OPEN": N_("open"),
    "WON": N_("won"),
    "LOST": N_("lost"),
    "VOID": N_("void"),
    "CASHED_OUT": N_("cashed out"),
    "CANCELLED": N_("cancelled"),
    "REFUSED": N_("refused"),
}
LEG_RESULTS: Final[Mapping[str, str]] = {
    "WIN": N_("won"),
    "LOSE": N_("lost"),
    "VOID": N_("void"),
    "HALF_WIN": N_("half won"),
    "HALF_LOSE": N_("half lost"),
}
# What a wagering contribution's product or category is called (a game keeps its code).
CONTRIBUTION_NAMES: Final[Mapping[str, str]] = {
    "casino": N_("Casino"),
    "sportsbook": N_("Sports betting"),
    "slots": N_("Slots"),
    "table": N_("Table games"),
    "live": N_("Live casino"),
    "originals": N_("Originals"),
}
OFFER_KINDS: Final[Mapping[str, str]] = {
    "DEPOSIT_MATCH": N_("Deposit bonus"),
    "SIGN_UP": N_("Sign-up bonus"),
    "CASHBACK": N_("Cashback"),
    "RELOAD": N_("Reload bonus"),
}
GRANT_STATES: Final[Mapping[str, str]] = {
    "ACTIVE": N_("active"),
    "CONVERTED": N_("completed and converted to cash"),
    "FORFEITED": N_("forfeited"),
    "EXPIRED": N_("expired"),
    "CANCELLED": N_("cancelled"),
}
FREE_BET_STATES: Final[Mapping[str, str]] = {
    "ACTIVE": N_("active"),
    "USED": N_("placed"),
    "SETTLED": N_("settled"),
    "EXPIRED": N_("expired"),
    "CANCELLED": N_("cancelled"),
}
LABELS: Final[Mapping[str, Mapping[str, str]]] = {
    "contribution": CONTRIBUTION_NAMES,
    "free_bet_state": FREE_BET_STATES,
    "offer_kind": OFFER_KINDS,
    "grant_state": GRANT_STATES,
    "transaction": TRANSACTION_KINDS,
    "wallet": WALLET_KINDS,
    "bet_type": BET_TYPES,
    "bet_status": BET_STATUSES,
    "leg_result": LEG_RESULTS,
}
OTHER: Final = N_("Other")

# The catalogue's generic names (market types, the draw, over/under, sports) as feeds and
# the simulator send them in English; team, player and competition names stay as they are.
CATALOGUE_NAMES: Final = frozenset(
    {
        N_("Match result"),
        N_("Total goals"),
        N_("Asian handicap"),
        N_("Race winner"),
        N_("Double chance"),
        N_("Draw no bet"),
        N_("Both teams to score"),
        N_("Correct score"),
        N_("First half result"),
        N_("Match winner"),
        N_("Set betting"),
        N_("Total games"),
        N_("Moneyline"),
        N_("Point spread"),
        N_("Total points"),
        N_("Outright winner"),
        N_("Yes"),
        N_("No"),
        OTHER,
        N_("Horse racing"),
        N_("Draw"),
        N_("Over"),
        N_("Under"),
        N_("Football"),
        N_("Tennis"),
        N_("Basketball"),
    }
)
