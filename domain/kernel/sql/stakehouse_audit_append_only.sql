-- The audit log is append-only: UPDATE, DELETE and TRUNCATE fail in the database itself
-- (trigger audit_log_append_only), even for the owner until it disables the trigger, which
-- the application role may not (domain/kernel/roles.py).
CREATE OR REPLACE FUNCTION stakehouse_audit_append_only()
 RETURNS trigger
 LANGUAGE plpgsql
AS $$
        BEGIN
            RAISE EXCEPTION 'audit_log is append-only';
        END $$
