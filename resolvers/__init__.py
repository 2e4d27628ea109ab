"""Glue between the schema and the domain: request context, permissions, resolver functions
that open a unit of work, call domain services and hand typed results back to the schema."""
