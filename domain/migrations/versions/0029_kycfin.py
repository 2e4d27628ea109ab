"""kycfin: the person linked by document and verified identity, duplicate-account flags,
device sightings

Revision ID: 0029_kycfin
Revises: 0027_aml_registers
Create Date: 2026-12-07 18:00:00

- `kyc_checks.document_digest`: a digest of the approved document's type and number (never
  the number itself): the same document on two players links their person across brands
  and flags a duplicate within one brand;
- `kyc_checks.identity_digest`: a digest of the name, date of birth and address the
  provider verified at approval: the same verified identity links persons across brands;
- `player_profiles.identity_digest`: a digest of the self-declared name, date of birth and
  address: it only flags possible duplicates within a brand, never links;
- `device_sightings`: the device ids the fingerprinting provider gave for a player, with
  its risk signals;
- `duplicate_flags`: possible duplicate accounts within a brand (same document, same name,
  date of birth and address, same device), for risk staff to review.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0029_kycfin"
down_revision: str | Sequence[str] | None = "0028_sitefin"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("kyc_checks", sa.Column("document_digest", sa.Text(), nullable=True))
    op.create_index(
        "ix_kyc_checks_document_digest",
        "kyc_checks",
        ["document_digest"],
        postgresql_where=sa.text("document_digest IS NOT NULL"),
    )
    op.add_column("kyc_checks", sa.Column("identity_digest", sa.Text(), nullable=True))
    op.create_index(
        "ix_kyc_checks_identity_digest",
        "kyc_checks",
        ["identity_digest"],
        postgresql_where=sa.text("identity_digest IS NOT NULL"),
    )
    op.add_column("player_profiles", sa.Column("identity_digest", sa.Text(), nullable=True))
    op.create_index(
        "ix_player_profiles_identity_digest",
        "player_profiles",
        ["identity_digest"],
        postgresql_where=sa.text("identity_digest IS NOT NULL"),
    )
    op.create_table(
        "device_sightings",
        sa.Column("player_id", sa.UUID(), nullable=False),
        sa.Column("device_id", sa.Text(), nullable=False),
        sa.Column("brand", sa.Text(), nullable=False),
        sa.Column("risk_signals", postgresql.ARRAY(sa.Text()), nullable=False),
        sa.Column(
            "first_seen_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "last_seen_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["player_id"], ["players.id"], name=op.f("fk_device_sightings_player_id_players")
        ),
        sa.ForeignKeyConstraint(
            ["brand"], ["brands.slug"], name=op.f("fk_device_sightings_brand_brands")
        ),
        sa.PrimaryKeyConstraint("player_id", "device_id", name=op.f("pk_device_sightings")),
    )
    op.create_index("ix_device_sightings_device", "device_sightings", ["brand", "device_id"])
    op.create_table(
        "duplicate_flags",
        sa.Column("id", sa.BigInteger(), sa.Identity(), nullable=False),
        sa.Column("brand", sa.Text(), nullable=False),
        sa.Column("player_id", sa.UUID(), nullable=False),
        sa.Column("other_player_id", sa.UUID(), nullable=False),
        sa.Column("rule", sa.Text(), nullable=False),
        sa.Column(
            "flagged_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "rule IN ('document', 'name_dob_address', 'device')",
            name=op.f("ck_duplicate_flags_rule"),
        ),
        sa.CheckConstraint("player_id <> other_player_id", name=op.f("ck_duplicate_flags_pair")),
        sa.ForeignKeyConstraint(
            ["player_id"], ["players.id"], name=op.f("fk_duplicate_flags_player_id_players")
        ),
        sa.ForeignKeyConstraint(
            ["other_player_id"],
            ["players.id"],
            name=op.f("fk_duplicate_flags_other_player_id_players"),
        ),
        sa.ForeignKeyConstraint(
            ["brand"], ["brands.slug"], name=op.f("fk_duplicate_flags_brand_brands")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_duplicate_flags")),
        sa.UniqueConstraint(
            "player_id",
            "other_player_id",
            "rule",
            name=op.f("uq_duplicate_flags_player_id_other_player_id_rule"),
        ),
    )
    op.create_index("ix_duplicate_flags_brand", "duplicate_flags", ["brand", "flagged_at"])


def downgrade() -> None:
    op.drop_index("ix_duplicate_flags_brand", table_name="duplicate_flags")
    op.drop_table("duplicate_flags")
    op.drop_index("ix_device_sightings_device", table_name="device_sightings")
    op.drop_table("device_sightings")
    op.drop_index("ix_player_profiles_identity_digest", table_name="player_profiles")
    op.drop_column("player_profiles", "identity_digest")
    op.drop_index("ix_kyc_checks_identity_digest", table_name="kyc_checks")
    op.drop_column("kyc_checks", "identity_digest")
    op.drop_index("ix_kyc_checks_document_digest", table_name="kyc_checks")
    op.drop_column("kyc_checks", "document_digest")
