-- Up Migration

-- Recipients (Braze's users): an id chosen by the app and its attributes. Personal data lives here
-- only, never in Temporal's search attributes or in logs. Top-level attribute values are never
-- JSON null: a null in a write removes the key.
CREATE TABLE recipients (
  id         text PRIMARY KEY,
  attributes jsonb NOT NULL DEFAULT '{}',
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);

-- Custom events, in the order listeners read them: (xid, seq). `xid` is the inserting
-- transaction; a listener reads only events of transactions older than every transaction still
-- running (pg_snapshot_xmin), so no event can later appear before its cursor: a plain sequence
-- cannot promise that, since transactions commit out of sequence order.
CREATE TABLE events (
  seq          bigint GENERATED ALWAYS AS IDENTITY,
  xid          xid8 NOT NULL DEFAULT pg_current_xact_id(),
  id           text NOT NULL,
  name         text NOT NULL,
  recipient_id text NOT NULL,
  properties   jsonb NOT NULL DEFAULT '{}',
  time         timestamptz NOT NULL,
  received_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (xid, seq),
  -- The same event id twice is stored and triggers once.
  UNIQUE (id)
);
CREATE INDEX events_by_name ON events (name, xid, seq);
-- Erasure and a recipient's history.
CREATE INDEX events_by_recipient ON events (recipient_id);

-- One row per listener (a feature that reacts to events): how far it has read. Workers claim a
-- listener with a transaction-scoped advisory lock, so one batch is handled by one worker at a time.
CREATE TABLE event_listeners (
  name       text PRIMARY KEY,
  cursor_xid xid8 NOT NULL,
  cursor_seq bigint NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now()
);

-- Down Migration
DROP TABLE event_listeners;
DROP TABLE events;
DROP TABLE recipients;
