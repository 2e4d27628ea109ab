"""Bonuses: offers made by CRM staff, grants that snapshot their terms, wagering counted
inside the stake's transaction, conversion, forfeit, expiry and cashback. Bonus money
moves only through the ledger (domain/wallets)."""
