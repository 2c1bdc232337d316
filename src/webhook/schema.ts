/**
 * The one schema of a webhook, used by the client SDK and (through it) by the HTTP API.
 * Messages name the field and the problem; unknown fields are rejected.
 */
import { z } from 'zod';
import { InvalidWebhookError, type FieldIssue } from '../errors';
import { DEFAULT_RETRY, RETRY_BOUNDS, DEFAULT_TIMEOUT_MS, TIMEOUT_BOUNDS } from '../delivery/policy';
import { isSelfUrl, selfUrlProblem } from '../self/target';

export const METHODS = ['POST', 'GET', 'PUT', 'DELETE', 'PATCH'] as const;
export type Method = (typeof METHODS)[number];

/** RFC 9110 token characters: what a header name may contain. */
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
/** Header values: visible ASCII, tabs, spaces and obs-text; never CR, LF or NUL. */
const HEADER_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;
/**
 * Headers Hookflow owns: the Standard Webhooks identity headers, and hop-by-hop or framing
 * headers that the HTTP client must compute itself.
 */
const RESERVED_HEADERS = new Set([
  'webhook-id',
  'webhook-timestamp',
  'webhook-signature',
  'host',
  'content-length',
  'transfer-encoding',
  'connection',
  'keep-alive',
  'upgrade',
  'te',
  'trailer',
  'expect',
  'proxy-connection',
]);
const TAG_KEY = /^[A-Za-z0-9_.:-]{1,64}$/;
const MAX_HEADERS = 100;
const MAX_TAGS = 20;
const MAX_URL_LENGTH = 8192;
const SECRET = /^whsec_([A-Za-z0-9+/]+={0,2})$/;
/** Beyond the largest HOOKFLOW_MAX_HOPS, a count means nothing more. */
export const HOPS_BOUNDS = [0, 100] as const;

export interface SchemaLimits {
  /** Largest body in bytes once serialised (HOOKFLOW_MAX_BODY_BYTES). */
  maxBodyBytes: number;
}

const intIn = (field: string, [min, max]: readonly [number, number]) =>
  z
    .number({ error: 'must be a number' })
    .int({ error: 'must be an integer' })
    .min(min, { error: `must be at least ${min}` })
    .max(max, { error: `must be at most ${max}` })
    .describe(field);

const retrySchema = z
  .strictObject({
    maxAttempts: intIn('maxAttempts', RETRY_BOUNDS.maxAttempts).optional(),
    maxDurationSeconds: intIn('maxDurationSeconds', RETRY_BOUNDS.maxDurationSeconds).optional(),
    initialIntervalMs: intIn('initialIntervalMs', RETRY_BOUNDS.initialIntervalMs).optional(),
    maxIntervalMs: intIn('maxIntervalMs', RETRY_BOUNDS.maxIntervalMs).optional(),
  })
  .transform((r) => ({ ...DEFAULT_RETRY, ...stripUndefined(r) }))
  .refine((r) => r.maxIntervalMs >= r.initialIntervalMs, {
    error: 'cannot be less than retry.initialIntervalMs',
    path: ['maxIntervalMs'],
  });

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** An idempotency key: a webhook's, or a campaign trigger call's. */
export const idempotencyKeySchema = z
  .string({ error: 'must be a string' })
  .min(1, { error: 'must not be empty' })
  .max(255, { error: 'must be at most 255 characters' })
  .regex(/^[\x21-\x7e]+$/, { error: 'must be printable ASCII without spaces' });

function webhookSchema(limits: SchemaLimits) {
  return z
    .strictObject({
      method: z
        .string({ error: `must be one of ${METHODS.join(', ')}` })
        .transform((m) => m.toUpperCase())
        .pipe(z.enum(METHODS, { error: `must be one of ${METHODS.join(', ')}` }))
        .default('POST'),
      url: z
        .string({ error: 'must be a string' })
        .max(MAX_URL_LENGTH, { error: `must be at most ${MAX_URL_LENGTH} characters` })
        .superRefine((value, ctx) => {
          const problem = urlProblem(value);
          if (problem) ctx.addIssue({ code: 'custom', message: problem });
        })
        // For the OpenAPI document (the checks above are the rule).
        .meta({ description: "An absolute http or https URL, or hookflow:/v1/… for Hookflow's own API", pattern: '^(https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?(/.*)?|hookflow:/v1/.*)$' }),
      headers: z
        .record(z.string(), z.string({ error: 'must be a string' }), { error: 'must be an object of strings' })
        .superRefine((headers, ctx) => {
          const seen = new Set<string>();
          const names = Object.keys(headers);
          if (names.length > MAX_HEADERS) ctx.addIssue({ code: 'custom', message: `at most ${MAX_HEADERS} headers` });
          for (const name of names) {
            const lower = name.toLowerCase();
            const issue = (message: string) => ctx.addIssue({ code: 'custom', path: [name], message });
            if (!HEADER_NAME.test(name)) issue('is not a valid header name');
            else if (RESERVED_HEADERS.has(lower)) issue('is set by Hookflow and cannot be given');
            else if (seen.has(lower)) issue('is given twice (header names are case-insensitive)');
            else if (typeof headers[name] === 'string' && !HEADER_VALUE.test(headers[name])) {
              issue('value must not contain CR, LF, NUL or other control characters');
            } else if (typeof headers[name] === 'string' && headers[name].length > 8192) {
              issue('value must be at most 8192 characters');
            }
            seen.add(lower);
          }
        })
        .default({}),
      body: z.unknown().optional(),
      idempotencyKey: idempotencyKeySchema.optional(),
      signingSecret: z
        .string({ error: 'must be a string' })
        .superRefine((value, ctx) => {
          const problem = secretProblem(value);
          if (problem) ctx.addIssue({ code: 'custom', message: problem });
        })
        .meta({ description: "'whsec_' and the base64 of 24 to 64 bytes", pattern: '^whsec_[A-Za-z0-9+/]{32,88}={0,2}$' })
        .optional(),
      retry: retrySchema.default(() => ({ ...DEFAULT_RETRY })),
      timeoutMs: intIn('timeoutMs', TIMEOUT_BOUNDS).default(DEFAULT_TIMEOUT_MS),
      /** Hookflow-to-Hookflow webhooks that led to this one (src/self/credential.ts), 0 when absent: a feature started by an event passes the event's `hops`. */
      hops: intIn('hops', HOPS_BOUNDS).optional(),
      tags: z
        .record(z.string(), z.string({ error: 'must be a string' }).max(256, { error: 'must be at most 256 characters' }), {
          error: 'must be an object of strings',
        })
        .superRefine((tags, ctx) => {
          const keys = Object.keys(tags);
          if (keys.length > MAX_TAGS) ctx.addIssue({ code: 'custom', message: `at most ${MAX_TAGS} tags` });
          for (const key of keys) {
            if (!TAG_KEY.test(key)) {
              ctx.addIssue({ code: 'custom', path: [key], message: 'tag names are 1-64 of A-Z a-z 0-9 _ . : -' });
            }
          }
        })
        .default({}),
    })
    .superRefine((w, ctx) => {
      const body = w.body;
      if (body === undefined || body === null) return;
      if (w.method === 'GET') {
        ctx.addIssue({ code: 'custom', path: ['body'], message: 'a GET request carries no body' });
        return;
      }
      let serialised: string;
      try {
        serialised = typeof body === 'string' ? body : (JSON.stringify(body) ?? '');
      } catch (err) {
        ctx.addIssue({ code: 'custom', path: ['body'], message: `cannot be sent as JSON: ${(err as Error).message}` });
        return;
      }
      const bytes = Buffer.byteLength(serialised);
      if (bytes > limits.maxBodyBytes) {
        ctx.addIssue({
          code: 'custom',
          path: ['body'],
          message: `is ${bytes} bytes, more than the ${limits.maxBodyBytes} allowed (HOOKFLOW_MAX_BODY_BYTES)`,
        });
      }
    });
}

export type Webhook = z.output<ReturnType<typeof webhookSchema>>;
/** What a caller passes to `send`: every field but `url` may be left out. */
export type WebhookInput = z.input<ReturnType<typeof webhookSchema>>;

function urlProblem(value: string): string | undefined {
  if (isSelfUrl(value)) return selfUrlProblem(value);
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return 'must be an absolute http or https URL';
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return `scheme must be http or https, not ${url.protocol.slice(0, -1)}`;
  if (!url.hostname) return 'must name a host';
  return undefined;
}

function secretProblem(value: string): string | undefined {
  const match = SECRET.exec(value);
  if (!match) return "must be 'whsec_' followed by base64";
  const bytes = Buffer.from(match[1], 'base64').length;
  if (bytes < 24 || bytes > 64) return `must encode 24 to 64 bytes, not ${bytes}`;
  return undefined;
}

function valueAt(input: unknown, path: PropertyKey[]): unknown {
  return path.reduce<unknown>((v, key) => (v !== null && typeof v === 'object' ? (v as Record<PropertyKey, unknown>)[key] : undefined), input);
}

/** zod's issues as field-named ones: `retry.maxAttempts: must be …`, `x: is not a known field`, `url: is required`. */
export function toFieldIssues(error: z.ZodError, input: unknown, root = '(webhook)'): FieldIssue[] {
  return error.issues.flatMap((issue): FieldIssue[] => {
    const path = issue.path.map(String).join('.');
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((key) => ({ field: path ? `${path}.${key}` : key, message: 'is not a known field' }));
    }
    if (issue.code === 'invalid_type' && valueAt(input, issue.path) === undefined) {
      return [{ field: path, message: 'is required' }];
    }
    return [{ field: path || root, message: issue.message }];
  });
}

/**
 * zod skips an object's refinements once one of its fields failed; this cross-field rule is
 * checked on the raw input too, so that every problem is reported at once.
 */
function intervalIssue(input: Record<string, unknown>): FieldIssue | undefined {
  const retry = input.retry as Record<string, unknown> | undefined;
  const initial = retry?.initialIntervalMs;
  const max = retry?.maxIntervalMs;
  if (typeof initial === 'number' && typeof max === 'number' && max < initial) {
    return { field: 'retry.maxIntervalMs', message: 'cannot be less than retry.initialIntervalMs' };
  }
  return undefined;
}

/** The webhook schema for these limits (also the OpenAPI document's request body). Building a zod schema costs more than using it: one per body limit, built once. */
const schemas = new Map<number, ReturnType<typeof webhookSchema>>();
export function schemaFor(limits: SchemaLimits): ReturnType<typeof webhookSchema> {
  let schema = schemas.get(limits.maxBodyBytes);
  if (!schema) schemas.set(limits.maxBodyBytes, (schema = webhookSchema(limits)));
  return schema;
}

/**
 * Validates `input` and fills in defaults. Throws InvalidWebhookError listing every problem.
 */
export function parseWebhook(input: unknown, limits: SchemaLimits): Webhook {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new InvalidWebhookError([{ field: '(webhook)', message: 'must be a JSON object' }]);
  }
  const result = schemaFor(limits).safeParse(input);
  if (!result.success) {
    const issues = toFieldIssues(result.error, input);
    const interval = intervalIssue(input as Record<string, unknown>);
    if (interval && !issues.some((i) => i.field === interval.field)) issues.push(interval);
    throw new InvalidWebhookError(issues);
  }
  return result.data;
}
