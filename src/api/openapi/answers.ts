/**
 * The API's answers as zod schemas, for the OpenAPI document (src/api/openapi/document.ts). Each
 * mirrors a TypeScript type the SDK returns, and the compiler keeps the two identical (the checks
 * at the end), so the document cannot drift from what the routes send.
 */
import { z } from 'zod';
import { HOST_STATES, type HostView } from '../../breaker/definitions';
import { CAMPAIGN_STATUSES, campaignSchema, type CampaignView, type DispatchCounts, type DispatchSummary } from '../../campaign/schema';
import { WEBHOOK_STATUSES, type AttemptRecord, type WebhookState } from '../../delivery/definitions';
import type { GoneEndpoint } from '../../endpoint/gone';
import type { ListPage } from '../../ledger/list-query';
import type { AttemptSummary } from '../../ledger/store';
import { JOB_STATUSES, type JobView } from '../../recovery/definitions';

const time = z.string().describe('RFC 3339 time');
// SendErrorCode (src/receiver/classify.ts); the checks at the end fail the build when one is added there.
const ERROR_CODES = ['timeout', 'network', 'blocked', 'gone', 'internal', 'secret', 'hop_limit'] as const;
const strings = z.record(z.string(), z.string());

export const attemptSchema = z.object({
  number: z.number().int(),
  trigger: z.enum(['scheduled', 'manual']),
  startedAt: time,
  durationMs: z.number(),
  statusCode: z.number().int().optional(),
  errorCode: z.enum(ERROR_CODES).optional().describe('Why no response came'),
  error: z.string().optional(),
  responseHeaders: strings.optional(),
  responseBodySnippet: z.string().optional(),
  nextAttemptAt: time.optional(),
});

export const webhookStateSchema = z
  .object({
    id: z.string(),
    status: z.enum(WEBHOOK_STATUSES),
    request: z.object({ method: z.string(), url: z.string(), headers: strings }).describe('The request, credentials redacted'),
    tags: strings,
    attempts: z.array(attemptSchema),
    createdAt: time,
    completedAt: time.optional(),
    nextAttemptAt: time.optional(),
    waitingFor: z.enum(['host', 'rate-limit']).optional(),
    reason: z.string().optional(),
  });

export const acceptedSchema = z.object({ id: z.string(), status: z.enum(WEBHOOK_STATUSES) });

/** A page of a list: `data`, and `nextCursor` until the last page (src/paging.ts). */
const pageSchema = <T extends z.ZodType>(item: T) => z.object({ data: z.array(item), nextCursor: z.string().optional().describe('Absent on the last page') });

export const listPageSchema = pageSchema(
  z.object({
    id: z.string(),
    status: z.enum(WEBHOOK_STATUSES),
    method: z.string(),
    origin: z.string(),
    tags: strings,
    attemptCount: z.number().int(),
    lastStatusCode: z.number().int().optional(),
    createdAt: time,
    completedAt: time.optional(),
  }),
);

export const attemptSummarySchema = z.object({
  number: z.number().int(),
  trigger: z.enum(['scheduled', 'manual']),
  startedAt: time,
  durationMs: z.number(),
  statusCode: z.number().int().optional(),
  errorCode: z.enum(ERROR_CODES).optional(),
});
export const attemptsSchema = z.object({ data: z.array(attemptSummarySchema) });

export const jobSchema = z
  .object({
    id: z.string(),
    kind: z.literal('recover'),
    status: z.enum(JOB_STATUSES),
    filter: z.record(z.string(), z.unknown()),
    total: z.number().int(),
    done: z.number().int(),
    failed: z.number().int(),
    skipped: z.number().int(),
    pending: z.number().int(),
    createdAt: time,
    completedAt: time.optional(),
  });
export const recoverAnswerSchema = jobSchema.extend({ jobId: z.string() });

export const hostSchema = z
  .object({
    authority: z.string(),
    state: z.enum(HOST_STATES),
    window: z.object({ requests: z.number().int(), failures: z.number().int() }),
    openedAt: time.optional(),
    nextProbeAt: time.optional(),
    resumeAt: time.optional(),
    pausedWebhooks: z.number().int(),
    draining: z.boolean(),
    cooldownMs: z.number(),
    rateLimit: z.object({ limit: z.number(), windowMs: z.number() }).optional(),
  });

export const goneEndpointsSchema = z
  .object({ data: z.array(z.object({ hash: z.string(), origin: z.string(), webhookId: z.string(), goneAt: time })) });

export const errorSchema = z
  .object({
    error: z.string().describe('A stable code: invalid_webhook, invalid_request, unauthorized, not_found, conflict, unavailable, internal, …'),
    message: z.string(),
    issues: z.array(z.object({ field: z.string(), message: z.string() })).optional(),
    dependency: z.string().optional(),
    requestId: z.string().optional(),
  });

export const healthSchema = z
  .object({ status: z.enum(['ok', 'unavailable']), dependencies: z.record(z.string(), z.enum(['ok', 'unreachable'])) });

export const campaignViewSchema = campaignSchema.extend({ id: z.string(), status: z.enum(CAMPAIGN_STATUSES), createdAt: time, updatedAt: time });
export const dispatchAnswerSchema = z.object({ dispatchId: z.string(), recipients: z.number().int().describe('Recipients in the dispatch') });
export const campaignPageSchema = pageSchema(campaignViewSchema);
export const dispatchSummarySchema = z.object({
  id: z.string(),
  template: z.object({ id: z.string(), version: z.number().int() }),
  total: z.number().int().describe('Recipients given (a scheduled audience by filter: selected so far)'),
  status: z.string().describe('running, done or stopped'),
  createdAt: time,
  completedAt: time.optional(),
});
export const dispatchPageSchema = pageSchema(dispatchSummarySchema);
export const dispatchCountsSchema = z
  .object({
    total: z.number().int(),
    started: z.number().int(),
    delivered: z.number().int(),
    failed: z.number().int(),
    cancelled: z.number().int(),
    skipped: z.number().int(),
    pending: z.number().int(),
  })
  .describe('total = delivered + failed + cancelled + skipped + pending');

// The compiler checks each schema against the type the SDK returns, both ways.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const same = <A, B>(ok: Same<A, B>): Same<A, B> => ok;
same<z.output<typeof attemptSchema>, AttemptRecord>(true);
same<z.output<typeof webhookStateSchema>, WebhookState>(true);
same<z.output<typeof listPageSchema>, ListPage>(true);
same<z.output<typeof attemptSummarySchema>, AttemptSummary>(true);
same<z.output<typeof jobSchema>, JobView>(true);
same<z.output<typeof hostSchema>, HostView>(true);
same<z.output<typeof goneEndpointsSchema>['data'][number], GoneEndpoint>(true);
same<z.output<typeof campaignViewSchema>, CampaignView>(true);
same<z.output<typeof dispatchCountsSchema>, DispatchCounts>(true);
same<z.output<typeof dispatchSummarySchema>, DispatchSummary>(true);

/**
 * Answers of the template, recipient, event, journey and report routes, described by their keys;
 * the values are the SDK's own types (README: Templates, Recipients and events, Journeys, Reports).
 */
const described = (keys: Record<string, z.ZodType>, what: string) => z.looseObject(keys).describe(what);
export const templateSavedSchema = described({ id: z.string(), version: z.number().int() }, 'The template version saved, or the latest when nothing changed');
export const templateViewSchema = described({ id: z.string(), version: z.number().int(), createdAt: z.string(), url: z.string(), method: z.string() }, 'A template version');
export const previewAnswerSchema = described({ request: z.looseObject({ method: z.string(), url: z.string() }) }, 'The rendered request (secrets shown as ***); nothing is sent');
export const recipientAnswerSchema = described({ id: z.string(), attributes: z.record(z.string(), z.unknown()) }, 'A recipient and its attributes');
export const erasureSchema = z.object({ id: z.string(), erased: z.literal(true), events: z.number().int() });
export const eventsAcceptedSchema = z.object({ events: z.array(z.looseObject({ id: z.string(), created: z.boolean() })) });
export const journeySavedSchema = z.object({ id: z.string(), draft: z.literal('saved') });
export const journeyViewSchema = described({ id: z.string() }, 'The draft, the published versions and counts');
export const publishedSchema = described({ version: z.number().int() }, 'The version published');
export const entriesAnswerSchema = described({ version: z.number().int(), entries: z.array(z.looseObject({ recipientId: z.string(), entered: z.boolean() })) }, 'Each recipient entered or not, and why');
export const migrateAnswerSchema = described({ moved: z.number().int(), stayed: z.number().int() }, 'Runs moved onto the new version, and runs left where they were');
export const runViewSchema = described({ version: z.number().int(), status: z.string() }, "A recipient's run: status, current step, path and context");
export const runExitSchema = described({}, 'The run was told to exit');
export const reportSchema = z.object({ data: z.array(z.record(z.string(), z.union([z.string(), z.number(), z.null()]))) }).describe('Rows of flat keys, the same as the CSV columns');
export const failuresSchema = z.object({ data: z.array(z.looseObject({ id: z.string(), workflowUrl: z.string().nullable() })) });
