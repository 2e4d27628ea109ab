"""Segments: groups of players by rules or lists, kept from events; marketing consent; and
campaigns that message a segment's consenting, unprotected members."""
