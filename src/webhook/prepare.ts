/**
 * Turns a validated webhook into the delivery workflow's input: the id, the exact request bytes,
 * the redacted view and the host it belongs to.
 */
import { createHash, randomUUID } from 'node:crypto';
import type { DeliveryInput } from '../delivery/definitions';
import { hostKeyOfUrl } from '../net/host-key';
import { redactHeaders, redactUrl } from './redact';
import type { Webhook } from './schema';

/** An idempotency key always maps to the same id, which is what makes a repeated post a no-op. */
export function webhookId(idempotencyKey: string | undefined): string {
  if (idempotencyKey === undefined) return `wh_${randomUUID().replace(/-/g, '')}`;
  return `wh_${createHash('sha256').update(idempotencyKey).digest('hex').slice(0, 32)}`;
}

export interface PrepareOptions {
  maxRetryAfterMs: number;
  sendActivity: 'local' | 'regular';
}

export function prepareDelivery(webhook: Webhook, options: PrepareOptions): DeliveryInput {
  const headers = { ...webhook.headers };
  let body: string | undefined;
  if (webhook.body !== undefined && webhook.body !== null) {
    const text = typeof webhook.body === 'string';
    body = text ? (webhook.body as string) : JSON.stringify(webhook.body);
    if (!Object.keys(headers).some((h) => h.toLowerCase() === 'content-type')) {
      headers['content-type'] = text ? 'text/plain; charset=utf-8' : 'application/json';
    }
  }
  const input: DeliveryInput = {
    id: webhookId(webhook.idempotencyKey),
    authority: hostKeyOfUrl(webhook.url),
    request: { method: webhook.method, url: webhook.url, headers, ...(body === undefined ? {} : { body }) },
    view: { method: webhook.method, url: redactUrl(webhook.url), headers: redactHeaders(headers) },
    retry: webhook.retry,
    timeoutMs: webhook.timeoutMs,
    tags: webhook.tags,
    maxRetryAfterMs: options.maxRetryAfterMs,
    sendActivity: options.sendActivity,
    ledger: true,
  };
  if (webhook.hops) input.hops = webhook.hops;
  if (webhook.signingSecret) input.signingSecret = webhook.signingSecret;
  return input;
}
