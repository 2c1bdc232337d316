-- Up Migration

-- Reports' settled days (src/report/days.ts): one report shape's rows for one whole day in its time
-- zone, kept once the day is over, so that a month's report reads 29 stored days and computes
-- only the rest. `key` names the shape: time zone, bucket, grouping and filters.
CREATE TABLE report_days (
  key       text NOT NULL,
  day_start timestamptz NOT NULL,
  day_end   timestamptz NOT NULL,
  rows      jsonb NOT NULL,
  stored_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (key, day_start)
);
-- Ledger rows written late for a past day (after an outage) drop the days from theirs on.
CREATE INDEX report_days_end_idx ON report_days (day_end);

-- Bumped in the same transaction as ledger rows written late: a day computed from a snapshot that
-- did not hold them is not stored (src/report/days.ts reads it FOR SHARE before storing).
CREATE TABLE report_days_epoch (
  only_row boolean PRIMARY KEY DEFAULT true CHECK (only_row),
  n        bigint NOT NULL
);
INSERT INTO report_days_epoch (n) VALUES (0);

-- Down Migration

DROP TABLE report_days_epoch;
DROP TABLE report_days;
