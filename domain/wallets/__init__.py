"""The ledger: double-entry accounts, transactions and entries in integer minor units.

Only this package writes ledger tables. Every money movement is one balanced transaction
under an idempotency key, posted by one SQL function call (one round trip).
"""
