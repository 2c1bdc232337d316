-- Up Migration

-- An attempt says which host it went to, as its webhook does, so a report grouped by host reads
-- the range's attempts by their time index alone instead of joining them to every webhook (a hash
-- join that scanned the whole webhooks table: 0.43 s for one day of a million-webhook ledger).
-- Attempts stored before this stay NULL: reports look their host up on their webhook.
ALTER TABLE attempts ADD COLUMN authority text;

-- Down Migration
ALTER TABLE attempts DROP COLUMN authority;
