"""bonusfin: abuse flags for risk staff, reload offers

Revision ID: 0035_bonusfin
Revises: 0027_aml_registers
Create Date: 2026-12-07 18:00:00

- `bonus_abuse_flags`: a pattern the bonus engine saw (accounts sharing a network address
  claiming one offer; low-risk wagering of bonus money: both sides of a
  market, very low odds; stakes refused over the max bet), once per subject (`dedup_key`),
  append-only, listed to risk staff by brand;
- `bonus_offers.kind` also accepts `reload` (a deposit match for existing players,
  repeatable once per period);
- `auth_sessions`: indexes on (player_id, ip_address) and ip_address, for the claim check
  that looks for other holders of an offer who signed in from the player's addresses.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0035_bonusfin"
down_revision: str | Sequence[str] | None = "0034_bofin"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_KINDS_BEFORE = "kind IN ('deposit_match', 'sign_up', 'cashback', 'free_spins', 'free_bet')"
_KINDS = "kind IN ('deposit_match', 'sign_up', 'cashback', 'free_spins', 'free_bet', 'reload')"
_FLAG_KINDS = "kind IN ('shared_address', 'opposite_bets', 'low_odds', 'max_bet_refused')"


def upgrade() -> None:
    op.drop_constraint(op.f("ck_bonus_offers_kind"), "bonus_offers", type_="check")
    op.create_check_constraint(op.f("ck_bonus_offers_kind"), "bonus_offers", _KINDS)
    op.create_table(
        "bonus_abuse_flags",
        sa.Column("id", postgresql.UUID(), nullable=False),
        sa.Column("brand", sa.Text(), nullable=False),
        sa.Column("player_id", postgresql.UUID(), nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("dedup_key", sa.Text(), nullable=False),
        sa.Column("offer_id", postgresql.UUID(), nullable=True),
        sa.Column("grant_id", postgresql.UUID(), nullable=True),
        sa.Column(
            "related_player_ids",
            postgresql.ARRAY(postgresql.UUID()),
            server_default=sa.text("'{}'"),
            nullable=False,
        ),
        sa.Column("details", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(_FLAG_KINDS, name=op.f("ck_bonus_abuse_flags_kind")),
        sa.ForeignKeyConstraint(
            ["brand"], ["brands.slug"], name=op.f("fk_bonus_abuse_flags_brand_brands")
        ),
        sa.ForeignKeyConstraint(
            ["player_id"], ["players.id"], name=op.f("fk_bonus_abuse_flags_player_id_players")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bonus_abuse_flags")),
        sa.UniqueConstraint(
            "brand", "kind", "dedup_key", name=op.f("uq_bonus_abuse_flags_brand_kind_dedup_key")
        ),
    )
    op.create_index(
        "ix_bonus_abuse_flags_brand_created", "bonus_abuse_flags", ["brand", "created_at"]
    )
    op.create_index(
        "ix_auth_sessions_player_id_ip_address", "auth_sessions", ["player_id", "ip_address"]
    )
    op.create_index(
        "ix_auth_sessions_ip_address",
        "auth_sessions",
        ["ip_address"],
        postgresql_where=sa.text("ip_address IS NOT NULL"),
    )


def downgrade() -> None:
    op.drop_index("ix_auth_sessions_ip_address", table_name="auth_sessions")
    op.drop_index("ix_auth_sessions_player_id_ip_address", table_name="auth_sessions")
    op.drop_index("ix_bonus_abuse_flags_brand_created", table_name="bonus_abuse_flags")
    op.drop_table("bonus_abuse_flags")
    # Refused while reload offers exist: a downgrade does not delete offers.
    op.drop_constraint(op.f("ck_bonus_offers_kind"), "bonus_offers", type_="check")
    op.create_check_constraint(op.f("ck_bonus_offers_kind"), "bonus_offers", _KINDS_BEFORE)
