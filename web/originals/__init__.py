"""Stakehouse Originals, the in-house studio's game server (see `routes`)."""

from web.originals.routes import originals_routes

__all__ = ["originals_routes"]
