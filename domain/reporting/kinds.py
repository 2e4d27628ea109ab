"""Which ledger transaction kinds the read model counts, and how: one rule per kind.

A rule adds `sign` x (the transaction's player-wallet entries on `wallets`, summed) to one
amount figure, and `count` (+1 or -1) to one count figure. A kind without a rule is not a
reporting fact (test funding, staff adjustments). New money flows (bonus grant, conversion,
forfeit, jackpots, taxes) arrive by adding their kinds here: the columns exist already.

Corrections are their own kinds and land on the day their ledger transaction happened:
a casino rollback or a sportsbook refund takes its stake back (stakes down, one bet
fewer); a payout reversal takes a win back (wins down); a refund reversal stakes again.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType
from typing import Final


class Product(StrEnum):
    CASINO = "casino"
    SPORTSBOOK = "sportsbook"
    # Payments, registrations and bonus movements: the player's, not a product's.
    ACCOUNT = "account"


# The wallets that hold money (loyalty points are not money).
MONEY_WALLETS: Final = frozenset(
    {"cash", "bonus", "casino_bonus", "sportsbook_free_bet", "withdrawal_pending"}
)
BONUS_WALLETS: Final = frozenset({"bonus", "casino_bonus", "sportsbook_free_bet"})


@dataclass(frozen=True)
class Rule:
    product: Product
    figure: str
    sign: int
    count_figure: str | None = None
    count: int = 0
    wallets: frozenset[str] = MONEY_WALLETS
    # A stake: the player is active in the cell that day.
    marks_activity: bool = False
    # A deposit: the player's first makes them a first-time depositor.
    first_deposit: bool = False
    # Where the cash wallet's entries go when they are another figure than `wallets`' (a
    # cashback paid as cash is bonus money that left as cash; paid as bonus, a grant).
    cash_figure: str | None = None

    def amount_minor(self, deltas: dict[str, int]) -> int:
        """The figure's change for a transaction's summed entries by wallet kind."""
        return self.sign * sum(
            amount for wallet, amount in deltas.items() if wallet in self.wallets
        )

    def figure_of(self, wallet: str) -> str | None:
        """The figure an entry on this wallet kind moves (None: no figure)."""
        if wallet in self.wallets:
            return self.figure
        if wallet == "cash" and self.cash_figure is not None:
            return self.cash_figure
        return None

    def amounts_minor(self, deltas: dict[str, int]) -> dict[str, int]:
        """Each figure's change for a transaction's summed entries by wallet kind."""
        found = {self.figure: self.amount_minor(deltas)}
        if self.cash_figure is not None:
            found[self.cash_figure] = self.sign * deltas.get("cash", 0)
        return found


_CASINO, _SPORTSBOOK, _ACCOUNT = Product.CASINO, Product.SPORTSBOOK, Product.ACCOUNT
STAKES, WINS = "stakes_minor", "wins_minor"
GRANTED, CONVERTED = "bonus_granted_minor", "bonus_converted_minor"
_CASH: Final = frozenset({"cash"})

RULES: Final = MappingProxyType(
    {
        "casino.bet": Rule(_CASINO, STAKES, -1, "bets", +1, marks_activity=True),
        "casino.rollback": Rule(_CASINO, STAKES, -1, "bets", -1),
        "casino.win": Rule(_CASINO, WINS, +1),
        "sportsbook.stake": Rule(_SPORTSBOOK, STAKES, -1, "bets", +1, marks_activity=True),
        "sportsbook.refund": Rule(_SPORTSBOOK, STAKES, -1, "bets", -1),
        "sportsbook.refund_reversal": Rule(_SPORTSBOOK, STAKES, -1, "bets", +1),
        "sportsbook.payout": Rule(_SPORTSBOOK, WINS, +1),
        "sportsbook.cash_out": Rule(_SPORTSBOOK, WINS, +1),
        "sportsbook.payout_reversal": Rule(_SPORTSBOOK, WINS, +1),
        "deposit": Rule(_ACCOUNT, "deposits_minor", +1, "deposits", +1, first_deposit=True),
        "withdrawal.payout": Rule(_ACCOUNT, "withdrawals_minor", -1, "withdrawals", +1),
        # Bonus money (the bonuses context's kinds): measured on the bonus wallets alone,
        # since a conversion moves bonus to cash and nets to zero over all wallets.
        "bonus.grant": Rule(_ACCOUNT, GRANTED, +1, wallets=BONUS_WALLETS),
        "bonus.conversion": Rule(_ACCOUNT, CONVERTED, -1, wallets=BONUS_WALLETS),
        "bonus.forfeit": Rule(_ACCOUNT, "bonus_forfeited_minor", -1, wallets=BONUS_WALLETS),
        # Money the house pays as cash for a promotion counts as bonus money that left as
        # cash (the "converted" bonus cost): free-spin winnings paid as cash, loyalty points
        # redeemed for cash (the points' own entries are not money), a cashback paid as
        # cash; a cashback paid as bonus money is a grant.
        "bonus.free_round_win": Rule(_ACCOUNT, CONVERTED, +1, wallets=_CASH),
        "loyalty.redemption": Rule(_ACCOUNT, CONVERTED, +1, wallets=_CASH),
        "bonus.cashback": Rule(_ACCOUNT, GRANTED, +1, wallets=BONUS_WALLETS, cash_figure=CONVERTED),
    }
)

# The ledger kinds that are deliberately not reporting facts, and why: every kind the
# platform posts is in RULES or here (tests/domain/reporting/test_kinds.py holds them to it).
UNREPORTED: Final = MappingProxyType(
    {
        "adjustment": "staff corrections and test funding, not player activity",
        "loyalty.earn": "loyalty points are not money (the points wallet only)",
    }
)

# The figures reconciliation proves against the ledger (active players, registrations and
# first-time depositors are not ledger sums: the acceptance test checks them per cell).
LEDGER_FIGURES: Final = tuple(
    sorted(
        {r.figure for r in RULES.values()}
        | {r.count_figure for r in RULES.values() if r.count_figure}
        | {r.cash_figure for r in RULES.values() if r.cash_figure}
    )
)
