"""originals: the in-house studio's sessions, provably-fair seeds and rounds

Revision ID: 0006
Revises: 0004
Create Date: 2026-11-26 10:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0006"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "originals_sessions",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("key_hash", sa.LargeBinary(), nullable=False),
        sa.Column("brand", sa.Text(), nullable=False),
        sa.Column("mode", sa.Text(), nullable=False),
        sa.Column("game_code", sa.Text(), nullable=False),
        sa.Column("currency", sa.Text(), nullable=False),
        sa.Column("owner", sa.Text(), nullable=False),
        sa.Column("user_ref", sa.Text(), nullable=True),
        sa.Column("operator_token", sa.Text(), nullable=True),
        sa.Column("demo_balance_minor", sa.BigInteger(), nullable=True),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint("mode IN ('real', 'demo')", name=op.f("ck_originals_sessions_mode")),
        sa.CheckConstraint(
            "(mode = 'real' AND user_ref IS NOT NULL AND operator_token IS NOT NULL"
            " AND demo_balance_minor IS NULL)"
            " OR (mode = 'demo' AND operator_token IS NULL AND demo_balance_minor >= 0)",
            name=op.f("ck_originals_sessions_mode_fields"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_originals_sessions")),
        sa.UniqueConstraint("key_hash", name=op.f("uq_originals_sessions_key_hash")),
    )
    op.create_table(
        "originals_seeds",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("owner", sa.Text(), nullable=False),
        sa.Column("server_seed", sa.Text(), nullable=False),
        sa.Column("server_seed_hash", sa.Text(), nullable=False),
        sa.Column("client_seed", sa.Text(), nullable=False),
        sa.Column("next_nonce", sa.Integer(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("revealed_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("next_nonce >= 0", name=op.f("ck_originals_seeds_nonce")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_originals_seeds")),
    )
    op.create_index(
        "uq_originals_seeds_active_owner",
        "originals_seeds",
        ["owner"],
        unique=True,
        postgresql_where=sa.text("revealed_at IS NULL"),
    )
    op.create_table(
        "originals_rounds",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("round_ref", sa.Text(), nullable=False),
        sa.Column("session_id", sa.UUID(), nullable=False),
        sa.Column("owner", sa.Text(), nullable=False),
        sa.Column("game_code", sa.Text(), nullable=False),
        sa.Column("mode", sa.Text(), nullable=False),
        sa.Column("currency", sa.Text(), nullable=False),
        sa.Column("stake_minor", sa.BigInteger(), nullable=False),
        sa.Column("payout_minor", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("outcome", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("seed_id", sa.BigInteger(), nullable=True),
        sa.Column("nonce", sa.Integer(), nullable=True),
        sa.Column("balance_after_minor", sa.BigInteger(), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("settled_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "stake_minor > 0 AND payout_minor >= 0", name=op.f("ck_originals_rounds_amounts")
        ),
        sa.CheckConstraint(
            "status IN ('pending', 'open', 'settled', 'refused', 'rolled_back')",
            name=op.f("ck_originals_rounds_status"),
        ),
        sa.ForeignKeyConstraint(
            ["seed_id"],
            ["originals_seeds.id"],
            name=op.f("fk_originals_rounds_seed_id_originals_seeds"),
        ),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["originals_sessions.id"],
            name=op.f("fk_originals_rounds_session_id_originals_sessions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_originals_rounds")),
        sa.UniqueConstraint("round_ref", name=op.f("uq_originals_rounds_round_ref")),
    )
    op.create_index(
        "ix_originals_rounds_owner_id", "originals_rounds", ["owner", "id"], unique=False
    )
    op.create_index(
        "ix_originals_rounds_session_id_status",
        "originals_rounds",
        ["session_id", "status"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_originals_rounds_session_id_status", table_name="originals_rounds")
    op.drop_index("ix_originals_rounds_owner_id", table_name="originals_rounds")
    op.drop_table("originals_rounds")
    op.drop_index(
        "uq_originals_seeds_active_owner",
        table_name="originals_seeds",
        postgresql_where=sa.text("revealed_at IS NULL"),
    )
    op.drop_table("originals_seeds")
    op.drop_table("originals_sessions")
