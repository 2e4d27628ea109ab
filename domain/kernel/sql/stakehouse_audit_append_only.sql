CREATE OR REPLACE FUNCTION stakehouse_audit_append_only()
 RETURNS trigger
 LANGUAGE plpgsql
AS $$
        BEGIN
            RAISE EXCEPTION 'audit_log is append-only';
        END $$
