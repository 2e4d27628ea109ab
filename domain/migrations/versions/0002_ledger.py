"""ledger: accounts, transactions, entries, idempotency keys, the posting function

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24 12:53:06.419015
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Posting a transaction is one call, so one round trip. `stakehouse_claim` claims the
# idempotency key (a replay returns the stored result; another request under the same key
# is SH409; a concurrent duplicate waits on the key's unique index until the first commits).
# `stakehouse_apply` checks that every leg names an account of the brand and that legs
# balance per currency, then moves player balances one conditional UPDATE each, in
# account-id order (a fixed lock order, so concurrent multi-wallet moves cannot deadlock),
# writes the entries, and writes the player balance changes to the outbox (topic
# wallets.balance_changed). House accounts are append-only: no row is updated for them, so
# no bet waits on another. `stakehouse_post` = claim + apply; `stakehouse_stake` = claim +
# lock the player's wallets + split the stake in the brand's consumption order (take what
# each wallet has, in order, until covered; the split is returned in the result's metadata
# so a later win can be split back in the same proportion) + apply.
# Errors abort the caller's transaction with SH402 (insufficient funds), SH404 (unknown
# account), SH409 (key conflict), SH422 (unbalanced legs): nothing moves.
LEDGER_FUNCTIONS = """
CREATE FUNCTION stakehouse_claim(p_brand text, p_scope text, p_key text, p_request_hash bytea)
RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
    v_claimed integer;
    v_existing record;
BEGIN
    IF p_key IS NULL THEN
        RETURN NULL;
    END IF;
    INSERT INTO idempotency_keys (brand, scope, key, request_hash)
    VALUES (p_brand, p_scope, p_key, p_request_hash)
    ON CONFLICT DO NOTHING;
    GET DIAGNOSTICS v_claimed = ROW_COUNT;
    IF v_claimed = 1 THEN
        RETURN NULL;
    END IF;
    SELECT request_hash, result INTO v_existing FROM idempotency_keys
     WHERE brand = p_brand AND scope = p_scope AND key = p_key;
    IF v_existing.request_hash <> p_request_hash OR v_existing.result IS NULL THEN
        RAISE EXCEPTION 'idempotency key % was used for another request', p_key
            USING ERRCODE = 'SH409';
    END IF;
    RETURN v_existing.result || '{"replayed": true}'::jsonb;
END $$;

CREATE FUNCTION stakehouse_apply(
    p_brand text, p_kind text, p_scope text, p_key text, p_metadata jsonb,
    p_accounts bigint[], p_amounts bigint[]
) RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
    v_transaction bigint;
    v_leg record;
    v_balance bigint;
    v_balances jsonb := '{}'::jsonb;
    v_changes jsonb := '[]'::jsonb;
    v_player uuid;
    v_wallet text;
    v_result jsonb;
BEGIN
    IF EXISTS (
        SELECT 1 FROM unnest(p_accounts) AS l(account_id)
        LEFT JOIN ledger_accounts a ON a.id = l.account_id AND a.brand = p_brand
        WHERE a.id IS NULL
    ) THEN
        RAISE EXCEPTION 'a leg names an unknown account' USING ERRCODE = 'SH404';
    END IF;
    IF EXISTS (
        SELECT 1 FROM unnest(p_accounts, p_amounts) AS l(account_id, amount)
        JOIN ledger_accounts a ON a.id = l.account_id
        GROUP BY a.currency HAVING sum(l.amount) <> 0
    ) THEN
        RAISE EXCEPTION 'legs do not balance per currency' USING ERRCODE = 'SH422';
    END IF;

    INSERT INTO ledger_transactions (brand, kind, idempotency_scope, idempotency_key, metadata)
    VALUES (p_brand, p_kind, p_scope, p_key, p_metadata)
    RETURNING id INTO v_transaction;

    FOR v_leg IN
        SELECT l.account_id, sum(l.amount)::bigint AS amount, a.currency, a.tracks_balance
        FROM unnest(p_accounts, p_amounts) AS l(account_id, amount)
        JOIN ledger_accounts a ON a.id = l.account_id
        GROUP BY l.account_id, a.currency, a.tracks_balance
        HAVING sum(l.amount) <> 0
        ORDER BY l.account_id
    LOOP
        v_balance := NULL;
        IF v_leg.tracks_balance THEN
            UPDATE ledger_accounts SET balance = balance + v_leg.amount
             WHERE id = v_leg.account_id AND balance + v_leg.amount >= 0
            RETURNING balance, player_id, kind INTO v_balance, v_player, v_wallet;
            IF NOT FOUND THEN
                SELECT balance INTO v_balance FROM ledger_accounts WHERE id = v_leg.account_id;
                RAISE EXCEPTION 'insufficient funds'
                    USING ERRCODE = 'SH402',
                          DETAIL = json_build_object('account', v_leg.account_id, 'balance', v_balance)::text;
            END IF;
            v_balances := v_balances || jsonb_build_object(v_leg.account_id::text, v_balance);
            v_changes := v_changes || jsonb_build_object(
                'player_id', v_player, 'wallet', v_wallet, 'currency', v_leg.currency,
                'balance_minor', v_balance, 'delta_minor', v_leg.amount
            );
        END IF;
        INSERT INTO ledger_entries (transaction_id, account_id, amount, currency, balance_after)
        VALUES (v_transaction, v_leg.account_id, v_leg.amount, v_leg.currency, v_balance);
    END LOOP;

    -- The balance change leaves through the outbox in this same transaction (published
    -- only after commit), still inside the one round trip.
    IF jsonb_array_length(v_changes) > 0 THEN
        INSERT INTO outbox_events (topic, brand, payload)
        VALUES ('wallets.balance_changed', p_brand, jsonb_build_object(
            'transaction_id', v_transaction, 'kind', p_kind, 'changes', v_changes
        ));
    END IF;

    v_result := jsonb_build_object(
        'transaction_id', v_transaction, 'balances', v_balances, 'metadata', p_metadata,
        'replayed', false
    );
    IF p_key IS NOT NULL THEN
        UPDATE idempotency_keys SET result = v_result
         WHERE brand = p_brand AND scope = p_scope AND key = p_key;
    END IF;
    RETURN v_result;
END $$;

CREATE FUNCTION stakehouse_post(
    p_brand text, p_scope text, p_key text, p_request_hash bytea, p_kind text,
    p_metadata jsonb, p_accounts bigint[], p_amounts bigint[]
) RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
    v_replay jsonb;
BEGIN
    v_replay := stakehouse_claim(p_brand, p_scope, p_key, p_request_hash);
    IF v_replay IS NOT NULL THEN
        RETURN v_replay;
    END IF;
    RETURN stakehouse_apply(p_brand, p_kind, p_scope, p_key, p_metadata, p_accounts, p_amounts);
END $$;

CREATE FUNCTION stakehouse_stake(
    p_brand text, p_scope text, p_key text, p_request_hash bytea, p_kind text,
    p_metadata jsonb, p_wallets bigint[], p_counter bigint, p_amount bigint
) RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
    v_replay jsonb;
    v_wallet record;
    v_left bigint := p_amount;
    v_take bigint;
    v_available bigint := 0;
    v_accounts bigint[] := ARRAY[p_counter];
    v_amounts bigint[] := ARRAY[p_amount];
    v_split jsonb := '{}'::jsonb;
BEGIN
    v_replay := stakehouse_claim(p_brand, p_scope, p_key, p_request_hash);
    IF v_replay IS NOT NULL THEN
        RETURN v_replay;
    END IF;
    -- Lock in id order (the same order stakehouse_apply updates in), then read balances.
    PERFORM 1 FROM ledger_accounts WHERE id = ANY(p_wallets) ORDER BY id FOR UPDATE;
    FOR v_wallet IN
        SELECT w.id, a.kind, a.balance
        FROM unnest(p_wallets) WITH ORDINALITY AS w(id, position)
        JOIN ledger_accounts a ON a.id = w.id AND a.brand = p_brand AND a.tracks_balance
        ORDER BY w.position
    LOOP
        v_available := v_available + v_wallet.balance;
        v_take := least(v_left, v_wallet.balance);
        IF v_take > 0 THEN
            v_accounts := v_accounts || v_wallet.id;
            v_amounts := v_amounts || (-v_take);
            v_split := v_split || jsonb_build_object(v_wallet.kind, v_take);
            v_left := v_left - v_take;
        END IF;
    END LOOP;
    IF v_left > 0 THEN
        RAISE EXCEPTION 'insufficient funds'
            USING ERRCODE = 'SH402',
                  DETAIL = json_build_object('account', NULL, 'balance', v_available)::text;
    END IF;
    RETURN stakehouse_apply(
        p_brand, p_kind, p_scope, p_key, p_metadata || jsonb_build_object('split', v_split),
        v_accounts, v_amounts
    );
END $$;
"""


def upgrade() -> None:
    # ### commands auto generated by Alembic - please adjust! ###
    op.create_table(
        "idempotency_keys",
        sa.Column("brand", sa.Text(), nullable=False),
        sa.Column("scope", sa.Text(), nullable=False),
        sa.Column("key", sa.Text(), nullable=False),
        sa.Column("request_hash", sa.LargeBinary(), nullable=False),
        sa.Column("result", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("brand", "scope", "key", name=op.f("pk_idempotency_keys")),
    )
    op.create_table(
        "ledger_transactions",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("brand", sa.Text(), nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("idempotency_scope", sa.Text(), nullable=True),
        sa.Column("idempotency_key", sa.Text(), nullable=True),
        sa.Column("metadata", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["brand"], ["brands.slug"], name=op.f("fk_ledger_transactions_brand_brands")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ledger_transactions")),
        sa.UniqueConstraint(
            "brand",
            "idempotency_scope",
            "idempotency_key",
            name=op.f("uq_ledger_transactions_brand_idempotency_scope_idempotency_key"),
        ),
    )
    op.create_table(
        "ledger_accounts",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("brand", sa.Text(), nullable=False),
        sa.Column("player_id", sa.UUID(), nullable=True),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("currency", sa.Text(), nullable=False),
        sa.Column("balance", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column("tracks_balance", sa.Boolean(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "(player_id IS NULL) = (NOT tracks_balance)",
            name=op.f("ck_ledger_accounts_house_untracked"),
        ),
        sa.CheckConstraint(
            "NOT tracks_balance OR balance >= 0",
            name=op.f("ck_ledger_accounts_balance_not_negative"),
        ),
        sa.ForeignKeyConstraint(
            ["brand"], ["brands.slug"], name=op.f("fk_ledger_accounts_brand_brands")
        ),
        sa.ForeignKeyConstraint(
            ["player_id"], ["players.id"], name=op.f("fk_ledger_accounts_player_id_players")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ledger_accounts")),
        sa.UniqueConstraint(
            "brand",
            "player_id",
            "kind",
            "currency",
            name=op.f("uq_ledger_accounts_brand_player_id_kind_currency"),
        ),
    )
    op.create_index(
        "uq_ledger_accounts_house",
        "ledger_accounts",
        ["brand", "kind", "currency"],
        unique=True,
        postgresql_where=sa.text("player_id IS NULL"),
    )
    op.create_table(
        "ledger_entries",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("transaction_id", sa.BigInteger(), nullable=False),
        sa.Column("account_id", sa.BigInteger(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.Text(), nullable=False),
        sa.Column("balance_after", sa.BigInteger(), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint("amount <> 0", name=op.f("ck_ledger_entries_amount_not_zero")),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["ledger_accounts.id"],
            name=op.f("fk_ledger_entries_account_id_ledger_accounts"),
        ),
        sa.ForeignKeyConstraint(
            ["transaction_id"],
            ["ledger_transactions.id"],
            name=op.f("fk_ledger_entries_transaction_id_ledger_transactions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ledger_entries")),
    )
    op.create_index(
        "ix_ledger_entries_account_id_id", "ledger_entries", ["account_id", "id"], unique=False
    )
    op.create_index(
        "ix_ledger_entries_transaction_id", "ledger_entries", ["transaction_id"], unique=False
    )
    # ### end Alembic commands ###
    # One statement per execute: asyncpg prepares each, and a prepared statement is one command.
    for definition in ("\n" + LEDGER_FUNCTIONS).split("\n\nCREATE FUNCTION")[1:]:
        op.execute("CREATE FUNCTION" + definition)


def downgrade() -> None:
    for signature in (
        "stakehouse_stake(text, text, text, bytea, text, jsonb, bigint[], bigint, bigint)",
        "stakehouse_post(text, text, text, bytea, text, jsonb, bigint[], bigint[])",
        "stakehouse_apply(text, text, text, text, jsonb, bigint[], bigint[])",
        "stakehouse_claim(text, text, text, bytea)",
    ):
        op.execute(f"DROP FUNCTION {signature}")
    # ### commands auto generated by Alembic - please adjust! ###
    op.drop_index("ix_ledger_entries_transaction_id", table_name="ledger_entries")
    op.drop_index("ix_ledger_entries_account_id_id", table_name="ledger_entries")
    op.drop_table("ledger_entries")
    op.drop_index(
        "uq_ledger_accounts_house",
        table_name="ledger_accounts",
        postgresql_where=sa.text("player_id IS NULL"),
    )
    op.drop_table("ledger_accounts")
    op.drop_table("ledger_transactions")
    op.drop_table("idempotency_keys")
    # ### end Alembic commands ###
