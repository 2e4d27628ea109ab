-- The digest of a scheme-2 audit row: SHA-256 over the previous hash and a JSON array of
-- the row's fields. json_build_array renders deterministically (jsonb values in canonical
-- form) and the timestamp is formatted in UTC, so the text does not depend on the session.
CREATE OR REPLACE FUNCTION stakehouse_audit_digest(prev bytea, at timestamp with time zone, actor_kind text, actor_id text, brand text, action text, subject_type text, subject_id text, reason text, before jsonb, after jsonb)
 RETURNS bytea
 LANGUAGE sql
 IMMUTABLE PARALLEL SAFE
 SET search_path TO 'pg_catalog', 'public'
AS $$
    SELECT sha256(prev || convert_to(json_build_array(
        to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US'),
        actor_kind, actor_id, brand, action, subject_type, subject_id, reason, before, after
    )::text, 'UTF8'))
$$
