-- Up Migration

-- A journey's webhooks say which journey and step sent them (reports group and filter by these);
-- their recipient goes in recipient_id, as for campaigns.
ALTER TABLE webhooks ADD COLUMN journey_id text, ADD COLUMN journey_step text;
CREATE INDEX webhooks_journey_idx ON webhooks (journey_id, journey_step) WHERE journey_id IS NOT NULL;
-- Unique recipients per day: the delivered webhooks of known recipients, by completion time.
CREATE INDEX webhooks_delivered_recipient_idx ON webhooks (completed_at, recipient_id) WHERE status = 'delivered' AND recipient_id IS NOT NULL;

-- journey_steps' counters again, per hour of recording, so reports can bucket them by time.
CREATE TABLE journey_step_hours (
  journey_id text NOT NULL,
  hour       timestamptz NOT NULL,
  version    integer NOT NULL,
  step_id    text NOT NULL,
  entered    bigint NOT NULL DEFAULT 0,
  proceeded  bigint NOT NULL DEFAULT 0,
  exited     bigint NOT NULL DEFAULT 0,
  failed     bigint NOT NULL DEFAULT 0,
  PRIMARY KEY (journey_id, hour, version, step_id)
);
-- What ran before this migration counts in the hour it was applied: totals stay equal to journey_steps.
INSERT INTO journey_step_hours (journey_id, hour, version, step_id, entered, proceeded, exited, failed)
SELECT journey_id, date_trunc('hour', now(), 'UTC'), version, step_id, entered, proceeded, exited, failed FROM journey_steps;

-- Down Migration
DROP TABLE journey_step_hours;
DROP INDEX webhooks_delivered_recipient_idx;
DROP INDEX webhooks_journey_idx;
ALTER TABLE webhooks DROP COLUMN journey_step, DROP COLUMN journey_id;
