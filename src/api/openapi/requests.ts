/**
 * What the API's routes take, as zod schemas for the OpenAPI document. The webhook and the
 * recovery filter are the very schemas the SDK validates with; the rest restate the routes' own
 * rules from the same constants.
 */
import { z } from 'zod';
import { MAX_PAUSE_MS } from '../../breaker/definitions';
import { campaignSchema, triggerCallSchema } from '../../campaign/schema';
import { eventBatchSchema, eventSchema } from '../../event/schema';
import { WEBHOOK_STATUSES } from '../../delivery/definitions';
import { migrateSchema } from '../../journey/schema';
import { LIST_LIMIT } from '../../paging';
import { RATE_LIMIT_BOUNDS } from '../../ratelimit/definitions';
import { recipientInCallSchema, recipientPutSchema } from '../../recipient/schema';
import { BUCKETS } from '../../report/params';
import { recoverFilterSchema } from '../../recovery/filter';
import { previewSchema, templateSchema } from '../../template/schema';
import { schemaFor } from '../../webhook/schema';

export const webhookBody = (maxBodyBytes: number) => schemaFor({ maxBodyBytes });

export const recoverBody = recoverFilterSchema;

const rfc3339 = z.iso.datetime({ offset: true });

/** `limit` and `cursor` of every list (src/paging.ts). */
export const pageQuery = z.object({
  limit: z.number().int().min(1).max(LIST_LIMIT.max).optional().describe(`Default ${LIST_LIMIT.default}`),
  cursor: z.string().optional().describe("The previous page's nextCursor"),
});

export const listQuery = pageQuery.extend({
  status: z.enum(WEBHOOK_STATUSES).optional(),
  host: z.string().optional().describe('A host authority, `host[:port]`'),
  since: rfc3339.optional().describe('Inclusive, RFC 3339'),
  until: rfc3339.optional().describe('Exclusive, RFC 3339'),
});

export const pauseBody = z
  .strictObject({ durationSeconds: z.number().int().min(1).max(MAX_PAUSE_MS / 1000).optional().describe('Absent: until resumed') })
  ;

export const idParams = z.object({ id: z.string().describe('A webhook id, `wh_` and 32 hex digits') });
export const jobParams = z.object({ id: z.string().describe('A job id') });
export const authorityParams = z.object({ authority: z.string().describe('`host[:port]`, as the webhook URL names it') });
export const hashParams = z.object({ hash: z.string().regex(/^[0-9a-f]{64}$/).describe('SHA-256 (hex) of the URL, as GET /v1/endpoints/gone lists it') });

export const campaignBody = campaignSchema;
export const triggerBody = triggerCallSchema;
export const campaignParams = z.object({ id: z.string().describe('A campaign id: 1-128 of A-Z a-z 0-9 _ . @ -') });
export const dispatchParams = z.object({ id: z.string().describe('A campaign id'), dispatchId: z.string().describe('`dp_` and 32 hex digits, as the trigger call answered') });

export const templateBody = templateSchema;
export const previewBody = previewSchema;
export const templateParams = z.object({ id: z.string().describe('A template id: 1-128 of A-Z a-z 0-9 _ . @ -') });
export const templateVersionParams = templateParams.extend({ n: z.string().regex(/^[1-9]\d{0,8}$/).describe('A version number') });
export const previewQuery = z.object({ version: z.string().regex(/^[1-9]\d{0,8}$/).optional().describe('Absent: the latest version') });

export const recipientParams = z.object({ id: z.string().describe('A recipient id: 1-128 of A-Z a-z 0-9 _ . @ -') });
export const recipientBody = recipientPutSchema;
/** One event, or up to 100 in `events`. */
export const eventsBody = z.union([eventSchema, eventBatchSchema]);

export const journeyParams = z.object({ id: z.string().describe('A journey id: 1-128 of A-Z a-z 0-9 _ . @ -') });
export const journeyRunParams = journeyParams.extend({ recipientId: z.string().describe('The recipient whose run it is') });
/** A journey draft; its steps are checked by the journey's own validator, which names step and field (README, Journeys). */
export const journeyBody = z.looseObject({
  entry: z.looseObject({ type: z.enum(['event', 'api', 'schedule']) }),
  steps: z.array(z.looseObject({ id: z.string(), type: z.string() })).max(200),
  exitOn: z.array(z.looseObject({ event: z.string() })).optional(),
  reEntry: z.union([z.enum(['never', 'afterExit']), z.strictObject({ afterSeconds: z.number().int() })]).optional(),
  rateLimitPerMinute: z.number().int().min(RATE_LIMIT_BOUNDS[0]).max(RATE_LIMIT_BOUNDS[1]).optional(),
});
export const entriesBody = z.strictObject({ recipients: z.array(recipientInCallSchema).min(1) });
export const migrateBody = migrateSchema;

export const reportQuery = z.object({
  groupBy: z.string().optional().describe('host, tag.<name>, template, campaign, journey, or journeyStep (with journey=)'),
  campaign: z.string().optional().describe("Only this campaign's webhooks"),
  dispatch: z.string().optional().describe("Only this dispatch's webhooks"),
  journey: z.string().optional().describe("Only this journey's webhooks (and, grouped by journeyStep, its step counts)"),
  since: rfc3339.optional().describe('Inclusive, RFC 3339'),
  until: rfc3339.optional().describe('Exclusive, RFC 3339'),
  bucket: z.enum(BUCKETS).optional(),
  timezone: z.string().optional().describe('An IANA time zone; default UTC'),
  format: z.enum(['json', 'csv']).optional(),
});
export const failuresQuery = z.object({ limit: z.string().regex(/^\d+$/).optional().describe('1-100, default 20') });
