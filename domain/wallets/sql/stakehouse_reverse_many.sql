-- Reverses transactions by posting their negated entries (never deleting them), ordered by
-- first wallet so concurrent chunks lock in one order. One the player can no longer cover
-- (SH402, inside its own subtransaction) is left out and reported under 'short'.
CREATE OR REPLACE FUNCTION stakehouse_reverse_many(p_scope text, p_kind text, p_items jsonb)
 RETURNS jsonb
 LANGUAGE plpgsql
AS $$
DECLARE
    v_item record;
    v_posted jsonb;
    v_result jsonb := '{}'::jsonb;
    v_short jsonb := '[]'::jsonb;
BEGIN
    FOR v_item IN
        SELECT i.brand, i.key, i.transaction_id,
               array_agg(e.account_id ORDER BY e.id) AS accounts,
               array_agg(-e.amount ORDER BY e.id) AS amounts,
               min(e.account_id) FILTER (WHERE a.tracks_balance) AS first_wallet
          FROM jsonb_to_recordset(p_items) AS i(brand text, key text, transaction_id bigint)
          JOIN ledger_transactions t ON t.id = i.transaction_id AND t.brand = i.brand
          JOIN ledger_entries e ON e.transaction_id = t.id
          JOIN ledger_accounts a ON a.id = e.account_id
         GROUP BY i.brand, i.key, i.transaction_id
         ORDER BY first_wallet, i.key
    LOOP
        BEGIN
            v_posted := stakehouse_post(
                v_item.brand, p_scope, v_item.key,
                sha256(convert_to(v_item.key || '/' || v_item.transaction_id, 'UTF8')), p_kind,
                jsonb_build_object('reverses', v_item.transaction_id), v_item.accounts,
                v_item.amounts
            );
            v_result := v_result || jsonb_build_object(v_item.key, v_posted -> 'transaction_id');
        EXCEPTION WHEN SQLSTATE 'SH402' THEN
            v_short := v_short || to_jsonb(v_item.key);
        END;
    END LOOP;
    RETURN jsonb_build_object('posted', v_result, 'short', v_short);
END $$
