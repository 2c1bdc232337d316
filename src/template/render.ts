/**
 * Renders one template version for one recipient: the request it makes, or a TemplateRenderError
 * naming the variable (or filter, or limit) and the field. Pure apart from the nonce, which the
 * caller may pass: the same inputs render the same request.
 *
 * JSON bodies are rendered leaf by leaf; a leaf that is exactly one output expression keeps the
 * value's JSON type (`"{{ event.properties.level }}"` → 12). `{{ secrets.NAME }}` renders as a
 * marker (src/template/secrets.ts) that only the send activity replaces.
 */
import { randomBytes } from 'node:crypto';
import { Drop, Output } from 'liquidjs';
import { describeLiquidError } from './check';
import type { LiquidEngine } from './liquid';
import { templateParts, type TemplatePart } from './parts';
import type { TemplateContent } from './schema';
import { hasSecretMarker, secretMarker, type SecretPlace } from './secrets';

export interface TemplateVersion {
  id: string;
  version: number;
  content: TemplateContent;
}

/** The variables of a template. A missing one is an error when the template uses it. */
export interface RenderContext {
  recipient?: { id: string; attributes: Record<string, unknown> };
  trigger?: Record<string, unknown>;
  event?: { name: string; properties: Record<string, unknown> };
  campaign?: { id: string };
  webhook?: { id: string };
  /** A journey's run: its entry properties, step results, context and the journey itself. */
  entry?: Record<string, unknown>;
  steps?: Record<string, unknown>;
  context?: Record<string, unknown>;
  journey?: { id: string; version: number };
  /** RFC 3339. */
  now: string;
}

export interface RenderedRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
  /** A JSON value, or a string for a text template. */
  body?: unknown;
  /** The marker of the signing secret, when the template names one. */
  signingSecret?: string;
  /** The nonce of this render's secret markers. */
  secretNonce: string;
}

export class TemplateRenderError extends Error {
  constructor(
    /** The part that failed: `url`, `headers.X`, `body.a.b`. */
    readonly field: string,
    /** What failed, starting with the variable when one is missing: `recipient.attributes.email is not defined`. */
    readonly detail: string,
  ) {
    super(`${detail} (in ${field})`);
    this.name = 'TemplateRenderError';
  }

  /** The webhook's failure reason. */
  get reason(): string {
    return `render_error: ${this.message}`;
  }
}

export const newSecretNonce = (): string => randomBytes(16).toString('hex');

/** `secrets.NAME` → the marker for where it stands. Any other use of `secrets` is refused at save. */
class SecretsDrop extends Drop {
  constructor(
    private readonly nonce: string,
    private readonly place: SecretPlace,
  ) {
    super();
  }
  liquidMethodMissing(name: string): string {
    return secretMarker(this.nonce, this.place, name);
  }
}

export function renderTemplate(engine: LiquidEngine, template: TemplateVersion, context: RenderContext, nonce = newSecretNonce()): RenderedRequest {
  const { content } = template;
  const variables: Record<string, unknown> = { now: context.now };
  for (const key of ['recipient', 'trigger', 'event', 'campaign', 'webhook', 'entry', 'steps', 'context', 'journey'] as const) {
    if (context[key] !== undefined) variables[key] = context[key];
  }
  // In templateParts' order: the URL, each header, then the body's leaves (rebuilt in the same order).
  const rendered = templateParts(content).map((part) => renderPart(engine, part, variables, nonce));
  let next = 0;
  const take = (): unknown => rendered[next++];

  const url = take() as string;
  // The host decides where the secret goes: it must come from the template, never a secret or a value.
  const origin = /^[^:/?#]*:\/\/[^/?#]*/.exec(url)?.[0] ?? url;
  if (hasSecretMarker(origin, nonce)) throw new TemplateRenderError('url', 'a secret cannot stand in the URL\'s scheme or host');

  const headers: Record<string, string> = {};
  for (const name of Object.keys(content.headers)) headers[name] = take() as string;
  const request: RenderedRequest = { method: content.method, url, headers, secretNonce: nonce };
  if (typeof content.body === 'string') request.body = take();
  else if (content.body !== undefined && content.body !== null) request.body = rebuild(content.body, take);
  else if (content.body === null) request.body = null;
  if (content.signingSecret) request.signingSecret = secretMarker(nonce, 'signing', content.signingSecret.secret);
  return request;
}

function renderPart(engine: LiquidEngine, part: TemplatePart, variables: Record<string, unknown>, nonce: string): unknown {
  const scope = { ...variables, secrets: new SecretsDrop(nonce, part.place) };
  try {
    const parsed = engine.parse(part.source);
    const only = parsed.length === 1 ? parsed[0] : undefined;
    if (part.place === 'json' && only instanceof Output && only.token.input.slice(only.token.begin, only.token.end) === part.source) {
      // One whole output expression: the value keeps its JSON type.
      return asJson(engine.liquid.evalValueSync(only.token.content, scope), part.field);
    }
    return engine.liquid.renderSync(parsed, scope);
  } catch (err) {
    if (err instanceof TemplateRenderError) throw err;
    throw new TemplateRenderError(part.field, describeRenderError(err));
  }
}

/**
 * One Liquid value outside a template (a journey's update step): a source that is exactly one
 * output expression keeps its value's JSON type (`{{ context.n | plus: 1 }}` → 2), anything else
 * renders as a string. Secrets are not available here.
 */
export function renderLiquidValue(engine: LiquidEngine, source: string, field: string, variables: Record<string, unknown>): unknown {
  if (/(^|[^\w.$"'[])secrets\b/.test(source)) throw new TemplateRenderError(field, 'secrets are not available here');
  return renderPart(engine, { field, source, place: 'json' }, variables, newSecretNonce());
}

function describeRenderError(err: unknown): string {
  const message = String((err as Error)?.message ?? err);
  const variable = /undefined variable: ([^,]+)/.exec(message);
  if (variable) return `${variable[1]} is not defined`;
  const filter = /undefined filter: ([^,]+)/.exec(message);
  if (filter) return `filter ${filter[1]} does not exist`;
  if (/render limit|memory alloc limit/.test(message)) {
    return `${message.replace(/, line:\d+, col:\d+$/, '')} (HOOKFLOW_TEMPLATE_RENDER_MS / HOOKFLOW_TEMPLATE_MEMORY_BYTES)`;
  }
  return describeLiquidError(err);
}

function asJson(value: unknown, field: string): unknown {
  if (value === undefined || value === null) return null;
  if (typeof value === 'number' && !Number.isFinite(value)) throw new TemplateRenderError(field, `${value} is not a JSON number`);
  if (value instanceof Drop) throw new TemplateRenderError(field, 'the value is not JSON');
  if (typeof value === 'object') return JSON.parse(JSON.stringify(value)) as unknown;
  return value;
}

function rebuild(value: unknown, take: () => unknown): unknown {
  if (typeof value === 'string') return take();
  if (Array.isArray(value)) return value.map((v) => rebuild(v, take));
  if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, rebuild(v, take)]));
  return value;
}
