-- Up Migration

-- One row per webhook: a projection of what its delivery workflow holds, written by the workers.
-- `seq` orders the writes of one webhook (workflow time), so a late write never undoes a newer one.
CREATE TABLE webhooks (
  id               text PRIMARY KEY,
  seq              bigint NOT NULL,
  created_at       timestamptz NOT NULL,
  status           text NOT NULL,
  method           text NOT NULL,
  origin           text NOT NULL,
  authority        text NOT NULL,
  tags             jsonb NOT NULL DEFAULT '{}',
  attempt_count    integer NOT NULL DEFAULT 0,
  last_status_code integer,
  next_attempt_at  timestamptz,
  completed_at     timestamptz,
  reason           text,
  -- The whole request (URL, headers, body, signing secret, options), AES-256-GCM encrypted with
  -- the payload key: what shows and recovers a webhook after Temporal's retention.
  request          bytea,
  updated_at       timestamptz NOT NULL DEFAULT now()
);
-- Newest first, by status, by host: the list API's keyset pagination walks these.
CREATE INDEX webhooks_created_idx ON webhooks (created_at DESC, id DESC);
CREATE INDEX webhooks_status_created_idx ON webhooks (status, created_at DESC, id DESC);
CREATE INDEX webhooks_authority_created_idx ON webhooks (authority, created_at DESC, id DESC);
CREATE INDEX webhooks_tags_idx ON webhooks USING gin (tags jsonb_path_ops);
-- Pruning walks finished webhooks oldest first.
CREATE INDEX webhooks_completed_idx ON webhooks (completed_at) WHERE completed_at IS NOT NULL;

-- One row per attempt, keyed by webhook and attempt number: a rewrite is a no-op.
CREATE TABLE attempts (
  webhook_id  text NOT NULL,
  number      integer NOT NULL,
  trigger     text NOT NULL,
  started_at  timestamptz NOT NULL,
  duration_ms integer NOT NULL,
  status_code integer,
  error_code  text,
  PRIMARY KEY (webhook_id, number)
);
CREATE INDEX attempts_started_idx ON attempts (started_at);

-- Down Migration
DROP TABLE attempts;
DROP TABLE webhooks;
