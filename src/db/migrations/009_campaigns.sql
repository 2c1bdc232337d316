-- Up Migration

-- Campaigns (Braze's webhook campaigns): a template, a trigger and delivery limits. `status` is
-- active, paused (nothing new starts) or stopped (nothing more is sent).
CREATE TABLE campaigns (
  id                     text PRIMARY KEY,
  template_id            text NOT NULL,
  -- NULL: the latest version at each dispatch.
  template_version       integer,
  -- { type: 'api' } | { type: 'event', event, where?, delaySeconds? } | { type: 'schedule', at? | cron, timezone?, audience }
  trigger                jsonb NOT NULL,
  rate_limit_per_minute  integer,
  re_eligibility_seconds integer,
  status                 text NOT NULL DEFAULT 'active',
  created_at             timestamptz NOT NULL DEFAULT now(),
  updated_at             timestamptz NOT NULL DEFAULT now()
);
-- The event listener reads the active event campaigns at each poll.
CREATE INDEX campaigns_event_idx ON campaigns ((trigger ->> 'event')) WHERE trigger ->> 'type' = 'event';

-- One row per dispatch (an API trigger call, a scheduled run): the template version it renders.
CREATE TABLE campaign_dispatches (
  id               text PRIMARY KEY,
  campaign_id      text NOT NULL REFERENCES campaigns (id),
  template_id      text NOT NULL,
  template_version integer NOT NULL,
  -- The call's `properties` (trigger.*), merged under each recipient's own.
  properties       jsonb NOT NULL DEFAULT '{}',
  -- A scheduled dispatch selects its audience by this filter (paged in id order) instead of rows below.
  audience_where   jsonb,
  total            integer NOT NULL DEFAULT 0,
  -- The workflow that runs it (signalled on pause, resume and stop).
  workflow_id      text NOT NULL,
  status           text NOT NULL DEFAULT 'running',
  created_at       timestamptz NOT NULL DEFAULT now(),
  completed_at     timestamptz
);
CREATE INDEX campaign_dispatches_campaign_idx ON campaign_dispatches (campaign_id, created_at DESC);

-- A dispatch's recipients, numbered in the order given: personal data stays here, out of Temporal's
-- history. `outcome` is NULL until the dispatch reaches the row: started, skipped (reEligibility)
-- or cancelled (the campaign was stopped first).
CREATE TABLE campaign_dispatch_recipients (
  dispatch_id  text NOT NULL,
  n            integer NOT NULL,
  recipient_id text NOT NULL,
  attributes   jsonb,
  properties   jsonb,
  outcome      text,
  PRIMARY KEY (dispatch_id, n)
);

-- reEligibilitySeconds: when each recipient last got each campaign.
CREATE TABLE campaign_receipts (
  campaign_id  text NOT NULL,
  recipient_id text NOT NULL,
  sent_at      timestamptz NOT NULL,
  -- The webhook that counted: a dispatch page done again finds its own claim.
  webhook_id   text NOT NULL,
  PRIMARY KEY (campaign_id, recipient_id)
);

-- Shared rate limits (src/ratelimit): the next free send slot of each key, in epoch ms.
CREATE TABLE rate_limits (
  key        text PRIMARY KEY,
  next_ms    bigint NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now()
);

-- Campaign webhooks say which campaign, dispatch and recipient they were sent for.
ALTER TABLE webhooks ADD COLUMN campaign_id text, ADD COLUMN dispatch_id text, ADD COLUMN recipient_id text;
CREATE INDEX webhooks_dispatch_idx ON webhooks (dispatch_id, status) WHERE dispatch_id IS NOT NULL;
CREATE INDEX webhooks_campaign_idx ON webhooks (campaign_id, status) WHERE campaign_id IS NOT NULL;

-- Down Migration
DROP INDEX webhooks_campaign_idx;
DROP INDEX webhooks_dispatch_idx;
ALTER TABLE webhooks DROP COLUMN recipient_id, DROP COLUMN dispatch_id, DROP COLUMN campaign_id;
DROP TABLE rate_limits;
DROP TABLE campaign_receipts;
DROP TABLE campaign_dispatch_recipients;
DROP TABLE campaign_dispatches;
DROP TABLE campaigns;
