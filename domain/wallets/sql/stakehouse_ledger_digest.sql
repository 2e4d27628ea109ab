-- A ledger transaction's tamper evidence: SHA-256 over its header and its legs (the sum per
-- account, accounts ascending, zero sums left out: exactly the entries written). Computed
-- when the transaction is inserted (stakehouse_apply, stakehouse_post_many) and again from
-- the stored rows by `stakehouse audit verify` and the scheduled verifier. It covers id,
-- brand, kind, idempotency scope and key, metadata, time, and each entry's account and
-- amount; not an entry's balance_after nor currency (copies of the account's, checked by
-- the ledger invariants). The timestamp is written in UTC, so the text does not depend on
-- the session. No SET search_path (unlike the audit digest): it uses only built-ins, which
-- pg_catalog resolves first, and a SET clause would stop PostgreSQL inlining it into the
-- posting statements (a per-row function call, measured 25 % slower on a 1,000-payout chunk).
CREATE OR REPLACE FUNCTION stakehouse_ledger_digest(p_id bigint, p_brand text, p_kind text, p_scope text, p_key text, p_metadata jsonb, p_created_at timestamp with time zone, p_accounts bigint[], p_amounts bigint[])
 RETURNS bytea
 LANGUAGE sql
 IMMUTABLE PARALLEL SAFE
AS $$
    SELECT sha256(convert_to(json_build_array(
        p_id, p_brand, p_kind, p_scope, p_key, p_metadata,
        to_char(p_created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US'),
        p_accounts, p_amounts
    )::text, 'UTF8'))
$$
