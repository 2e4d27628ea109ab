-- A stake: claim the key, lock the player's wallets (id order), split the amount over
-- them in the brand's consumption order (take what each has until covered; the split goes
-- in the metadata so a win can be split back alike), then apply. SH402 when short.
CREATE OR REPLACE FUNCTION stakehouse_stake(p_brand text, p_scope text, p_key text, p_request_hash bytea, p_kind text, p_metadata jsonb, p_wallets bigint[], p_counter bigint, p_amount bigint)
 RETURNS jsonb
 LANGUAGE plpgsql
AS $$
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
END $$
