/** The in-memory evaluator of a parsed filter (semantics in parse.ts; sql.ts must agree). */
import type { Condition, Filter, Scalar } from './parse';

export interface FilterContext {
  event?: { name: string; properties: Record<string, unknown> };
  recipient?: { id: string; attributes: Record<string, unknown> };
  /** A journey run's entry properties, step results and context. */
  entry?: Record<string, unknown>;
  steps?: Record<string, unknown>;
  context?: Record<string, unknown>;
}

const MISSING = Symbol('missing');

export function matches(filter: Filter, context: FilterContext): boolean {
  switch (filter.kind) {
    case 'all':
      return filter.of.every((f) => matches(f, context));
    case 'any':
      return filter.of.some((f) => matches(f, context));
    default:
      return holds(filter, valueAt(filter, context));
  }
}

function valueAt(c: Condition, context: FilterContext): unknown {
  const root = context[c.root] as Record<string, unknown> | undefined;
  if (!root) return MISSING;
  if (!Object.hasOwn(root, c.field)) return MISSING;
  let value: unknown = root[c.field];
  for (const key of c.keys) {
    // Only object members: arrays are not indexed, and nothing comes from a prototype.
    if (typeof value !== 'object' || value === null || Array.isArray(value) || !Object.hasOwn(value, key)) return MISSING;
    value = (value as Record<string, unknown>)[key];
  }
  return value === undefined ? MISSING : value;
}

function holds(c: Condition, actual: unknown): boolean {
  if (c.op === 'exists') return (actual !== MISSING) === c.value;
  if (actual === MISSING) return false;
  const value = c.value;
  switch (c.op) {
    case 'eq':
      return same(actual, value as Scalar);
    case 'neq':
      return !same(actual, value as Scalar);
    case 'in':
      return (value as Scalar[]).some((v) => same(actual, v));
    case 'contains':
      if (typeof actual === 'string') return typeof value === 'string' && actual.includes(value);
      return Array.isArray(actual) && actual.some((element) => same(element, value as Scalar));
    default: {
      const order = compare(actual, value as Scalar);
      if (order === undefined) return false;
      return c.op === 'gt' ? order > 0 : c.op === 'gte' ? order >= 0 : c.op === 'lt' ? order < 0 : order <= 0;
    }
  }
}

/** JSON equality with a scalar: same type and value (an object or array never equals a scalar). */
function same(actual: unknown, value: Scalar): boolean {
  return actual === value;
}

/** Two numbers, or two strings by code point (PostgreSQL's "C" collation on UTF-8); else not comparable. */
function compare(a: unknown, b: Scalar): number | undefined {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  if (typeof a === 'string' && typeof b === 'string') return compareCodePoints(a, b);
  return undefined;
}

export function compareCodePoints(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    // UTF-16 puts surrogates (astral code points) below U+E000-U+FFFF; code point order does not.
    const surrogate = (u: number): boolean => u >= 0xd800 && u <= 0xdfff;
    if (surrogate(x) && !surrogate(y) && y >= 0xe000) return 1;
    if (surrogate(y) && !surrogate(x) && x >= 0xe000) return -1;
    return x - y;
  }
  return a.length - b.length;
}
