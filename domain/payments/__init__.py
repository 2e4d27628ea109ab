"""Payments: deposits and withdrawals through a PSP, moving money only through the ledger."""
