"""Operator brands: one deployment, several brands, each a `themes/<slug>/theme.toml`."""
