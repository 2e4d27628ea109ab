"""Stakehouse Originals: the in-house game studio's own state and game math.

The studio is run by the platform but plays by the rules of any outside studio: it moves
players' money only through the seamless-wallet API over HTTP (see `web/originals`), never
through `domain.wallets` or `domain.casino`. This package holds the pure game math
(`slot`, `dice`) and the studio's own tables (`models`, `store`: sessions, server seeds,
rounds, demo balances).
"""
