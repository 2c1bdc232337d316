/**
 * The one schema of a campaign (`PUT /v1/campaigns/:id`, SDK `putCampaign`) and of an API trigger
 * call (`POST /v1/campaigns/:id/trigger`, SDK `triggerCampaign`). Every bad field is named.
 */
import { z } from 'zod';
import { InvalidRequestError, type FieldIssue } from '../errors';
import { parseFilter, type Filter } from '../filter/parse';
import { ID_PATTERN, ID_RULE, jsonObjectSchema, recipientInCallSchema, type Attributes } from '../recipient/schema';
import { RATE_LIMIT_BOUNDS } from '../ratelimit/definitions';
import { idempotencyKeySchema, toFieldIssues } from '../webhook/schema';

/** Recipients in one trigger call, or in a schedule's fixed audience. */
export const MAX_RECIPIENTS_PER_CALL = 10_000;
/** Ten years: longer than any campaign lives. */
const MAX_RE_ELIGIBILITY_SECONDS = 315_360_000;
/** Thirty days, as Braze's longest trigger delay. */
const MAX_DELAY_SECONDS = 2_592_000;
const EVENT_NAME = /^[^\p{Cc}]{1,255}$/u;
/** Five fields (minute hour day-of-month month day-of-week), or a Temporal `@every`/`@daily`-style shorthand. */
const CRON = /^(@(yearly|annually|monthly|weekly|daily|hourly|every \S+)|\S+( \S+){4})$/;

const int = (min: number, max: number) =>
  z.number({ error: 'must be a number' }).int({ error: 'must be an integer' }).min(min, { error: `must be at least ${min}` }).max(max, { error: `must be at most ${max}` });

/** A recipient of a trigger call: its `properties` are its `trigger.*` values, over the call's. */
export const campaignRecipientSchema = recipientInCallSchema;

const recipientList = z
  .array(campaignRecipientSchema, { error: 'must be an array of { id, attributes?, properties? }' })
  .min(1, { error: 'must hold at least one recipient' })
  .max(MAX_RECIPIENTS_PER_CALL, { error: `must hold at most ${MAX_RECIPIENTS_PER_CALL} recipients` });

const timezoneSchema = z.string({ error: 'must be a string' }).refine(isTimeZone, { error: 'must be an IANA time zone, e.g. Europe/Paris' });

const triggerSchema = z.discriminatedUnion(
  'type',
  [
    z.strictObject({ type: z.literal('api') }),
    z.strictObject({
      type: z.literal('event'),
      event: z.string({ error: 'must be a string' }).regex(EVENT_NAME, { error: 'must be 1-255 characters, no control characters' }),
      /** A filter (src/filter) on event.* and recipient.* paths, checked by parseFilter. */
      where: z.unknown().optional(),
      delaySeconds: int(0, MAX_DELAY_SECONDS).optional(),
    }),
    z.strictObject({
      type: z.literal('schedule'),
      at: z.iso.datetime({ offset: true, error: 'must be an RFC 3339 time, e.g. 2026-11-28T12:00:00Z' }).optional(),
      cron: z.string({ error: 'must be a string' }).regex(CRON, { error: 'must be a cron expression of five fields, e.g. "0 9 * * 1"' }).optional(),
      timezone: timezoneSchema.optional(),
      audience: z.union([z.strictObject({ recipients: recipientList }), z.strictObject({ where: z.unknown() })], {
        error: 'must be { recipients: [...] } or { where: <filter on recipient.* paths> }',
      }),
    }),
  ],
  { error: 'must be { type: "api" }, { type: "event", event, ... } or { type: "schedule", ... }' },
);

export const campaignSchema = z.strictObject({
  template: z.strictObject(
    {
      id: z.string({ error: 'must be a string' }).regex(ID_PATTERN, { error: ID_RULE }),
      version: int(1, 2_147_483_647).optional(),
    },
    { error: 'must be { id, version? }' },
  ),
  trigger: triggerSchema,
  rateLimitPerMinute: int(...RATE_LIMIT_BOUNDS).optional(),
  reEligibilitySeconds: int(1, MAX_RE_ELIGIBILITY_SECONDS).optional(),
});

export const triggerCallSchema = z.strictObject({
  recipients: recipientList,
  properties: jsonObjectSchema.optional(),
  idempotencyKey: idempotencyKeySchema.optional(),
});

export type CampaignInput = z.input<typeof campaignSchema>;
export type Campaign = z.output<typeof campaignSchema>;
export type CampaignTrigger = Campaign['trigger'];
export type CampaignRecipient = z.output<typeof campaignRecipientSchema>;
export type TriggerCallInput = z.input<typeof triggerCallSchema>;
export type TriggerCall = z.output<typeof triggerCallSchema>;

export const CAMPAIGN_STATUSES = ['active', 'paused', 'stopped'] as const;
export type CampaignStatus = (typeof CAMPAIGN_STATUSES)[number];

/** A campaign as stored and shown. */
export interface CampaignView extends Campaign {
  id: string;
  status: CampaignStatus;
  createdAt: string;
  updatedAt: string;
}

/** One dispatch in `GET /v1/campaigns/:id/dispatches`, newest first; its counts are `…/dispatches/:dispatchId`. */
export interface DispatchSummary {
  id: string;
  /** The template version it renders. */
  template: { id: string; version: number };
  /** Recipients given (a scheduled audience by filter: selected so far). */
  total: number;
  /** running, done, or stopped (the campaign was stopped before it reached every recipient). */
  status: string;
  createdAt: string;
  completedAt?: string;
}

/** `GET /v1/campaigns/:id/dispatches/:dispatchId`: total = delivered + failed + cancelled + skipped + pending. */
export interface DispatchCounts {
  total: number;
  /** Recipients whose webhook was started (or failed to render). */
  started: number;
  delivered: number;
  failed: number;
  cancelled: number;
  /** Not sent: the recipient got this campaign within reEligibilitySeconds. */
  skipped: number;
  pending: number;
}

function object(input: unknown, root: string): Record<string, unknown> {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) throw new InvalidRequestError([{ field: root, message: 'must be a JSON object' }]);
  return input as Record<string, unknown>;
}

export function checkCampaignId(id: unknown, field = 'id'): string {
  if (typeof id !== 'string' || !ID_PATTERN.test(id)) throw new InvalidRequestError([{ field, message: ID_RULE }]);
  return id;
}

/** Validates a campaign; its filters are parsed too (`trigger.where`, `trigger.audience.where`). */
export function parseCampaign(input: unknown): Campaign {
  const raw = object(input ?? undefined, '(campaign)');
  const result = campaignSchema.safeParse(raw);
  const issues: FieldIssue[] = result.success ? [] : toFieldIssues(result.error, raw, '(campaign)');
  const trigger = raw.trigger as Record<string, unknown> | undefined;
  const filterIssues = (value: unknown, field: string, roots?: ('event' | 'recipient')[]): void => {
    if (value === undefined) return;
    try {
      parseFilter(value, { field, ...(roots ? { roots } : {}) });
    } catch (err) {
      if (!(err instanceof InvalidRequestError)) throw err;
      issues.push(...err.issues);
    }
  };
  if (trigger?.type === 'event') filterIssues(trigger.where, 'trigger.where');
  if (trigger?.type === 'schedule') {
    const audience = trigger.audience as Record<string, unknown> | undefined;
    if (audience && typeof audience === 'object' && 'where' in audience) filterIssues(audience.where, 'trigger.audience.where', ['recipient']);
    if ((trigger.at === undefined) === (trigger.cron === undefined)) issues.push({ field: 'trigger.at', message: 'give either at (one run) or cron (repeated runs)' });
    if (typeof trigger.at === 'string' && Date.parse(trigger.at) <= Date.now()) issues.push({ field: 'trigger.at', message: 'must be in the future' });
    if (trigger.at !== undefined && trigger.timezone !== undefined) issues.push({ field: 'trigger.timezone', message: 'goes with cron only (at carries its own offset)' });
  }
  const audience = result.data?.trigger.type === 'schedule' ? result.data.trigger.audience : undefined;
  if (audience && 'recipients' in audience) issues.push(...repeatedIds(audience.recipients, 'trigger.audience.recipients'));
  if (issues.length > 0) throw new InvalidRequestError(dedupe(issues));
  return result.data!;
}

export function parseTriggerCall(input: unknown): TriggerCall {
  const raw = object(input ?? undefined, '(trigger)');
  const result = triggerCallSchema.safeParse(raw);
  if (!result.success) throw new InvalidRequestError(toFieldIssues(result.error, raw, '(trigger)'));
  const repeated = repeatedIds(result.data.recipients, 'recipients');
  if (repeated.length > 0) throw new InvalidRequestError(repeated);
  return result.data;
}

/** The parsed `where` of an event trigger or a schedule's audience. */
export function triggerFilter(trigger: CampaignTrigger): Filter | undefined {
  if (trigger.type === 'event' && trigger.where !== undefined) return parseFilter(trigger.where, { field: 'trigger.where' });
  if (trigger.type === 'schedule' && 'where' in trigger.audience) return parseFilter(trigger.audience.where, { field: 'trigger.audience.where', roots: ['recipient'] });
  return undefined;
}

/** `trigger.*` for one recipient: the call's properties, then the recipient's own over them. */
export function triggerProperties(call: Attributes | undefined, own: Attributes | undefined): Attributes {
  return { ...(call ?? {}), ...(own ?? {}) };
}

/** A recipient gets one webhook per dispatch: the same id twice in a list is refused. */
function repeatedIds(recipients: CampaignRecipient[], field: string): FieldIssue[] {
  const seen = new Set<string>();
  return recipients.flatMap((r, i) => (seen.has(r.id) ? [{ field: `${field}.${i}.id`, message: `${r.id} is given twice` }] : (seen.add(r.id), [])));
}

function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

function dedupe(issues: FieldIssue[]): FieldIssue[] {
  const seen = new Set<string>();
  return issues.filter((i) => !seen.has(`${i.field}\n${i.message}`) && seen.add(`${i.field}\n${i.message}`));
}
