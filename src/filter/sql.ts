/**
 * The SQL evaluator of a parsed filter: a boolean expression (never NULL) over a recipients row
 * and/or an events row, with its values as query parameters. It must agree with match.ts on every
 * input; test/integration/filter.test.ts runs the same cases through both against PostgreSQL.
 */
import type pg from 'pg';
import type { Condition, Filter } from './parse';

export interface SqlAliases {
  /** Alias of a `recipients` row, for `recipient.*` paths. */
  recipient?: string;
  /** Alias of an `events` row, for `event.*` paths. */
  event?: string;
}

/** Appends the filter's values to `params` and returns the expression that refers to them. */
export function filterSql(filter: Filter, aliases: SqlAliases, params: unknown[]): string {
  const param = (value: unknown, type: string): string => {
    params.push(value);
    return `$${params.length}::${type}`;
  };
  const expr = (f: Filter): string => {
    if (f.kind === 'all') return `(${f.of.map(expr).join(' AND ')})`;
    if (f.kind === 'any') return `(${f.of.map(expr).join(' OR ')})`;
    return condition(f, jsonAt(f, aliases, param), param);
  };
  return expr(filter);
}

/** The value at the path as jsonb; SQL NULL when missing. */
function jsonAt(c: Condition, aliases: SqlAliases, param: (value: unknown, type: string) => string): string {
  // Journey roots (entry, steps, context) live in a run, not in a table: no alias names them.
  const alias = c.root === 'event' || c.root === 'recipient' ? aliases[c.root] : undefined;
  if (!alias) throw new Error(`filterSql: no ${c.root} row to evaluate ${c.path} on`);
  const column = `${alias}.${c.field === 'id' ? 'id' : c.field === 'name' ? 'name' : c.field}`;
  if (c.keys.length === 0) return `to_jsonb(${column})`;
  // `->` with a text key follows object members only (it gives NULL on an array), like match.ts.
  return `(${column}${c.keys.map((k) => ` -> ${param(k, 'text')}`).join('')})`;
}

function condition(c: Condition, x: string, param: (value: unknown, type: string) => string): string {
  const json = (): string => param(JSON.stringify(c.value), 'jsonb');
  switch (c.op) {
    case 'exists':
      return c.value ? `(${x} IS NOT NULL)` : `(${x} IS NULL)`;
    case 'eq':
      return `COALESCE(${x} = ${json()}, false)`;
    case 'neq':
      return `COALESCE(${x} <> ${json()}, false)`;
    case 'in':
      return `EXISTS (SELECT 1 FROM jsonb_array_elements(${json()}) AS f(v) WHERE f.v = ${x})`;
    case 'contains': {
      const v = json();
      // CASE, not AND: PostgreSQL does not promise to evaluate AND's operands in order.
      return `(CASE jsonb_typeof(${x}) WHEN 'string' THEN jsonb_typeof(${v}) = 'string' AND strpos(${x} #>> '{}', ${v} #>> '{}') > 0 WHEN 'array' THEN EXISTS (SELECT 1 FROM jsonb_array_elements(${x}) AS f(v) WHERE f.v = ${v}) ELSE false END)`;
    }
    default: {
      const operator = { gt: '>', gte: '>=', lt: '<', lte: '<=' }[c.op];
      if (typeof c.value === 'number') {
        return `(CASE WHEN jsonb_typeof(${x}) = 'number' THEN (${x})::numeric ${operator} ${param(String(c.value), 'numeric')} ELSE false END)`;
      }
      return `(CASE WHEN jsonb_typeof(${x}) = 'string' THEN (${x} #>> '{}') COLLATE "C" ${operator} ${param(c.value, 'text')} COLLATE "C" ELSE false END)`;
    }
  }
}

/**
 * An audience: ids of the recipients a filter (on recipient.* paths) selects, in id order, a page
 * at a time (pass the last id of a page as `afterId` for the next).
 */
export async function selectRecipientIds(db: Pick<pg.Pool, 'query'>, filter: Filter, page: { afterId?: string; limit: number }): Promise<string[]> {
  const params: unknown[] = [page.afterId ?? '', page.limit];
  const where = filterSql(filter, { recipient: 'r' }, params);
  const { rows } = await db.query<{ id: string }>(`SELECT r.id FROM recipients r WHERE r.id > $1 AND ${where} ORDER BY r.id LIMIT $2`, params);
  return rows.map((r) => r.id);
}
