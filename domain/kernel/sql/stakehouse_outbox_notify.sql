-- Wakes the outbox relay (trigger outbox_events_notify, after each INSERT statement).
-- PostgreSQL delivers NOTIFY only at commit, so nothing is published before its
-- transaction commits; one notification per statement suffices.
CREATE OR REPLACE FUNCTION stakehouse_outbox_notify()
 RETURNS trigger
 LANGUAGE plpgsql
AS $$
        BEGIN
            PERFORM pg_notify('stakehouse_outbox', '');
            RETURN NULL;
        END $$
