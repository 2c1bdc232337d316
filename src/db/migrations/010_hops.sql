-- Up Migration

-- How many Hookflow-to-Hookflow webhooks led to an event (0: it came from an application). What
-- the event triggers carries it on, so a chain of self webhooks ends at HOOKFLOW_MAX_HOPS.
ALTER TABLE events ADD COLUMN hops smallint NOT NULL DEFAULT 0;

-- Down Migration
ALTER TABLE events DROP COLUMN hops;
