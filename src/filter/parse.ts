/**
 * Filters, shared by event-triggered campaigns, audiences and journeys:
 *
 *   { all: [f, …] }   every one matches          { any: [f, …] }   at least one matches
 *   { path, op, value }                           a condition on one value
 *
 * Paths: `event.name`, `event.properties.<key>[.<key>…]`, `recipient.id`,
 * `recipient.attributes.<key>[.<key>…]`; each key names an object member (arrays are matched
 * whole, with `contains`). Ops: eq, neq, gt, gte, lt, lte, in, exists, contains.
 * Semantics, the same in memory (match.ts) and in SQL (sql.ts):
 * - no type coercion: `"10"` is not `10`, `gt` compares two numbers or two strings (by Unicode
 *   code point), anything else is false;
 * - a missing path is false for every op except `exists: false`; `neq` too needs the path present;
 * - `contains`: a substring of a string, or an element (equal, as eq) of an array;
 * - `in`: equal (as eq) to one of a list.
 *
 * This file turns input into the parsed form both evaluators share; an invalid filter throws
 * InvalidRequestError naming where it is (`where.all.1.path`) and the path it holds.
 */
import { InvalidRequestError, type FieldIssue } from '../errors';

export const OPS = ['eq', 'neq', 'gt', 'gte', 'lt', 'lte', 'in', 'exists', 'contains'] as const;
export type Op = (typeof OPS)[number];
export type Scalar = string | number | boolean | null;
/** `event` and `recipient` everywhere; a journey's run adds `entry`, `steps` and `context` (evaluated in memory only). */
export type Root = 'event' | 'recipient' | 'entry' | 'steps' | 'context';

export type Filter = { kind: 'all'; of: Filter[] } | { kind: 'any'; of: Filter[] } | Condition;

export interface Condition {
  kind: 'condition';
  /** As written, e.g. `recipient.attributes.plan`. */
  path: string;
  root: Root;
  /** `name`, `properties`, `id` or `attributes`; for `entry.a` and `context.a` the first key, for `steps.<id>.x` the step id. */
  field: string;
  /** Keys inside properties or attributes (or below `field` for the journey roots); empty for name and id. */
  keys: string[];
  op: Op;
  /** A scalar, a list of scalars for `in`, a boolean for `exists`. */
  value: Scalar | Scalar[];
}

export interface ParseOptions {
  /** Where the filter sits in the request, for error messages. @default 'where' */
  field?: string;
  /** Roots the caller can evaluate: an audience has no event; a journey's run adds entry, steps and context. @default event and recipient */
  roots?: Root[];
}

export const LIMITS = { depth: 10, conditions: 200, keys: 10, pathLength: 512, inValues: 1_000, stringLength: 4_096 };

const PATH_HELP = 'use event.name, event.properties.<key>, recipient.id or recipient.attributes.<key>';
const JOURNEY_PATH_HELP = `${PATH_HELP}; in a journey also entry.<key>, steps.<id>.<key> or context.<key>`;

export function parseFilter(input: unknown, options: ParseOptions = {}): Filter {
  const roots = options.roots ?? ['event', 'recipient'];
  const issues: FieldIssue[] = [];
  let conditions = 0;

  const node = (value: unknown, at: string, depth: number): Filter | undefined => {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      issues.push({ field: at, message: 'must be an object: { all: [...] }, { any: [...] } or { path, op, value }' });
      return undefined;
    }
    if (depth > LIMITS.depth) {
      issues.push({ field: at, message: `nests deeper than ${LIMITS.depth} levels` });
      return undefined;
    }
    const keys = Object.keys(value);
    const o = value as Record<string, unknown>;
    for (const kind of ['all', 'any'] as const) {
      if (!(kind in o)) continue;
      const extra = keys.filter((k) => k !== kind);
      if (extra.length > 0) {
        issues.push({ field: `${at}.${extra[0]}`, message: `is not allowed next to ${kind}` });
        return undefined;
      }
      const list = o[kind];
      if (!Array.isArray(list) || list.length === 0) {
        issues.push({ field: `${at}.${kind}`, message: 'must be a non-empty array of filters' });
        return undefined;
      }
      const of = list.map((item, i) => node(item, `${at}.${kind}.${i}`, depth + 1));
      return of.every((f) => f !== undefined) ? { kind, of: of as Filter[] } : undefined;
    }
    return condition(o, at);
  };

  const condition = (o: Record<string, unknown>, at: string): Condition | undefined => {
    const before = issues.length;
    for (const key of Object.keys(o)) if (!['path', 'op', 'value'].includes(key)) issues.push({ field: `${at}.${key}`, message: 'is not a known field (a filter is { all }, { any } or { path, op, value })' });
    if (++conditions === LIMITS.conditions + 1) issues.push({ field: at, message: `the filter has more than ${LIMITS.conditions} conditions` });
    const path = parsePath(o.path, `${at}.path`, roots, issues);
    const op = o.op;
    if (!OPS.includes(op as Op)) issues.push({ field: `${at}.op`, message: `must be one of ${OPS.join(', ')}` });
    const value = OPS.includes(op as Op) ? parseValue(op as Op, o.value, `${at}.value`, issues, o.path) : undefined;
    if (issues.length > before || !path) return undefined;
    return { kind: 'condition', ...path, op: op as Op, value: value! };
  };

  const filter = node(input, options.field ?? 'where', 0);
  if (issues.length > 0 || !filter) throw new InvalidRequestError(issues);
  return filter;
}

function parsePath(raw: unknown, at: string, roots: Root[], issues: FieldIssue[]): Pick<Condition, 'path' | 'root' | 'field' | 'keys'> | undefined {
  if (typeof raw !== 'string') {
    issues.push({ field: at, message: `is required: a string; ${PATH_HELP}` });
    return undefined;
  }
  const bad = (message: string): undefined => void issues.push({ field: at, message: `'${raw.slice(0, 100)}' ${message}` });
  if (raw.length > LIMITS.pathLength) return bad(`is longer than ${LIMITS.pathLength} characters`);
  const [root, field, ...keys] = raw.split('.');
  const journeyRoots = roots.some((r) => r === 'entry' || r === 'steps' || r === 'context');
  const known =
    (root === 'event' && ((field === 'name' && keys.length === 0) || (field === 'properties' && keys.length > 0))) ||
    (root === 'recipient' && ((field === 'id' && keys.length === 0) || (field === 'attributes' && keys.length > 0))) ||
    ((root === 'entry' || root === 'context') && field !== undefined) ||
    (root === 'steps' && field !== undefined && keys.length > 0);
  if (!known) return bad(`is not a filter path: ${journeyRoots ? JOURNEY_PATH_HELP : PATH_HELP}`);
  if (field === '' || keys.some((k) => k === '')) return bad('has an empty key (two dots in a row, or a dot at the end)');
  if (keys.length > LIMITS.keys) return bad(`has more than ${LIMITS.keys} keys`);
  if (!roots.includes(root as Root)) return bad(`cannot be used here: only ${roots.map((r) => `${r}.*`).join(' and ')} paths`);
  return { path: raw, root: root as Root, field, keys };
}

const isScalar = (v: unknown): v is Scalar =>
  v === null || typeof v === 'boolean' || (typeof v === 'number' && Number.isFinite(v)) || (typeof v === 'string' && v.length <= LIMITS.stringLength);

function parseValue(op: Op, value: unknown, at: string, issues: FieldIssue[], path: unknown): Scalar | Scalar[] | undefined {
  const named = typeof path === 'string' ? ` (for ${path.slice(0, 100)})` : '';
  const bad = (message: string): undefined => void issues.push({ field: at, message: `${message}${named}` });
  if (value === undefined) return bad(op === 'exists' ? 'is required: true or false' : 'is required');
  switch (op) {
    case 'exists':
      return typeof value === 'boolean' ? value : bad('must be true or false');
    case 'gt':
    case 'gte':
    case 'lt':
    case 'lte':
      return (typeof value === 'number' && Number.isFinite(value)) || (typeof value === 'string' && value.length <= LIMITS.stringLength)
        ? value
        : bad('must be a number or a string (no type coercion: it is compared with values of the same type)');
    case 'in':
      if (!Array.isArray(value) || value.length === 0 || value.length > LIMITS.inValues) return bad(`must be an array of 1 to ${LIMITS.inValues} values`);
      return value.every(isScalar) ? value : bad(`must hold only strings (up to ${LIMITS.stringLength} characters), numbers, booleans or null`);
    default:
      return isScalar(value) ? value : bad(`must be a string (up to ${LIMITS.stringLength} characters), number, boolean or null`);
  }
}
