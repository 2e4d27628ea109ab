-- The casino bet callback's hot path, one call: claim the provider's transaction id (a
-- concurrent duplicate waits, then gets 'existing'), open or extend the round under its row
-- lock (a closed round takes no bet: SHC10), count it toward the player's bonus wagering
-- (stakehouse_bonus_wager: SHB01 above the bonus max bet), stake through stakehouse_stake
-- (SH402 when short) and record the split and the reply. Any error: nothing claimed,
-- nothing counted, nothing moved.
CREATE OR REPLACE FUNCTION stakehouse_casino_bet(p_provider text, p_transaction text, p_brand text, p_player uuid, p_game text, p_round text, p_round_closed boolean, p_currency text, p_amount bigint, p_wallets bigint[], p_counter bigint, p_scope text, p_request_hash bytea, p_metadata jsonb)
 RETURNS jsonb
 LANGUAGE plpgsql
AS $$
DECLARE
    v_claim bigint;
    v_round bigint;
    v_stake jsonb;
    v_balance bigint;
    v_bonus jsonb;
BEGIN
    INSERT INTO casino_transactions (
        provider, transaction_uuid, brand, player_id, kind, status, round_ref, game_code,
        amount_minor, currency
    ) VALUES (
        p_provider, p_transaction, p_brand, p_player, 'bet', 'accepted', p_round, p_game,
        p_amount, p_currency
    )
    ON CONFLICT (provider, transaction_uuid) DO NOTHING
    RETURNING id INTO v_claim;
    IF v_claim IS NULL THEN
        RETURN jsonb_build_object('outcome', 'existing');
    END IF;

    INSERT INTO casino_rounds AS r (
        brand, provider, player_id, round_ref, game_code, currency, status, bet_minor,
        win_minor, refund_minor, win_count, closed_at
    ) VALUES (
        p_brand, p_provider, p_player, p_round, p_game, p_currency,
        CASE WHEN p_round_closed THEN 'closed' ELSE 'open' END, p_amount, 0, 0, 0,
        CASE WHEN p_round_closed THEN now() END
    )
    ON CONFLICT (brand, provider, player_id, round_ref) DO UPDATE
       SET bet_minor = r.bet_minor + excluded.bet_minor,
           status = excluded.status,
           closed_at = excluded.closed_at
     WHERE r.status = 'open'
    RETURNING id INTO v_round;
    IF v_round IS NULL THEN
        RAISE EXCEPTION 'round % is closed', p_round USING ERRCODE = 'SHC10';
    END IF;

    v_bonus := stakehouse_bonus_wager(
        p_brand, p_player, p_currency, p_amount, 'casino', p_metadata ->> 'category', p_game
    );
    v_stake := stakehouse_stake(
        p_brand, p_scope, p_transaction, p_request_hash, 'casino.bet',
        CASE WHEN v_bonus IS NULL THEN p_metadata
             ELSE p_metadata || jsonb_build_object('bonus', v_bonus - 'wagered' - 'required' - 'completed')
        END,
        p_wallets, p_counter, p_amount
    );
    -- The wallets are locked by the stake: this total is the balance right after it.
    SELECT sum(balance)::bigint INTO v_balance FROM ledger_accounts WHERE id = ANY(p_wallets);
    UPDATE casino_transactions
       SET round_id = v_round,
           stake_split = v_stake -> 'metadata' -> 'split',
           ledger_transaction_id = (v_stake ->> 'transaction_id')::bigint,
           response_status = 'RS_OK',
           balance_after_minor = v_balance
     WHERE id = v_claim;
    RETURN jsonb_build_object('outcome', 'accepted', 'balance', v_balance, 'bonus', v_bonus);
END $$
