-- The ledger's one entry point (domain/wallets/ledger.py): claim the key, then apply.
-- One call, one round trip; any error aborts the caller's transaction, nothing moves.
CREATE OR REPLACE FUNCTION stakehouse_post(p_brand text, p_scope text, p_key text, p_request_hash bytea, p_kind text, p_metadata jsonb, p_accounts bigint[], p_amounts bigint[])
 RETURNS jsonb
 LANGUAGE plpgsql
AS $$
DECLARE
    v_replay jsonb;
BEGIN
    v_replay := stakehouse_claim(p_brand, p_scope, p_key, p_request_hash);
    IF v_replay IS NOT NULL THEN
        RETURN v_replay;
    END IF;
    RETURN stakehouse_apply(p_brand, p_kind, p_scope, p_key, p_metadata, p_accounts, p_amounts);
END $$
