"""The sportsbook: sports, competitions, events, markets and outcomes (fed by an odds feed),
bets placed on them (singles, multiples, systems, each-way), and their settlement.

Money moves only through `domain.wallets`: the stake through `stakehouse_stake` (inside
the placement function), payouts and reversals through `domain.wallets.settlement`.
"""
