-- Up Migration

-- An attempt says which campaign, dispatch and journey sent it, as its webhook does, so a report
-- filtered by one of them reads that one's attempts by index instead of joining a month of
-- attempts to the webhooks (443 ms for one campaign's month at 1,000,000 webhooks).
ALTER TABLE attempts ADD COLUMN campaign_id text, ADD COLUMN dispatch_id text, ADD COLUMN journey_id text;
UPDATE attempts a SET campaign_id = w.campaign_id, dispatch_id = w.dispatch_id, journey_id = w.journey_id
  FROM webhooks w
 WHERE w.id = a.webhook_id AND (w.campaign_id IS NOT NULL OR w.dispatch_id IS NOT NULL OR w.journey_id IS NOT NULL);
CREATE INDEX attempts_campaign_idx ON attempts (campaign_id, started_at) WHERE campaign_id IS NOT NULL;
CREATE INDEX attempts_dispatch_idx ON attempts (dispatch_id, started_at) WHERE dispatch_id IS NOT NULL;
CREATE INDEX attempts_journey_idx ON attempts (journey_id, started_at) WHERE journey_id IS NOT NULL;

-- Down Migration
DROP INDEX attempts_journey_idx;
DROP INDEX attempts_dispatch_idx;
DROP INDEX attempts_campaign_idx;
ALTER TABLE attempts DROP COLUMN journey_id, DROP COLUMN dispatch_id, DROP COLUMN campaign_id;
