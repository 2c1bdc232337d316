/**
 * What the API's routes take, as zod schemas for the OpenAPI document. The webhook and the
 * recovery filter are the very schemas the SDK validates with; the rest restate the routes' own
 * rules from the same constants.
 */
import { z } from 'zod';
import { MAX_PAUSE_MS } from '../../breaker/definitions';
import { campaignSchema, triggerCallSchema } from '../../campaign/schema';
import { WEBHOOK_STATUSES } from '../../delivery/definitions';
import { LIST_LIMIT } from '../../ledger/list-query';
import { recoverFilterSchema } from '../../recovery/filter';
import { schemaFor } from '../../webhook/schema';

export const webhookBody = (maxBodyBytes: number) => schemaFor({ maxBodyBytes });

export const recoverBody = recoverFilterSchema;

const rfc3339 = z.iso.datetime({ offset: true });

export const listQuery = z.object({
  status: z.enum(WEBHOOK_STATUSES).optional(),
  host: z.string().optional().describe('A host authority, `host[:port]`'),
  since: rfc3339.optional().describe('Inclusive, RFC 3339'),
  until: rfc3339.optional().describe('Exclusive, RFC 3339'),
  limit: z.number().int().min(1).max(LIST_LIMIT.max).optional().describe(`Default ${LIST_LIMIT.default}`),
  cursor: z.string().optional().describe("The previous page's nextCursor"),
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
