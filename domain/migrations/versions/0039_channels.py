"""channels: SMS campaigns, support presence

Revision ID: 0039_channels
Revises: 0038_crmport
Create Date: 2026-12-07 21:30:00

- `sms_messages`: `kind`, `locale` and `parameters` for a text rendered from the brand's
  templates at send time (a campaign), so `body` is empty until then;
- `campaign_recipients.outcome` also accepts `suppressed_unreachable` (no e-mail address,
  no verified phone);
- `support_presence`: a lease per player renewed by each live support-chat connection, so
  support's reply to a player who is away also goes by e-mail;
- `account_tokens.purpose` also accepts `verify_phone` (a code sent by text message).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0039_channels"
down_revision: str | Sequence[str] | None = "0038_crmport"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_PURPOSES_BEFORE = "purpose IN ('verify_email', 'reset_password')"
_PURPOSES = "purpose IN ('verify_email', 'reset_password', 'verify_phone')"
_OUTCOMES_BEFORE = (
    "outcome IN ('pending', 'sent', 'failed', 'suppressed_consent', 'suppressed_protected')"
)
_OUTCOMES = (
    "outcome IN ('pending', 'sent', 'failed', 'suppressed_consent', 'suppressed_protected', "
    "'suppressed_unreachable')"
)


def upgrade() -> None:
    op.drop_constraint(op.f("ck_account_tokens_purpose"), "account_tokens", type_="check")
    op.create_check_constraint(op.f("ck_account_tokens_purpose"), "account_tokens", _PURPOSES)
    op.add_column("sms_messages", sa.Column("kind", sa.Text(), nullable=True))
    op.add_column("sms_messages", sa.Column("locale", sa.Text(), nullable=True))
    op.add_column(
        "sms_messages",
        sa.Column("parameters", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
    )
    op.alter_column("sms_messages", "body", existing_type=sa.Text(), nullable=True)
    op.create_check_constraint(
        op.f("ck_sms_messages_body_or_kind"), "sms_messages", "body IS NOT NULL OR kind IS NOT NULL"
    )
    op.drop_constraint(op.f("ck_campaign_recipients_outcome"), "campaign_recipients", type_="check")
    op.create_check_constraint(
        op.f("ck_campaign_recipients_outcome"), "campaign_recipients", _OUTCOMES
    )
    op.create_table(
        "support_presence",
        sa.Column("player_id", postgresql.UUID(), nullable=False),
        sa.Column("brand", sa.Text(), nullable=False),
        sa.Column("present_until", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["brand"], ["brands.slug"], name=op.f("fk_support_presence_brand_brands")
        ),
        sa.ForeignKeyConstraint(
            ["player_id"], ["players.id"], name=op.f("fk_support_presence_player_id_players")
        ),
        sa.PrimaryKeyConstraint("player_id", name=op.f("pk_support_presence")),
    )


def downgrade() -> None:
    op.drop_table("support_presence")
    # Refused while unreachable recipients exist: a downgrade does not rewrite history.
    op.drop_constraint(op.f("ck_campaign_recipients_outcome"), "campaign_recipients", type_="check")
    op.create_check_constraint(
        op.f("ck_campaign_recipients_outcome"), "campaign_recipients", _OUTCOMES_BEFORE
    )
    op.drop_constraint(op.f("ck_sms_messages_body_or_kind"), "sms_messages", type_="check")
    # Refused while a templated message was never rendered.
    op.alter_column("sms_messages", "body", existing_type=sa.Text(), nullable=False)
    op.drop_column("sms_messages", "parameters")
    op.drop_column("sms_messages", "locale")
    op.drop_column("sms_messages", "kind")
    op.execute("DELETE FROM account_tokens WHERE purpose = 'verify_phone'")
    op.drop_constraint(op.f("ck_account_tokens_purpose"), "account_tokens", type_="check")
    op.create_check_constraint(
        op.f("ck_account_tokens_purpose"), "account_tokens", _PURPOSES_BEFORE
    )
