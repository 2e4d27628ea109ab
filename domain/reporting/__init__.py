"""Reporting: a read model of daily results per brand, product, game or market and
currency, kept from committed ledger events (never by rescanning the ledger), reconciled
against the ledger and queried by staff with `report.read`."""
