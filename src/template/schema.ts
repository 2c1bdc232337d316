/**
 * The one schema of a webhook template, and of a webhook sent from one, shared by the SDK and the
 * HTTP API. A template's URL, header values and body are Liquid; its header names, method and
 * options are not (they are checked here, once, at save).
 */
import { z } from 'zod';
import { InvalidRequestError, type FieldIssue } from '../errors';
import { isSelfUrl } from '../self/target';
import { HOPS_BOUNDS, parseWebhook, toFieldIssues, METHODS } from '../webhook/schema';

/** Ids of templates (and of the campaigns, journeys and recipients that use them). */
export const TEMPLATE_ID = /^[A-Za-z0-9_.@-]{1,128}$/;
/** `HOOKFLOW_SECRET_<NAME>`: what a `{{ secrets.NAME }}` or a `signingSecret: { secret }` names. */
export const SECRET_NAME = /^[A-Za-z0-9_]{1,64}$/;

const json = z.json({ error: 'must be a JSON value' });

export const templateSchema = z.strictObject({
  method: z
    .string({ error: `must be one of ${METHODS.join(', ')}` })
    .transform((m) => m.toUpperCase())
    .pipe(z.enum(METHODS, { error: `must be one of ${METHODS.join(', ')}` }))
    .default('POST'),
  url: z.string({ error: 'must be a string' }).min(1, { error: 'must not be empty' }),
  headers: z.record(z.string(), z.string({ error: 'must be a string' }), { error: 'must be an object of strings' }).default({}),
  body: json.optional(),
  description: z.string({ error: 'must be a string' }).max(1000, { error: 'must be at most 1000 characters' }).optional(),
  // Checked by the webhook schema itself (parseWebhook below), so the bounds are the same.
  retry: z.record(z.string(), z.unknown(), { error: 'must be an object' }).optional(),
  timeoutMs: z.unknown().optional(),
  signingSecret: z
    .strictObject({ secret: z.string({ error: 'must be a string' }).regex(SECRET_NAME, { error: 'must be 1-64 of A-Z a-z 0-9 _' }) }, { error: 'must be { secret: NAME }' })
    .optional(),
});

export type TemplateContent = z.output<typeof templateSchema>;
export type TemplateInput = z.input<typeof templateSchema>;

function objectOrIssue(input: unknown, root: string): asserts input is Record<string, unknown> {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new InvalidRequestError([{ field: root, message: 'must be a JSON object' }], 'invalid_template');
  }
}

export function checkTemplateId(id: string, field = 'id'): string {
  if (!TEMPLATE_ID.test(id)) throw new InvalidRequestError([{ field, message: 'must be 1-128 of A-Z a-z 0-9 _ . @ -' }], 'invalid_template');
  return id;
}

/**
 * Validates a template's shape, without its Liquid (src/template/check.ts parses that). Header
 * names, the options and the method go through the webhook schema, so a template can never hold
 * what a webhook could not.
 */
export function parseTemplateShape(input: unknown, maxBodyBytes: number): TemplateContent {
  objectOrIssue(input, '(template)');
  const result = templateSchema.safeParse(input);
  const issues: FieldIssue[] = result.success ? [] : toFieldIssues(result.error, input, '(template)');
  // Header names, options, method and body size follow the webhook's rules: checked with its schema,
  // on placeholders for what is Liquid, whether or not the rest of the template is well formed.
  const raw = input;
  const headers = typeof raw.headers === 'object' && raw.headers !== null && !Array.isArray(raw.headers) ? raw.headers : {};
  const probe: Record<string, unknown> = { url: 'https://template.invalid/', headers: Object.fromEntries(Object.keys(headers).map((name) => [name, ''])) };
  for (const field of ['method', 'retry', 'timeoutMs', 'body'] as const) if (raw[field] !== undefined) probe[field] = raw[field];
  try {
    parseWebhook(probe, { maxBodyBytes });
  } catch (err) {
    if (!(err instanceof InvalidRequestError)) throw err;
    for (const issue of err.issues) if (!issues.some((i) => i.field === issue.field)) issues.push(issue);
  }
  // A Hookflow-to-Hookflow template names its API path itself; Liquid may fill in what follows /v1/.
  if (typeof raw.url === 'string' && isSelfUrl(raw.url) && !/^hookflow:\/v1\//i.test(raw.url) && !issues.some((i) => i.field === 'url')) {
    issues.push({ field: 'url', message: "a hookflow: URL must be a path of Hookflow's API under /v1/ (hookflow:/v1/…)" });
  }
  if (issues.length > 0) throw new InvalidRequestError(issues, 'invalid_template');
  return result.data!;
}

const recipientSchema = z.strictObject({
  id: z.string({ error: 'must be a string' }).regex(TEMPLATE_ID, { error: 'must be 1-128 of A-Z a-z 0-9 _ . @ -' }),
  attributes: z.record(z.string(), json, { error: 'must be an object' }).default({}),
});
const eventSchema = z.strictObject({
  name: z.string({ error: 'must be a string' }).min(1, { error: 'must not be empty' }).max(255, { error: 'must be at most 255 characters' }),
  properties: z.record(z.string(), json, { error: 'must be an object' }).default({}),
});
const contextFields = {
  recipient: recipientSchema.optional(),
  trigger: z.record(z.string(), json, { error: 'must be an object' }).optional(),
  event: eventSchema.optional(),
};

/** `POST /v1/templates/:id/preview`: what the template is rendered with. */
export const previewSchema = z.strictObject(contextFields);
export type PreviewInput = z.input<typeof previewSchema>;
export type PreviewContext = z.output<typeof previewSchema>;

/** `POST /v1/webhooks` with a template instead of method, url, headers and body. */
const templatedSchema = z.strictObject({
  template: z.strictObject(
    {
      id: z.string({ error: 'must be a string' }).regex(TEMPLATE_ID, { error: 'must be 1-128 of A-Z a-z 0-9 _ . @ -' }),
      version: z.number({ error: 'must be a number' }).int({ error: 'must be an integer' }).min(1, { error: 'must be at least 1' }).optional(),
    },
    { error: 'must be { id, version? }' },
  ),
  ...contextFields,
  idempotencyKey: z.string({ error: 'must be a string' }).optional(),
  tags: z.record(z.string(), z.string(), { error: 'must be an object of strings' }).optional(),
  /** See the webhook schema's `hops`. */
  hops: z
    .number({ error: 'must be a number' })
    .int({ error: 'must be an integer' })
    .min(HOPS_BOUNDS[0], { error: `must be at least ${HOPS_BOUNDS[0]}` })
    .max(HOPS_BOUNDS[1], { error: `must be at most ${HOPS_BOUNDS[1]}` })
    .optional(),
});
export type TemplatedWebhookInput = z.input<typeof templatedSchema>;
export type TemplatedWebhook = z.output<typeof templatedSchema>;

export function parsePreview(input: unknown): PreviewContext {
  if (input === undefined || input === null) return {};
  objectOrIssue(input, '(preview)');
  const result = previewSchema.safeParse(input);
  if (!result.success) throw new InvalidRequestError(toFieldIssues(result.error, input, '(preview)'), 'invalid_request');
  return result.data;
}

/** A send names a template when it has a `template` field. */
export function isTemplated(input: unknown): boolean {
  return typeof input === 'object' && input !== null && !Array.isArray(input) && 'template' in input;
}

/** Validates a templated send; idempotencyKey and tags are checked by the webhook schema when it is rendered. */
export function parseTemplated(input: unknown): TemplatedWebhook {
  objectOrIssue(input, '(webhook)');
  const result = templatedSchema.safeParse(input);
  const issues = result.success ? [] : toFieldIssues(result.error, input);
  const raw = input as Record<string, unknown>;
  // idempotencyKey and tags follow the webhook's own rules, checked with its schema now, not after rendering.
  try {
    parseWebhook(
      { url: 'https://template.invalid/', ...(raw.idempotencyKey === undefined ? {} : { idempotencyKey: raw.idempotencyKey }), ...(raw.tags === undefined ? {} : { tags: raw.tags }) },
      { maxBodyBytes: 1 },
    );
  } catch (err) {
    if (!(err instanceof InvalidRequestError)) throw err;
    for (const issue of err.issues) if (!issues.some((i) => i.field === issue.field)) issues.push(issue);
  }
  if (issues.length > 0) throw new InvalidRequestError(issues, 'invalid_webhook');
  return result.data!;
}
