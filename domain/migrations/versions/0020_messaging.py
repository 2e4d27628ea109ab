"""e-mail delivery, account recovery and the inbox: email_messages, account_tokens,
players.email_verified_at, inbox_messages.deleted_at

Revision ID: 0020_messaging
Revises: 0019_reporting
Create Date: 2026-12-07 04:40:00

- `email_messages`: each e-mail and its delivery status (queued, sent, failed, bounced).
- `account_tokens`: single-use verification and reset tokens, only their SHA-256 stored.
- `players.email_verified_at`: set when the verification link is followed. Existing players
  stay unverified: nothing proved their addresses.
- `inbox_messages.deleted_at`: a message the player deleted (kept for the record).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0020_messaging"
down_revision: str | Sequence[str] | None = "0019_reporting"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "inbox_messages", sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True)
    )
    op.add_column(
        "players", sa.Column("email_verified_at", sa.DateTime(timezone=True), nullable=True)
    )
    op.create_table(
        "account_tokens",
        sa.Column("id", postgresql.UUID(), nullable=False),
        sa.Column("token_hash", sa.LargeBinary(), nullable=False),
        sa.Column("player_id", postgresql.UUID(), nullable=False),
        sa.Column("purpose", sa.Text(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "purpose IN ('verify_email', 'reset_password')", name=op.f("ck_account_tokens_purpose")
        ),
        sa.ForeignKeyConstraint(
            ["player_id"], ["players.id"], name=op.f("fk_account_tokens_player_id_players")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_account_tokens")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_account_tokens_token_hash")),
    )
    op.create_index("ix_account_tokens_player_purpose", "account_tokens", ["player_id", "purpose"])
    op.create_table(
        "email_messages",
        sa.Column("id", postgresql.UUID(), nullable=False),
        sa.Column("brand", sa.Text(), nullable=False),
        sa.Column("player_id", postgresql.UUID(), nullable=True),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("recipient", sa.Text(), nullable=False),
        sa.Column("locale", sa.Text(), nullable=False),
        sa.Column("parameters", postgresql.JSONB(), nullable=False),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("attempts", sa.SmallInteger(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("subject", sa.Text(), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("bounced_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("bounce_reason", sa.Text(), nullable=True),
        sa.CheckConstraint(
            "status IN ('queued', 'sent', 'failed', 'bounced')",
            name=op.f("ck_email_messages_status"),
        ),
        sa.ForeignKeyConstraint(
            ["brand"], ["brands.slug"], name=op.f("fk_email_messages_brand_brands")
        ),
        sa.ForeignKeyConstraint(
            ["player_id"], ["players.id"], name=op.f("fk_email_messages_player_id_players")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_email_messages")),
    )
    op.create_index(
        "ix_email_messages_player_created", "email_messages", ["player_id", "created_at"]
    )


def downgrade() -> None:
    op.drop_index("ix_email_messages_player_created", table_name="email_messages")
    op.drop_table("email_messages")
    op.drop_index("ix_account_tokens_player_purpose", table_name="account_tokens")
    op.drop_table("account_tokens")
    op.drop_column("players", "email_verified_at")
    op.drop_column("inbox_messages", "deleted_at")
