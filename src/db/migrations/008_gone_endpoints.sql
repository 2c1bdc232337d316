-- Up Migration

-- Endpoints that answered 410 Gone. Later webhooks to them fail at once with nothing sent, until an
-- operator re-enables the endpoint. The URL itself is not kept (it may carry a token): its SHA-256
-- is the key, and only its origin is shown.
CREATE TABLE gone_endpoints (
  hash       text PRIMARY KEY,
  origin     text NOT NULL,
  webhook_id text NOT NULL,
  gone_at    timestamptz NOT NULL DEFAULT now()
);

-- Down Migration
DROP TABLE gone_endpoints;
