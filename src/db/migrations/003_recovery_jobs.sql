-- Up Migration

-- Durable bulk jobs (today: recovering failed webhooks). A job's items are fixed when it is created;
-- only one job per filter runs at a time, so posting the same filter again finds the running one.
CREATE TABLE jobs (
  id           text PRIMARY KEY,
  kind         text NOT NULL,
  filter       jsonb NOT NULL,
  filter_hash  text NOT NULL,
  status       text NOT NULL,
  total        integer NOT NULL,
  created_at   timestamptz NOT NULL DEFAULT now(),
  completed_at timestamptz
);
CREATE UNIQUE INDEX jobs_running_filter_idx ON jobs (kind, filter_hash) WHERE status = 'running';

CREATE TABLE job_items (
  job_id     text NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
  webhook_id text NOT NULL,
  status     text NOT NULL DEFAULT 'pending',
  reason     text,
  PRIMARY KEY (job_id, webhook_id)
);
-- The workflow takes the next pending items of its job, in id order.
CREATE INDEX job_items_pending_idx ON job_items (job_id, webhook_id) WHERE status = 'pending';

-- Down Migration
DROP TABLE job_items;
DROP TABLE jobs;
