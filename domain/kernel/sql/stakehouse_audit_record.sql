-- Appends an audit row in one call: lock its chain until commit, read the chain's head
-- with a fresh snapshot, insert with the digest computed in SQL. Refused outside READ
-- COMMITTED (an old snapshot would fork the chain); search_path pinned.
CREATE OR REPLACE FUNCTION stakehouse_audit_record(p_chain integer, p_at timestamp with time zone, p_actor_kind text, p_actor_id text, p_brand text, p_action text, p_subject_type text, p_subject_id text, p_reason text, p_before jsonb, p_after jsonb)
 RETURNS bigint
 LANGUAGE plpgsql
 SET search_path TO 'pg_catalog', 'public'
AS $$
DECLARE
    v_prev bytea;
    v_id bigint;
BEGIN
    IF current_setting('transaction_isolation') <> 'read committed' THEN
        RAISE EXCEPTION 'audit rows are appended under READ COMMITTED only'
            USING ERRCODE = 'SH500';
    END IF;
    -- One lock per chain, held to commit: appends to a chain are serial, chains are not.
    PERFORM pg_advisory_xact_lock(7301001, p_chain);
    -- A new statement, hence a new snapshot: sees the head the previous holder committed.
    SELECT hash INTO v_prev FROM audit_log WHERE chain = p_chain ORDER BY id DESC LIMIT 1;
    v_prev := coalesce(v_prev, decode(repeat('00', 32), 'hex'));
    INSERT INTO audit_log (
        at, actor_kind, actor_id, brand, action, subject_type, subject_id, reason,
        before, after, chain, scheme, prev_hash, hash
    ) VALUES (
        p_at, p_actor_kind, p_actor_id, p_brand, p_action, p_subject_type, p_subject_id,
        p_reason, p_before, p_after, p_chain, 2, v_prev,
        stakehouse_audit_digest(v_prev, p_at, p_actor_kind, p_actor_id, p_brand, p_action,
                                p_subject_type, p_subject_id, p_reason, p_before, p_after)
    ) RETURNING id INTO v_id;
    RETURN v_id;
END
$$
