-- Claims an idempotency key: a replay returns the stored result; another request under
-- the same key is SH409; a concurrent duplicate waits on the key's unique index until the
-- first commits. NULL: the key is this call's (or there is none).
CREATE OR REPLACE FUNCTION stakehouse_claim(p_brand text, p_scope text, p_key text, p_request_hash bytea)
 RETURNS jsonb
 LANGUAGE plpgsql
AS $$
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
END $$
