"""The ASGI app (GraphQL, site, provider callbacks, operations endpoints) and the CLI."""
