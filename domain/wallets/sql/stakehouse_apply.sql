-- Writes one balanced transaction: every leg names an account of the brand (SH404), legs
-- balance per currency (SH422); player balances move one conditional UPDATE each, in
-- account-id order (a fixed lock order, so concurrent multi-wallet moves cannot deadlock;
-- SH402 when one would go negative); entries carry the balance after; the transaction row
-- carries its digest (tamper evidence); balance changes go to the outbox in the same
-- transaction. House accounts are append-only: no row is updated for them (no hot row).
CREATE OR REPLACE FUNCTION stakehouse_apply(p_brand text, p_kind text, p_scope text, p_key text, p_metadata jsonb, p_accounts bigint[], p_amounts bigint[])
 RETURNS jsonb
 LANGUAGE plpgsql
AS $$
DECLARE
    v_transaction bigint;
    v_leg record;
    v_balance bigint;
    v_balances jsonb := '{}'::jsonb;
    v_changes jsonb := '[]'::jsonb;
    v_player uuid;
    v_wallet text;
    v_result jsonb;
    v_at timestamptz := now();
    v_accounts bigint[];
    v_amounts bigint[];
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

    -- The transaction carries the digest of what it writes (stakehouse_ledger_digest):
    -- its legs summed per account, as the loop below writes them.
    SELECT array_agg(l.account_id ORDER BY l.account_id), array_agg(l.amount ORDER BY l.account_id)
      INTO v_accounts, v_amounts
      FROM (SELECT u.account_id, sum(u.amount)::bigint AS amount
              FROM unnest(p_accounts, p_amounts) AS u(account_id, amount)
             GROUP BY u.account_id HAVING sum(u.amount) <> 0) AS l;
    v_transaction := nextval('ledger_transactions_id_seq'::regclass);
    INSERT INTO ledger_transactions (
        id, brand, kind, idempotency_scope, idempotency_key, metadata, created_at, digest
    ) VALUES (
        v_transaction, p_brand, p_kind, p_scope, p_key, p_metadata, v_at,
        stakehouse_ledger_digest(v_transaction, p_brand, p_kind, p_scope, p_key, p_metadata,
                                 v_at, v_accounts, v_amounts)
    );

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
            'transaction_id', v_transaction, 'kind', p_kind, 'changes', v_changes,
            -- When the money moved (the ledger transaction's and this row's now()): consumers
            -- date facts by it without reading the ledger back.
            'occurred_at', now()
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
END $$
