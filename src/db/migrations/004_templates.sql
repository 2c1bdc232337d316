-- Up Migration

-- Webhook templates: one row per template, and its versions, which never change once written.
CREATE TABLE templates (
  id             text PRIMARY KEY,
  latest_version integer NOT NULL,
  created_at     timestamptz NOT NULL DEFAULT now(),
  updated_at     timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE template_versions (
  template_id  text NOT NULL REFERENCES templates (id),
  version      integer NOT NULL,
  -- { method, url, headers, body, description?, retry?, timeoutMs?, signingSecret?: { secret } }:
  -- Liquid and secret names only, never a secret's value. json, not jsonb: a body keeps its key order.
  content      json NOT NULL,
  -- sha256 of the canonical content: a PUT of the same content makes no new version.
  content_hash text NOT NULL,
  created_at   timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (template_id, version)
);

-- Webhooks made from a template say which version, for reporting by template.
ALTER TABLE webhooks ADD COLUMN template_id text, ADD COLUMN template_version integer;
CREATE INDEX webhooks_template_idx ON webhooks (template_id, template_version, created_at DESC) WHERE template_id IS NOT NULL;

-- Down Migration
DROP INDEX webhooks_template_idx;
ALTER TABLE webhooks DROP COLUMN template_version, DROP COLUMN template_id;
DROP TABLE template_versions;
DROP TABLE templates;
