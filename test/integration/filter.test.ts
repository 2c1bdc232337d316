/**
 * Filters: the in-memory evaluator and the SQL one agree, case by case, against the real
 * PostgreSQL (the test run's embedded cluster, in a database of this file's own).
 */
import pg from 'pg';
import { migrate } from '../../src/db/migrate';
import { matches, type FilterContext } from '../../src/filter/match';
import { parseFilter } from '../../src/filter/parse';
import { filterSql, selectRecipientIds } from '../../src/filter/sql';
import { createTestDatabase } from '../helpers/database';

let pool: pg.Pool;

beforeAll(async () => {
  const url = await createTestDatabase();
  await migrate(url);
  pool = new pg.Pool({ connectionString: url, max: 2 });
});

afterAll(async () => {
  await pool?.end();
});

const attributes = {
  plan: 'pro',
  seats: 12,
  ratio: 0.5,
  big: 1e21,
  active: true,
  nickname: null as unknown as string, // nested nulls are kept; see `profile`
  email: 'ada@example.com',
  tags: ['beta', 'vip', 7, null, true],
  profile: { country: 'FR', age: 36, middle: null, address: { city: 'Paris' } },
  numeric: '10',
  empty: '',
  unicode: 'é\u{1F600}',
  high: '\uFFFD',
  list: [{ a: 1 }],
};
// Top-level nulls are never stored (a null removes the key).
delete (attributes as Record<string, unknown>).nickname;

const event = { name: 'level_reached', properties: { level: 12, tier: 'gold', items: ['sword', 'shield'], meta: { source: 'ios' } } };

/** [filter, expected for recipient `ada` with `attributes` and `event`]. */
const CASES: [string, unknown, boolean][] = [
  ['eq string', { path: 'recipient.attributes.plan', op: 'eq', value: 'pro' }, true],
  ['eq string, other value', { path: 'recipient.attributes.plan', op: 'eq', value: 'free' }, false],
  ['eq does not coerce "10" to 10', { path: 'recipient.attributes.numeric', op: 'eq', value: 10 }, false],
  ['eq does not coerce 12 to "12"', { path: 'recipient.attributes.seats', op: 'eq', value: '12' }, false],
  ['eq number', { path: 'recipient.attributes.seats', op: 'eq', value: 12 }, true],
  ['eq number written as 12.0', { path: 'recipient.attributes.seats', op: 'eq', value: 12.0 }, true],
  ['eq big number', { path: 'recipient.attributes.big', op: 'eq', value: 1e21 }, true],
  ['eq boolean', { path: 'recipient.attributes.active', op: 'eq', value: true }, true],
  ['eq true is not 1', { path: 'recipient.attributes.active', op: 'eq', value: 1 }, false],
  ['eq null on a nested null', { path: 'recipient.attributes.profile.middle', op: 'eq', value: null }, true],
  ['eq null on a missing key', { path: 'recipient.attributes.nickname', op: 'eq', value: null }, false],
  ['eq on a missing path', { path: 'recipient.attributes.nope', op: 'eq', value: 'x' }, false],
  ['eq a scalar with an array', { path: 'recipient.attributes.tags', op: 'eq', value: 'beta' }, false],
  ['eq a scalar with an object', { path: 'recipient.attributes.profile', op: 'eq', value: 'FR' }, false],
  ['nested eq', { path: 'recipient.attributes.profile.address.city', op: 'eq', value: 'Paris' }, true],
  ['through a string is missing', { path: 'recipient.attributes.plan.length', op: 'exists', value: true }, false],
  ['arrays are not indexed', { path: 'recipient.attributes.tags.0', op: 'exists', value: true }, false],
  ['arrays are not indexed (object in array)', { path: 'recipient.attributes.list.0.a', op: 'eq', value: 1 }, false],
  ['no prototype keys', { path: 'recipient.attributes.constructor', op: 'exists', value: true }, false],
  ['no prototype keys, nested', { path: 'recipient.attributes.profile.toString', op: 'exists', value: true }, false],
  ['neq different', { path: 'recipient.attributes.plan', op: 'neq', value: 'free' }, true],
  ['neq same', { path: 'recipient.attributes.plan', op: 'neq', value: 'pro' }, false],
  ['neq other type', { path: 'recipient.attributes.seats', op: 'neq', value: '12' }, true],
  ['neq missing is false', { path: 'recipient.attributes.nope', op: 'neq', value: 'pro' }, false],
  ['neq on an object', { path: 'recipient.attributes.profile', op: 'neq', value: null }, true],
  ['gt number', { path: 'recipient.attributes.seats', op: 'gt', value: 10 }, true],
  ['gt equal', { path: 'recipient.attributes.seats', op: 'gt', value: 12 }, false],
  ['gte equal', { path: 'recipient.attributes.seats', op: 'gte', value: 12 }, true],
  ['lt fraction', { path: 'recipient.attributes.ratio', op: 'lt', value: 0.6 }, true],
  ['lte fraction', { path: 'recipient.attributes.ratio', op: 'lte', value: 0.49 }, false],
  ['gt on a numeric string is not coerced', { path: 'recipient.attributes.numeric', op: 'gt', value: 9 }, false],
  ['gt string vs string', { path: 'recipient.attributes.numeric', op: 'gt', value: '9' }, false],
  ['gt string lexicographic', { path: 'recipient.attributes.plan', op: 'gt', value: 'basic' }, true],
  ['lt string is case-sensitive by code point', { path: 'recipient.attributes.plan', op: 'lt', value: 'Zebra' }, false],
  ['gt string: astral above U+FFFD', { path: 'recipient.attributes.unicode', op: 'gt', value: '\u00e9\uFFFD' }, true],
  ['lt string: U+FFFD below an astral', { path: 'recipient.attributes.high', op: 'lt', value: '\u{1F600}' }, true],
  ['gt on a boolean', { path: 'recipient.attributes.active', op: 'gt', value: 0 }, false],
  ['gt on a missing path', { path: 'recipient.attributes.nope', op: 'gt', value: 0 }, false],
  ['gt on an object', { path: 'recipient.attributes.profile', op: 'gt', value: 'a' }, false],
  ['gte on the empty string', { path: 'recipient.attributes.empty', op: 'gte', value: '' }, true],
  ['in strings', { path: 'recipient.attributes.plan', op: 'in', value: ['free', 'pro'] }, true],
  ['in without it', { path: 'recipient.attributes.plan', op: 'in', value: ['free', 'team'] }, false],
  ['in does not coerce', { path: 'recipient.attributes.seats', op: 'in', value: ['12', 13] }, false],
  ['in numbers', { path: 'recipient.attributes.seats', op: 'in', value: [11, 12] }, true],
  ['in with null on a nested null', { path: 'recipient.attributes.profile.middle', op: 'in', value: [null] }, true],
  ['in on a missing path', { path: 'recipient.attributes.nope', op: 'in', value: [null, 'x'] }, false],
  ['in on an array value', { path: 'recipient.attributes.tags', op: 'in', value: ['beta'] }, false],
  ['exists true', { path: 'recipient.attributes.email', op: 'exists', value: true }, true],
  ['exists false on present', { path: 'recipient.attributes.email', op: 'exists', value: false }, false],
  ['exists false on missing', { path: 'recipient.attributes.phone', op: 'exists', value: false }, true],
  ['exists true on a nested null', { path: 'recipient.attributes.profile.middle', op: 'exists', value: true }, true],
  ['exists false below a missing parent', { path: 'recipient.attributes.nope.deeper', op: 'exists', value: false }, true],
  ['contains substring', { path: 'recipient.attributes.email', op: 'contains', value: '@example.' }, true],
  ['contains is case-sensitive', { path: 'recipient.attributes.email', op: 'contains', value: 'ADA' }, false],
  ['contains the empty string', { path: 'recipient.attributes.email', op: 'contains', value: '' }, true],
  ['contains a number in a string', { path: 'recipient.attributes.numeric', op: 'contains', value: 1 }, false],
  ['contains array element', { path: 'recipient.attributes.tags', op: 'contains', value: 'vip' }, true],
  ['contains array number', { path: 'recipient.attributes.tags', op: 'contains', value: 7 }, true],
  ['contains array no coercion', { path: 'recipient.attributes.tags', op: 'contains', value: '7' }, false],
  ['contains array null', { path: 'recipient.attributes.tags', op: 'contains', value: null }, true],
  ['contains array boolean', { path: 'recipient.attributes.tags', op: 'contains', value: true }, true],
  ['contains array substring is not an element', { path: 'recipient.attributes.tags', op: 'contains', value: 'bet' }, false],
  ['contains on a number', { path: 'recipient.attributes.seats', op: 'contains', value: 1 }, false],
  ['contains on an object', { path: 'recipient.attributes.profile', op: 'contains', value: 'FR' }, false],
  ['contains on a missing path', { path: 'recipient.attributes.nope', op: 'contains', value: 'x' }, false],
  ['recipient.id eq', { path: 'recipient.id', op: 'eq', value: 'ada' }, true],
  ['recipient.id contains', { path: 'recipient.id', op: 'contains', value: 'd' }, true],
  ['recipient.id gt', { path: 'recipient.id', op: 'gt', value: 'b' }, false],
  ['event.name eq', { path: 'event.name', op: 'eq', value: 'level_reached' }, true],
  ['event.properties gte', { path: 'event.properties.level', op: 'gte', value: 10 }, true],
  ['event.properties lt', { path: 'event.properties.level', op: 'lt', value: 10 }, false],
  ['event.properties nested', { path: 'event.properties.meta.source', op: 'in', value: ['ios', 'android'] }, true],
  ['event.properties array contains', { path: 'event.properties.items', op: 'contains', value: 'sword' }, true],
  ['all: every one', { all: [{ path: 'recipient.attributes.plan', op: 'eq', value: 'pro' }, { path: 'event.properties.level', op: 'gte', value: 10 }] }, true],
  ['all: one fails', { all: [{ path: 'recipient.attributes.plan', op: 'eq', value: 'pro' }, { path: 'event.properties.level', op: 'gte', value: 20 }] }, false],
  ['any: one holds', { any: [{ path: 'recipient.attributes.plan', op: 'eq', value: 'free' }, { path: 'recipient.attributes.nope', op: 'exists', value: false }] }, true],
  ['any: none holds', { any: [{ path: 'recipient.attributes.plan', op: 'eq', value: 'free' }, { path: 'recipient.attributes.nope', op: 'gt', value: 1 }] }, false],
  [
    'nested all/any with missing paths',
    { all: [{ any: [{ path: 'recipient.attributes.nope', op: 'neq', value: 1 }, { path: 'recipient.attributes.profile.age', op: 'gte', value: 18 }] }, { path: 'recipient.attributes.profile.country', op: 'in', value: ['FR', 'DE'] }] },
    true,
  ],
];

const context: FilterContext = { event, recipient: { id: 'ada', attributes } };

/** The SQL evaluator on one recipients row and one events row, built from the same context. */
async function inSql(filter: ReturnType<typeof parseFilter>): Promise<boolean> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await client.query(`INSERT INTO recipients (id, attributes) VALUES ('ada', $1)`, [JSON.stringify(attributes)]);
    await client.query(`INSERT INTO events (id, name, recipient_id, properties, time) VALUES ('e1', $1, 'ada', $2, now())`, [event.name, JSON.stringify(event.properties)]);
    const params: unknown[] = [];
    const where = filterSql(filter, { recipient: 'r', event: 'e' }, params);
    const { rows } = await client.query<{ m: boolean }>(`SELECT ${where} AS m FROM recipients r JOIN events e ON e.recipient_id = r.id`, params);
    return rows[0].m;
  } finally {
    await client.query('ROLLBACK');
    client.release();
  }
}

test.each(CASES)('%s: memory and SQL agree', async (_name, input, expected) => {
  const filter = parseFilter(input);
  expect(matches(filter, context)).toBe(expected);
  await expect(inSql(filter)).resolves.toBe(expected);
});

test('a missing recipient or event in memory is a missing path', () => {
  expect(matches(parseFilter({ path: 'event.name', op: 'exists', value: false }), { recipient: { id: 'ada', attributes } })).toBe(true);
  expect(matches(parseFilter({ path: 'event.name', op: 'eq', value: 'x' }), {})).toBe(false);
});

test('an audience selects by attributes in SQL, a page at a time, as the in-memory filter would', async () => {
  const people = Array.from({ length: 30 }, (_, i) => ({ id: `user-${String(i).padStart(2, '0')}`, attributes: { plan: i % 3 === 0 ? 'pro' : 'free', seats: i, ...(i % 4 === 0 ? { email: `u${i}@example.com` } : {}) } }));
  await pool.query('INSERT INTO recipients (id, attributes) SELECT * FROM unnest($1::text[], $2::jsonb[])', [people.map((p) => p.id), people.map((p) => JSON.stringify(p.attributes))]);
  const filter = parseFilter(
    { all: [{ path: 'recipient.attributes.plan', op: 'eq', value: 'pro' }, { any: [{ path: 'recipient.attributes.seats', op: 'gte', value: 20 }, { path: 'recipient.attributes.email', op: 'exists', value: true }] }] },
    { roots: ['recipient'] },
  );
  const selected: string[] = [];
  for (let afterId: string | undefined; ; ) {
    const page = await selectRecipientIds(pool, filter, { afterId, limit: 2 });
    selected.push(...page);
    if (page.length < 2) break;
    afterId = page[page.length - 1];
  }
  const expected = people.filter((p) => matches(filter, { recipient: p })).map((p) => p.id);
  expect(expected).toEqual(['user-00', 'user-12', 'user-21', 'user-24', 'user-27']);
  expect(selected).toEqual(expected);
});
