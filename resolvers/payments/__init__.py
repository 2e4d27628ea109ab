"""Payments glue: deposits, withdrawals and the finance review queue."""
