"""Resolvers of the messaging context (the inbox)."""
