/**
 * Gone endpoints: a receiver that answers 410 Gone says the URL will never work again (a removed
 * CRM hook, an uninstalled app). Hookflow remembers the URL so that a campaign to it does not send
 * one request per recipient: later webhooks to it fail at once, with nothing sent, until an
 * operator re-enables it.
 *
 * The URL may carry a secret (a token in its path or query), so it is remembered by its SHA-256
 * only, next to its origin for people to recognise it.
 */
import { createHash } from 'node:crypto';
import type pg from 'pg';
import { InvalidRequestError } from '../errors';
import { originOf } from '../webhook/redact';

export interface GoneEndpoint {
  /** SHA-256 (hex) of the URL as sent. */
  hash: string;
  /** Scheme and authority of the URL, e.g. `https://crm.example.com`. */
  origin: string;
  /** The webhook whose 410 marked it. */
  webhookId: string;
  goneAt: string;
}

/** The key of a URL: the same string the send activity requests, hashed. */
export function endpointHash(url: string): string {
  return createHash('sha256').update(url).digest('hex');
}

const HASH = /^[0-9a-f]{64}$/;

export function parseEndpointHash(value: string): string {
  if (!HASH.test(value)) throw new InvalidRequestError([{ field: 'hash', message: 'must be the 64 hex characters of a gone endpoint' }]);
  return value;
}

export async function markGone(pool: pg.Pool, url: string, webhookId: string): Promise<void> {
  await pool.query('INSERT INTO gone_endpoints (hash, origin, webhook_id) VALUES ($1, $2, $3) ON CONFLICT (hash) DO NOTHING', [
    endpointHash(url),
    originOf(url),
    webhookId,
  ]);
}

export async function goneHashes(pool: pg.Pool): Promise<string[]> {
  const { rows } = await pool.query<{ hash: string }>('SELECT hash FROM gone_endpoints');
  return rows.map((r) => r.hash);
}

export async function listGone(pool: pg.Pool): Promise<GoneEndpoint[]> {
  const { rows } = await pool.query<{ hash: string; origin: string; webhook_id: string; gone_at: Date }>(
    'SELECT hash, origin, webhook_id, gone_at FROM gone_endpoints ORDER BY gone_at DESC, hash LIMIT 1000',
  );
  return rows.map((r) => ({ hash: r.hash, origin: r.origin, webhookId: r.webhook_id, goneAt: r.gone_at.toISOString() }));
}

/** Re-enables an endpoint; false when it was not marked gone. */
export async function reenable(pool: pg.Pool, hash: string): Promise<boolean> {
  const { rowCount } = await pool.query('DELETE FROM gone_endpoints WHERE hash = $1', [hash]);
  return (rowCount ?? 0) > 0;
}
