"""the person across brands and self-exclusions that end by their jurisdiction's pack

Revision ID: 0018_jurisdiction
Revises: 0017_feedhttp
Create Date: 2026-12-07 05:00:00

- `persons` and `person_links`: one human's players across the operator's brands, linked by
  the rule in domain/compliance/identity.py (same e-mail and date of birth). Existing
  players are linked by the same rule here: one person per (lower e-mail, date of birth),
  one each for players without an e-mail.
- `self_exclusions`: one row per exclusion of a person, with its end and what happens then
  (the pack's `at_end`). Exclusions taken before this revision live only in players.status
  and the audit log: they stay in force, with no end (nobody may lift them).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0018_jurisdiction"
down_revision: str | Sequence[str] | None = "0017_feedhttp"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The match key is domain.compliance.identity.match_key's: sha256 of "email|dob".
BACKFILL = (
    """
CREATE TEMPORARY TABLE person_backfill ON COMMIT DROP AS
SELECT p.id AS player_id, p.brand,
       CASE WHEN p.email IS NULL THEN NULL
            ELSE encode(sha256(convert_to(p.email || '|' || p.date_of_birth::text, 'UTF8')), 'hex')
       END AS match_key
  FROM players p""",
    """CREATE TEMPORARY TABLE person_keys ON COMMIT DROP AS
SELECT match_key, gen_random_uuid() AS person_id
  FROM person_backfill WHERE match_key IS NOT NULL GROUP BY match_key""",
    "INSERT INTO persons (id) SELECT person_id FROM person_keys",
    """INSERT INTO person_links (player_id, person_id, brand, rule, match_key)
SELECT b.player_id, k.person_id, b.brand, 'email_dob', b.match_key
  FROM person_backfill b JOIN person_keys k USING (match_key)""",
    """WITH lone AS (
    SELECT player_id, brand, gen_random_uuid() AS person_id
      FROM person_backfill WHERE match_key IS NULL
), made AS (
    INSERT INTO persons (id) SELECT person_id FROM lone
)
INSERT INTO person_links (player_id, person_id, brand, rule, match_key)
SELECT player_id, person_id, brand, 'new', NULL FROM lone""",
)


def upgrade() -> None:
    op.create_table(
        "persons",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_persons")),
    )  # fmt: skip
    op.create_table(
        "person_links",
        sa.Column("player_id", sa.UUID(), nullable=False),
        sa.Column("person_id", sa.UUID(), nullable=False),
        sa.Column("brand", sa.Text(), nullable=False),
        sa.Column("rule", sa.Text(), nullable=False),
        sa.Column("match_key", sa.Text(), nullable=True),
        sa.Column(
            "linked_at", sa.DateTime(timezone=True), server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(["brand"], ["brands.slug"], name=op.f("fk_person_links_brand_brands")),
        sa.ForeignKeyConstraint(
            ["person_id"], ["persons.id"], name=op.f("fk_person_links_person_id_persons")
        ),
        sa.ForeignKeyConstraint(
            ["player_id"], ["players.id"], name=op.f("fk_person_links_player_id_players")
        ),
        sa.PrimaryKeyConstraint("player_id", name=op.f("pk_person_links")),
    )  # fmt: skip
    op.create_index(op.f("ix_person_links_person_id"), "person_links", ["person_id"])
    op.create_index(op.f("ix_person_links_match_key"), "person_links", ["match_key"])
    op.create_table(
        "self_exclusions",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("person_id", sa.UUID(), nullable=False),
        sa.Column("player_id", sa.UUID(), nullable=False),
        sa.Column("brand", sa.Text(), nullable=False),
        sa.Column("jurisdiction", sa.Text(), nullable=False),
        sa.Column("period", sa.Text(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("at_end", sa.Text(), nullable=False),
        sa.Column("end_requested_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("lifts_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("lifted_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("at_end IN ('at_date', 'on_request')", name=op.f("ck_self_exclusions_at_end")),
        sa.ForeignKeyConstraint(
            ["brand"], ["brands.slug"], name=op.f("fk_self_exclusions_brand_brands")
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["persons.id"], name=op.f("fk_self_exclusions_person_id_persons")
        ),
        sa.ForeignKeyConstraint(
            ["player_id"], ["players.id"], name=op.f("fk_self_exclusions_player_id_players")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_self_exclusions")),
    )  # fmt: skip
    op.create_index(op.f("ix_self_exclusions_person_id"), "self_exclusions", ["person_id"])
    op.create_index(
        "ix_self_exclusions_person_open", "self_exclusions", ["person_id"],
        postgresql_where=sa.text("lifted_at IS NULL"),
    )  # fmt: skip
    for statement in BACKFILL:
        op.execute(statement)


def downgrade() -> None:
    op.drop_table("self_exclusions")
    op.drop_table("person_links")
    op.drop_table("persons")
