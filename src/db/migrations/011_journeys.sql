-- Up Migration

-- Journeys: a draft (saved by PUT, validated) and published versions (immutable; runs carry theirs).
CREATE TABLE journeys (
  id         text PRIMARY KEY,
  draft      jsonb NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE journey_versions (
  journey_id   text NOT NULL REFERENCES journeys (id),
  version      integer NOT NULL,
  definition   jsonb NOT NULL,
  published_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (journey_id, version)
);

-- One row per run: which workflow, for which recipient (by hash: never the id in plain text), on
-- which version, and whether it still runs. Re-entry rules, event delivery to waiting runs, run
-- status and migrate read it.
CREATE TABLE journey_runs (
  journey_id    text NOT NULL,
  recipient_key text NOT NULL,
  n             integer NOT NULL,
  workflow_id   text NOT NULL,
  version       integer NOT NULL,
  status        text NOT NULL DEFAULT 'running',
  entered_at    timestamptz NOT NULL DEFAULT now(),
  ended_at      timestamptz,
  -- What entered it, when that may come twice (an event handled again after a crash, a trigger
  -- step's activity retried): the same key enters once.
  entry_key     text,
  PRIMARY KEY (journey_id, recipient_key, n)
);
CREATE UNIQUE INDEX journey_runs_entry_key ON journey_runs (journey_id, entry_key) WHERE entry_key IS NOT NULL;
CREATE INDEX journey_runs_running ON journey_runs (journey_id, version) WHERE status = 'running';
CREATE INDEX journey_runs_by_workflow ON journey_runs (workflow_id);

-- Per-step numbers, added to by the runs (a local activity, a few steps at a time).
CREATE TABLE journey_steps (
  journey_id text NOT NULL,
  version    integer NOT NULL,
  step_id    text NOT NULL,
  entered    bigint NOT NULL DEFAULT 0,
  proceeded  bigint NOT NULL DEFAULT 0,
  exited     bigint NOT NULL DEFAULT 0,
  failed     bigint NOT NULL DEFAULT 0,
  PRIMARY KEY (journey_id, version, step_id)
);

-- Down Migration
DROP TABLE journey_steps;
DROP TABLE journey_runs;
DROP TABLE journey_versions;
DROP TABLE journeys;
