"""engage: connected login (OpenID Connect) attempts and the identities linked to players; SMS messages

Revision ID: 0033_engage
Revises: 0027_aml_registers
Create Date: 2026-12-07 17:45:00

- `connected_login_attempts`: one sign-in through a provider (hashed state claimed once,
  nonce, PKCE verifier), then the verified identity behind a single-use ticket;
- `player_identities`: a player's account at a provider (issuer, subject), one per
  provider and player, one player per identity and brand;
- `sms_messages`: one text message, its attempts and its delivery status;
- `support_conversations` and `support_messages`: support chats per player and brand and
  their transcripts (messages append-only).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0033_engage"
down_revision: str | Sequence[str] | None = "0032_segments"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _now() -> sa.TextClause:
    return sa.text("now()")


def upgrade() -> None:
    op.create_table(
        "connected_login_attempts",
        sa.Column("id", postgresql.UUID(), nullable=False),
        sa.Column("brand", sa.Text(), nullable=False),
        sa.Column("state_hash", sa.LargeBinary(), nullable=False),
        sa.Column("nonce", sa.Text(), nullable=False),
        sa.Column("code_verifier", sa.Text(), nullable=False),
        sa.Column("redirect_uri", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=_now(), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("issuer", sa.Text(), nullable=True),
        sa.Column("subject", sa.Text(), nullable=True),
        sa.Column("email", sa.Text(), nullable=True),
        sa.Column("ticket_hash", sa.LargeBinary(), nullable=True),
        sa.Column("ticket_used_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["brand"], ["brands.slug"], name=op.f("fk_connected_login_attempts_brand_brands")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_connected_login_attempts")),
        sa.UniqueConstraint("state_hash", name=op.f("uq_connected_login_attempts_state_hash")),
        sa.UniqueConstraint("ticket_hash", name=op.f("uq_connected_login_attempts_ticket_hash")),
    )
    op.create_table(
        "player_identities",
        sa.Column("id", postgresql.UUID(), nullable=False),
        sa.Column("brand", sa.Text(), nullable=False),
        sa.Column("player_id", postgresql.UUID(), nullable=False),
        sa.Column("issuer", sa.Text(), nullable=False),
        sa.Column("subject", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=_now(), nullable=False),
        sa.ForeignKeyConstraint(
            ["brand"], ["brands.slug"], name=op.f("fk_player_identities_brand_brands")
        ),
        sa.ForeignKeyConstraint(
            ["player_id"], ["players.id"], name=op.f("fk_player_identities_player_id_players")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_player_identities")),
        sa.UniqueConstraint(
            "brand", "issuer", "subject", name=op.f("uq_player_identities_brand_issuer_subject")
        ),
        sa.UniqueConstraint(
            "player_id", "issuer", name=op.f("uq_player_identities_player_id_issuer")
        ),
    )

    op.create_table(
        "sms_messages",
        sa.Column("id", postgresql.UUID(), nullable=False),
        sa.Column("brand", sa.Text(), nullable=False),
        sa.Column("player_id", postgresql.UUID(), nullable=True),
        sa.Column("recipient", sa.Text(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("attempts", sa.SmallInteger(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("provider_id", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=_now(), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("status_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "status IN ('queued', 'sent', 'delivered', 'failed')",
            name=op.f("ck_sms_messages_status"),
        ),
        sa.ForeignKeyConstraint(
            ["brand"], ["brands.slug"], name=op.f("fk_sms_messages_brand_brands")
        ),
        sa.ForeignKeyConstraint(
            ["player_id"], ["players.id"], name=op.f("fk_sms_messages_player_id_players")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sms_messages")),
        sa.UniqueConstraint("provider_id", name=op.f("uq_sms_messages_provider_id")),
    )
    op.create_index("ix_sms_messages_player_created", "sms_messages", ["player_id", "created_at"])

    op.create_table(
        "support_conversations",
        sa.Column("id", postgresql.UUID(), nullable=False),
        sa.Column("brand", sa.Text(), nullable=False),
        sa.Column("player_id", postgresql.UUID(), nullable=False),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("agent_id", postgresql.UUID(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=_now(), nullable=False),
        sa.Column(
            "last_message_at", sa.DateTime(timezone=True), server_default=_now(), nullable=False
        ),
        sa.CheckConstraint(
            "status IN ('waiting', 'taken', 'closed')",
            name=op.f("ck_support_conversations_status"),
        ),
        sa.ForeignKeyConstraint(
            ["brand"], ["brands.slug"], name=op.f("fk_support_conversations_brand_brands")
        ),
        sa.ForeignKeyConstraint(
            ["player_id"], ["players.id"], name=op.f("fk_support_conversations_player_id_players")
        ),
        sa.ForeignKeyConstraint(
            ["agent_id"],
            ["staff_users.id"],
            name=op.f("fk_support_conversations_agent_id_staff_users"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_support_conversations")),
    )
    op.create_index(
        "ix_support_conversations_brand_status",
        "support_conversations",
        ["brand", "status", "last_message_at"],
    )
    op.create_index(
        "ix_support_conversations_player_created",
        "support_conversations",
        ["player_id", "created_at"],
    )
    op.create_table(
        "support_messages",
        sa.Column("id", postgresql.UUID(), nullable=False),
        sa.Column("conversation_id", postgresql.UUID(), nullable=False),
        sa.Column("brand", sa.Text(), nullable=False),
        sa.Column("author_kind", sa.Text(), nullable=False),
        sa.Column("author_id", postgresql.UUID(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=_now(), nullable=False),
        sa.CheckConstraint(
            "author_kind IN ('player', 'staff')", name=op.f("ck_support_messages_author_kind")
        ),
        sa.ForeignKeyConstraint(
            ["brand"], ["brands.slug"], name=op.f("fk_support_messages_brand_brands")
        ),
        sa.ForeignKeyConstraint(
            ["conversation_id"],
            ["support_conversations.id"],
            name=op.f("fk_support_messages_conversation_id_support_conversations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_support_messages")),
    )
    op.create_index(
        "ix_support_messages_conversation_created",
        "support_messages",
        ["conversation_id", "created_at"],
    )


def downgrade() -> None:
    op.drop_table("support_messages")
    op.drop_table("support_conversations")
    op.drop_table("sms_messages")
    op.drop_table("player_identities")
    op.drop_table("connected_login_attempts")
