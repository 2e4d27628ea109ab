"""Shared kernel: settings, database and unit of work, errors, ids, clock, outbox, audit."""
