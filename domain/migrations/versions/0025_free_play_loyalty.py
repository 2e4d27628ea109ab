"""bonusplay: free rounds (free spins) granted at the game provider

Revision ID: 0025_free_play_loyalty
Revises: 0024_outcome_positions
Create Date: 2026-12-07 14:30:00

- `bonus_offers.kind` accepts `free_spins`;
- `bonus_free_rounds`: free rounds a player holds at a provider, with the offer's terms as
  granted, the rounds used and what they won (the reward id is the row's id);
- `casino_transactions.reward_uuid`: the reward id of a free round's bet (no money staked);
- `originals_free_rounds`: the Originals studio's side of the free-rounds API;
- `bonus_offers.kind` also accepts `free_bet`; `bonus_free_bets`: free bets a player holds,
  with the terms as granted and the bet that staked each;
- loyalty: `loyalty_programmes` (a brand's rates, tiers and redemption rate),
  `loyalty_earnings` (one row per stake that earned points, append-only), `loyalty_statuses`
  (each player's tier over the rolling window).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0025_free_play_loyalty"
down_revision: str | Sequence[str] | None = "0024_outcome_positions"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_KINDS_BEFORE = "kind IN ('deposit_match', 'sign_up', 'cashback')"
_KINDS = "kind IN ('deposit_match', 'sign_up', 'cashback', 'free_spins', 'free_bet')"


def upgrade() -> None:
    op.drop_constraint(op.f("ck_bonus_offers_kind"), "bonus_offers", type_="check")
    op.create_check_constraint(op.f("ck_bonus_offers_kind"), "bonus_offers", _KINDS)
    op.add_column("casino_transactions", sa.Column("reward_uuid", sa.Text(), nullable=True))
    op.create_table(
        "bonus_free_rounds",
        sa.Column("id", postgresql.UUID(), nullable=False),
        sa.Column("brand", sa.Text(), nullable=False),
        sa.Column("player_id", postgresql.UUID(), nullable=False),
        sa.Column("offer_id", postgresql.UUID(), nullable=False),
        sa.Column("offer_version", sa.Integer(), nullable=False),
        sa.Column("claim_key", sa.Text(), nullable=False),
        sa.Column("provider", sa.Text(), nullable=False),
        sa.Column("games", postgresql.ARRAY(sa.Text()), nullable=False),
        sa.Column("currency", sa.Text(), nullable=False),
        sa.Column("state", sa.Text(), nullable=False),
        sa.Column("terms", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("rounds", sa.Integer(), nullable=False),
        sa.Column("stake_minor", sa.BigInteger(), nullable=False),
        sa.Column("rounds_used", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("won_minor", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column("winnings_wallet", sa.Text(), nullable=False),
        sa.Column("grant_id", postgresql.UUID(), nullable=True),
        sa.Column("provider_status", sa.Text(), nullable=True),
        sa.Column("synced_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("granted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("end_reason", sa.Text(), nullable=True),
        sa.CheckConstraint(
            "state IN ('pending', 'active', 'completed', 'cancelled', 'expired')",
            name=op.f("ck_bonus_free_rounds_state"),
        ),
        sa.CheckConstraint(
            "rounds > 0 AND stake_minor > 0 AND rounds_used BETWEEN 0 AND rounds "
            "AND won_minor >= 0",
            name=op.f("ck_bonus_free_rounds_rounds"),
        ),
        sa.CheckConstraint(
            "winnings_wallet IN ('cash', 'bonus')",
            name=op.f("ck_bonus_free_rounds_winnings_wallet"),
        ),
        sa.ForeignKeyConstraint(
            ["brand"], ["brands.slug"], name=op.f("fk_bonus_free_rounds_brand_brands")
        ),
        sa.ForeignKeyConstraint(
            ["grant_id"],
            ["bonus_grants.id"],
            name=op.f("fk_bonus_free_rounds_grant_id_bonus_grants"),
        ),
        sa.ForeignKeyConstraint(
            ["offer_id"],
            ["bonus_offers.id"],
            name=op.f("fk_bonus_free_rounds_offer_id_bonus_offers"),
        ),
        sa.ForeignKeyConstraint(
            ["player_id"], ["players.id"], name=op.f("fk_bonus_free_rounds_player_id_players")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bonus_free_rounds")),
        sa.UniqueConstraint(
            "player_id", "claim_key", name=op.f("uq_bonus_free_rounds_player_id_claim_key")
        ),
    )
    op.create_index(
        "ix_bonus_free_rounds_open",
        "bonus_free_rounds",
        ["expires_at"],
        postgresql_where=sa.text("state IN ('pending', 'active')"),
    )
    op.create_index("ix_bonus_free_rounds_player", "bonus_free_rounds", ["player_id", "granted_at"])

    op.create_table(
        "originals_free_rounds",
        sa.Column("reward_id", sa.Text(), nullable=False),
        sa.Column("provider", sa.Text(), nullable=False),
        sa.Column("brand", sa.Text(), nullable=False),
        sa.Column("user_ref", sa.Text(), nullable=False),
        sa.Column("currency", sa.Text(), nullable=False),
        sa.Column("games", postgresql.ARRAY(sa.Text()), nullable=False),
        sa.Column("rounds", sa.Integer(), nullable=False),
        sa.Column("stake_minor", sa.BigInteger(), nullable=False),
        sa.Column("rounds_played", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "status IN ('active', 'completed', 'cancelled')",
            name=op.f("ck_originals_free_rounds_status"),
        ),
        sa.CheckConstraint(
            "rounds_played BETWEEN 0 AND rounds", name=op.f("ck_originals_free_rounds_rounds")
        ),
        sa.PrimaryKeyConstraint("reward_id", name=op.f("pk_originals_free_rounds")),
    )
    op.create_index("ix_originals_free_rounds_user", "originals_free_rounds", ["brand", "user_ref"])

    op.create_table(
        "bonus_free_bets",
        sa.Column("id", postgresql.UUID(), nullable=False),
        sa.Column("brand", sa.Text(), nullable=False),
        sa.Column("player_id", postgresql.UUID(), nullable=False),
        sa.Column("offer_id", postgresql.UUID(), nullable=False),
        sa.Column("offer_version", sa.Integer(), nullable=False),
        sa.Column("claim_key", sa.Text(), nullable=False),
        sa.Column("currency", sa.Text(), nullable=False),
        sa.Column("state", sa.Text(), nullable=False),
        sa.Column("terms", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
        sa.Column("bet_id", sa.BigInteger(), nullable=True),
        sa.Column("granted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("end_reason", sa.Text(), nullable=True),
        sa.CheckConstraint(
            "state IN ('active', 'used', 'settled', 'expired', 'cancelled')",
            name=op.f("ck_bonus_free_bets_state"),
        ),
        sa.CheckConstraint("amount_minor > 0", name=op.f("ck_bonus_free_bets_amount")),
        sa.ForeignKeyConstraint(
            ["brand"], ["brands.slug"], name=op.f("fk_bonus_free_bets_brand_brands")
        ),
        sa.ForeignKeyConstraint(
            ["offer_id"],
            ["bonus_offers.id"],
            name=op.f("fk_bonus_free_bets_offer_id_bonus_offers"),
        ),
        sa.ForeignKeyConstraint(
            ["player_id"], ["players.id"], name=op.f("fk_bonus_free_bets_player_id_players")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bonus_free_bets")),
        sa.UniqueConstraint(
            "player_id", "claim_key", name=op.f("uq_bonus_free_bets_player_id_claim_key")
        ),
    )
    op.create_index(
        "ix_bonus_free_bets_active",
        "bonus_free_bets",
        ["player_id", "currency", "expires_at"],
        postgresql_where=sa.text("state = 'active'"),
    )
    op.create_index(
        "ix_bonus_free_bets_bet",
        "bonus_free_bets",
        ["bet_id"],
        postgresql_where=sa.text("bet_id IS NOT NULL"),
    )

    op.create_table(
        "loyalty_programmes",
        sa.Column("brand", sa.Text(), nullable=False),
        sa.Column("config", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("version", sa.Integer(), server_default=sa.text("1"), nullable=False),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["brand"], ["brands.slug"], name=op.f("fk_loyalty_programmes_brand_brands")
        ),
        sa.PrimaryKeyConstraint("brand", name=op.f("pk_loyalty_programmes")),
    )
    op.create_table(
        "loyalty_earnings",
        sa.Column("ledger_transaction_id", sa.BigInteger(), nullable=False),
        sa.Column("brand", sa.Text(), nullable=False),
        sa.Column("player_id", postgresql.UUID(), nullable=False),
        sa.Column("product", sa.Text(), nullable=False),
        sa.Column("staked_minor", sa.BigInteger(), nullable=False),
        sa.Column("points", sa.BigInteger(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["brand"], ["brands.slug"], name=op.f("fk_loyalty_earnings_brand_brands")
        ),
        sa.ForeignKeyConstraint(
            ["player_id"], ["players.id"], name=op.f("fk_loyalty_earnings_player_id_players")
        ),
        sa.PrimaryKeyConstraint("ledger_transaction_id", name=op.f("pk_loyalty_earnings")),
    )
    op.create_index("ix_loyalty_earnings_player", "loyalty_earnings", ["player_id", "created_at"])
    op.create_table(
        "loyalty_statuses",
        sa.Column("player_id", postgresql.UUID(), nullable=False),
        sa.Column("brand", sa.Text(), nullable=False),
        sa.Column("tier", sa.Text(), nullable=False),
        sa.Column("window_points", sa.BigInteger(), nullable=False),
        sa.Column("recalculated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["brand"], ["brands.slug"], name=op.f("fk_loyalty_statuses_brand_brands")
        ),
        sa.ForeignKeyConstraint(
            ["player_id"], ["players.id"], name=op.f("fk_loyalty_statuses_player_id_players")
        ),
        sa.PrimaryKeyConstraint("player_id", name=op.f("pk_loyalty_statuses")),
    )


def downgrade() -> None:
    op.drop_table("loyalty_statuses")
    op.drop_index("ix_loyalty_earnings_player", table_name="loyalty_earnings")
    op.drop_table("loyalty_earnings")
    op.drop_table("loyalty_programmes")
    op.drop_index("ix_bonus_free_bets_bet", table_name="bonus_free_bets")
    op.drop_index("ix_bonus_free_bets_active", table_name="bonus_free_bets")
    op.drop_table("bonus_free_bets")
    op.drop_index("ix_originals_free_rounds_user", table_name="originals_free_rounds")
    op.drop_table("originals_free_rounds")
    op.drop_index("ix_bonus_free_rounds_player", table_name="bonus_free_rounds")
    op.drop_index("ix_bonus_free_rounds_open", table_name="bonus_free_rounds")
    op.drop_table("bonus_free_rounds")
    op.drop_column("casino_transactions", "reward_uuid")
    op.drop_constraint(op.f("ck_bonus_offers_kind"), "bonus_offers", type_="check")
    op.create_check_constraint(op.f("ck_bonus_offers_kind"), "bonus_offers", _KINDS_BEFORE)
