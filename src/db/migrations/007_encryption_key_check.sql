-- Up Migration

-- One row: a known probe sealed with the payload key (HOOKFLOW_ENCRYPTION_KEY) of the first
-- process that used this database. Every worker and API opens it at start: one holding another
-- key refuses to start, naming both key ids, instead of failing every workflow task it is given.
-- The probe is a fixed string, so it reveals nothing; the key id is a truncated SHA-256 of the key.
CREATE TABLE encryption_key_check (
  only_row   boolean PRIMARY KEY DEFAULT true CHECK (only_row),
  key_id     text NOT NULL,
  probe      bytea NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);

-- Down Migration
DROP TABLE encryption_key_check;
