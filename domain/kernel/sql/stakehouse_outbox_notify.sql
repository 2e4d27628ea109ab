CREATE OR REPLACE FUNCTION stakehouse_outbox_notify()
 RETURNS trigger
 LANGUAGE plpgsql
AS $$
        BEGIN
            PERFORM pg_notify('stakehouse_outbox', '');
            RETURN NULL;
        END $$
