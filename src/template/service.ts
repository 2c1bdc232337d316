/**
 * Templates for the SDK (and through it the API): save, read, preview, and turn a templated send
 * into a delivery workflow's input — or, when rendering fails, into that one webhook's `failed`
 * ledger row. Campaigns call `prepareSend` once per recipient, so one recipient's missing variable
 * fails only that recipient's webhook.
 *
 * Rendering happens here, once, before the workflow starts: every attempt then sends the same
 * bytes, and the workflow's history holds the rendered request with secret markers, never values.
 */
import type pg from 'pg';
import type { Config } from '../config';
import type { CampaignRef, DeliveryInput, JourneyRef } from '../delivery/definitions';
import { InvalidRequestError, InvalidWebhookError, TemplateNotFoundError } from '../errors';
import { hostKeyOfUrl } from '../net/host-key';
import { prepareDelivery, webhookId } from '../webhook/prepare';
import { originOf } from '../webhook/redact';
import { parseWebhook } from '../webhook/schema';
import { checkTemplateLiquid } from './check';
import { liquidEngine, type LiquidEngine } from './liquid';
import { renderTemplate, TemplateRenderError, type RenderContext, type RenderedRequest, type TemplateVersion } from './render';
import { checkTemplateId, parsePreview, parseTemplated, parseTemplateShape, type TemplatedWebhook } from './schema';
import { maskSecrets } from './secrets';
import { TemplateStore, type StoredVersion } from './store';

/** The webhook id a preview renders `{{ webhook.id }}` as. */
export const PREVIEW_WEBHOOK_ID = `wh_${'0'.repeat(32)}`;

export interface RequestPreview {
  method: string;
  url: string;
  headers: Record<string, string>;
  body?: unknown;
}

/** A templated send: the delivery to start, or the failure to record. */
export type PreparedSend =
  | { ok: true; input: DeliveryInput }
  | { ok: false; id: string; reason: string; failure: RenderFailure };

export interface RenderFailure {
  id: string;
  template: { id: string; version: number };
  method: string;
  origin: string;
  authority: string;
  tags: Record<string, string>;
  reason: string;
  at: string;
  /** A campaign's or journey's webhook: its ledger columns. */
  campaign?: CampaignRef;
  journey?: JourneyRef;
}

/** What a campaign adds to a templated send. */
export interface SendExtras {
  campaign?: { id: string };
  /** The webhook id to use (e.g. derived from dispatch and recipient) instead of one from idempotencyKey. */
  id?: string;
  /** Self webhooks that led to this send (an event's `hops`, a self request's depth): the webhook's `hops` is at least this. */
  hops?: number;
  /** What a journey's run adds to the variables: entry, steps, context, journey. */
  journey?: Pick<RenderContext, 'entry' | 'steps' | 'context' | 'journey'>;
}

type Settings = Pick<Config, 'maxBodyBytes' | 'maxRetryAfterMs' | 'sendActivity' | 'templateMaxBytes' | 'templateRenderMs' | 'templateMemoryBytes'>;

export class TemplateService {
  readonly store: TemplateStore;
  readonly engine: LiquidEngine;

  constructor(
    pool: pg.Pool,
    private readonly settings: Settings,
  ) {
    this.store = new TemplateStore(pool);
    this.engine = liquidEngine({ maxBytes: settings.templateMaxBytes, renderMs: settings.templateRenderMs, memoryBytes: settings.templateMemoryBytes });
  }

  /** Validates and saves; a new version only when the content changed. Throws InvalidRequestError naming the field (and line). */
  async save(id: string, input: unknown): Promise<{ id: string; version: number; created: boolean }> {
    checkTemplateId(id);
    const content = parseTemplateShape(input, this.settings.maxBodyBytes);
    checkTemplateLiquid(content, this.engine);
    return this.store.save(id, content);
  }

  async get(id: string, version?: number): Promise<StoredVersion> {
    checkTemplateId(id);
    const found = await this.store.version(id, version);
    if (!found) throw new TemplateNotFoundError(id, version);
    return found;
  }

  /** The request the template makes for this context, secrets shown as `***`; nothing is sent. */
  async preview(id: string, input: unknown, version?: number): Promise<{ template: { id: string; version: number }; request: RequestPreview }> {
    const context = parsePreview(input);
    const template = await this.get(id, version);
    let rendered: RenderedRequest;
    try {
      rendered = renderTemplate(this.engine, template, { ...context, webhook: { id: PREVIEW_WEBHOOK_ID }, now: new Date().toISOString() });
    } catch (err) {
      if (err instanceof TemplateRenderError) throw new InvalidRequestError([{ field: err.field, message: err.detail }], 'render_error');
      throw err;
    }
    return { template: { id: template.id, version: template.version }, request: maskedRequest(rendered) };
  }

  /** Validates a templated send and reads its template; throws InvalidRequestError before anything is done. */
  async resolve(input: unknown): Promise<{ send: TemplatedWebhook; template: TemplateVersion }> {
    const send = parseTemplated(input);
    const template = await this.store.version(send.template.id, send.template.version);
    if (!template) {
      const what = send.template.version === undefined ? `no template ${send.template.id}` : `template ${send.template.id} has no version ${send.template.version}`;
      throw new InvalidWebhookError([{ field: 'template', message: what }]);
    }
    return { send, template };
  }

  /** Renders one webhook. Pure: a render failure is returned, not thrown, so the caller records it for that webhook alone. */
  prepareSend(template: TemplateVersion, send: TemplatedWebhook, extras: SendExtras = {}, now = new Date()): PreparedSend {
    const id = extras.id ?? webhookId(send.idempotencyKey);
    const context: RenderContext = {
      ...(send.recipient ? { recipient: send.recipient } : {}),
      ...(send.trigger ? { trigger: send.trigger } : {}),
      ...(send.event ? { event: send.event } : {}),
      ...(extras.campaign ? { campaign: extras.campaign } : {}),
      ...extras.journey,
      webhook: { id },
      now: now.toISOString(),
    };
    const ref = { id: template.id, version: template.version };
    const fail = (reason: string): PreparedSend => ({ ok: false, id, reason, failure: renderFailure(id, template, send, reason, now) });
    let rendered: RenderedRequest;
    try {
      rendered = renderTemplate(this.engine, template, context);
    } catch (err) {
      if (err instanceof TemplateRenderError) return fail(err.reason);
      throw err;
    }
    const { content } = template;
    let webhook;
    try {
      webhook = parseWebhook(
        {
          method: rendered.method,
          url: rendered.url,
          headers: rendered.headers,
          ...(rendered.body === undefined ? {} : { body: rendered.body }),
          ...(content.retry === undefined ? {} : { retry: content.retry }),
          ...(content.timeoutMs === undefined ? {} : { timeoutMs: content.timeoutMs }),
          ...(send.idempotencyKey === undefined ? {} : { idempotencyKey: send.idempotencyKey }),
          ...(send.tags === undefined ? {} : { tags: send.tags }),
          hops: Math.max(send.hops ?? 0, extras.hops ?? 0),
        },
        { maxBodyBytes: this.settings.maxBodyBytes },
      );
    } catch (err) {
      // The template was valid; what was rendered into it is not (a URL that is no URL, a header with a newline…).
      if (err instanceof InvalidRequestError) return fail(`render_error: ${maskSecrets(err.message, rendered.secretNonce)}`);
      throw err;
    }
    const input = prepareDelivery(webhook, { maxRetryAfterMs: this.settings.maxRetryAfterMs, sendActivity: this.settings.sendActivity });
    input.id = id;
    input.request.secretNonce = rendered.secretNonce;
    input.view = {
      method: input.view.method,
      url: maskSecrets(input.view.url, rendered.secretNonce),
      headers: Object.fromEntries(Object.entries(input.view.headers).map(([k, v]) => [k, maskSecrets(v, rendered.secretNonce)])),
    };
    if (rendered.signingSecret) input.signingSecret = rendered.signingSecret;
    input.template = ref;
    return { ok: true, input };
  }

  /** Stores a render failure as that webhook's final ledger row; false when the id already exists. */
  async recordFailure(f: RenderFailure): Promise<boolean> {
    const { rowCount } = await this.store.pool.query(
      `INSERT INTO webhooks (id, seq, created_at, status, method, origin, authority, tags, attempt_count, completed_at, reason, template_id, template_version,
                             campaign_id, dispatch_id, recipient_id, journey_id, journey_step)
       VALUES ($1, $2, $3, 'failed', $4, $5, $6, $7, 0, $3, $8, $9, $10, $11, $12, $13, $14, $15) ON CONFLICT (id) DO NOTHING`,
      [
        f.id, Date.parse(f.at) * 1000, f.at, f.method, f.origin, f.authority, JSON.stringify(f.tags), f.reason, f.template.id, f.template.version,
        f.campaign?.campaignId ?? null, f.campaign?.dispatchId ?? null, f.campaign?.recipientId ?? f.journey?.recipientId ?? null,
        f.journey?.journeyId ?? null, f.journey?.step ?? null,
      ],
    );
    return rowCount === 1;
  }

  /** Whether the ledger already holds a webhook with this id (a repeated idempotency key). */
  async known(id: string): Promise<boolean> {
    const { rowCount } = await this.store.pool.query('SELECT 1 FROM webhooks WHERE id = $1', [id]);
    return (rowCount ?? 0) > 0;
  }
}

function renderFailure(id: string, template: TemplateVersion, send: TemplatedWebhook, reason: string, now: Date): RenderFailure {
  // Where it would have gone, when the template's URL names it without Liquid; otherwise unknown.
  let origin = '';
  let authority = '';
  try {
    if (!/[{}]/.test(template.content.url)) {
      origin = originOf(template.content.url);
      authority = hostKeyOfUrl(template.content.url);
    }
  } catch {
    /* unknown */
  }
  return { id, template: { id: template.id, version: template.version }, method: template.content.method, origin, authority, tags: send.tags ?? {}, reason, at: now.toISOString() };
}

function maskedRequest(rendered: RenderedRequest): RequestPreview {
  const mask = (s: string): string => maskSecrets(s, rendered.secretNonce);
  const maskJson = (v: unknown): unknown => {
    if (typeof v === 'string') return mask(v);
    if (Array.isArray(v)) return v.map(maskJson);
    if (v !== null && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, maskJson(x)]));
    return v;
  };
  const preview: RequestPreview = {
    method: rendered.method,
    url: mask(rendered.url),
    headers: Object.fromEntries(Object.entries(rendered.headers).map(([k, v]) => [k, mask(v)])),
  };
  if (rendered.body !== undefined) preview.body = maskJson(rendered.body);
  return preview;
}
