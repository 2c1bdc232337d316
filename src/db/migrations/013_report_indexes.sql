-- Up Migration

-- An attempt says which campaign, dispatch, journey and journey step sent it, as its webhook does,
-- so a report filtered by one of them (or by a journey's steps) reads that one's attempts by index
-- instead of joining a month of attempts to the webhooks.
ALTER TABLE attempts ADD COLUMN campaign_id text, ADD COLUMN dispatch_id text, ADD COLUMN journey_id text, ADD COLUMN journey_step text;
UPDATE attempts a SET campaign_id = w.campaign_id, dispatch_id = w.dispatch_id, journey_id = w.journey_id, journey_step = w.journey_step
  FROM webhooks w
 WHERE w.id = a.webhook_id AND (w.campaign_id IS NOT NULL OR w.dispatch_id IS NOT NULL OR w.journey_id IS NOT NULL);
-- A campaign's and a journey's attempts and webhooks, with every column their reports read: an
-- index-only scan, where a plain index made each row a heap page of its own (a campaign's rows lie
-- among everyone else's).
CREATE INDEX attempts_campaign_idx ON attempts (campaign_id, started_at) INCLUDE (number, duration_ms, status_code, error_code) WHERE campaign_id IS NOT NULL;
CREATE INDEX attempts_journey_idx ON attempts (journey_id, started_at) INCLUDE (number, duration_ms, status_code, error_code, journey_step) WHERE journey_id IS NOT NULL;
CREATE INDEX attempts_dispatch_idx ON attempts (dispatch_id, started_at) WHERE dispatch_id IS NOT NULL;
CREATE INDEX webhooks_campaign_report_idx ON webhooks (campaign_id, created_at) INCLUDE (completed_at, status, recipient_id) WHERE campaign_id IS NOT NULL;
CREATE INDEX webhooks_journey_report_idx ON webhooks (journey_id, created_at) INCLUDE (completed_at, status, recipient_id, journey_step) WHERE journey_id IS NOT NULL;
-- Render failures, few, counted by reports on their own.
CREATE INDEX webhooks_render_failed_idx ON webhooks (completed_at) WHERE status = 'failed' AND reason LIKE 'render\_error%';

-- Down Migration
DROP INDEX webhooks_render_failed_idx;
DROP INDEX webhooks_journey_report_idx;
DROP INDEX webhooks_campaign_report_idx;
DROP INDEX attempts_journey_idx;
DROP INDEX attempts_dispatch_idx;
DROP INDEX attempts_campaign_idx;
ALTER TABLE attempts DROP COLUMN journey_step, DROP COLUMN journey_id, DROP COLUMN dispatch_id, DROP COLUMN campaign_id;
