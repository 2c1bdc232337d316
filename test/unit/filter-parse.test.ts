/** Filters that are not valid are refused with the place and the path named. */
import { InvalidRequestError, type FieldIssue } from '../../src/errors';
import { parseFilter, type ParseOptions } from '../../src/filter/parse';

function issuesOf(input: unknown, options?: ParseOptions): FieldIssue[] {
  try {
    parseFilter(input, options);
  } catch (err) {
    expect(err).toBeInstanceOf(InvalidRequestError);
    return (err as InvalidRequestError).issues;
  }
  throw new Error('the filter was accepted');
}

test.each<[string, unknown, FieldIssue[]]>([
  ['not an object', 'plan = pro', [{ field: 'where', message: 'must be an object: { all: [...] }, { any: [...] } or { path, op, value }' }]],
  ['an unknown root', { path: 'user.plan', op: 'eq', value: 'pro' }, [{ field: 'where.path', message: "'user.plan' is not a filter path: use event.name, event.properties.<key>, recipient.id or recipient.attributes.<key>" }]],
  ['attributes without a key', { path: 'recipient.attributes', op: 'exists', value: true }, [{ field: 'where.path', message: "'recipient.attributes' is not a filter path: use event.name, event.properties.<key>, recipient.id or recipient.attributes.<key>" }]],
  ['an empty key', { path: 'recipient.attributes..plan', op: 'eq', value: 'x' }, [{ field: 'where.path', message: "'recipient.attributes..plan' has an empty key (two dots in a row, or a dot at the end)" }]],
  ['a missing path', { op: 'eq', value: 1 }, [{ field: 'where.path', message: 'is required: a string; use event.name, event.properties.<key>, recipient.id or recipient.attributes.<key>' }]],
  ['an unknown op', { path: 'event.name', op: 'like', value: 'x' }, [{ field: 'where.op', message: 'must be one of eq, neq, gt, gte, lt, lte, in, exists, contains' }]],
  ['gt on a boolean', { path: 'event.properties.level', op: 'gt', value: true }, [{ field: 'where.value', message: 'must be a number or a string (no type coercion: it is compared with values of the same type) (for event.properties.level)' }]],
  ['exists without a boolean', { path: 'recipient.attributes.email', op: 'exists', value: 'yes' }, [{ field: 'where.value', message: 'must be true or false (for recipient.attributes.email)' }]],
  ['in with an empty list', { path: 'recipient.attributes.plan', op: 'in', value: [] }, [{ field: 'where.value', message: 'must be an array of 1 to 1000 values (for recipient.attributes.plan)' }]],
  ['in with an object', { path: 'recipient.attributes.plan', op: 'in', value: [{ a: 1 }] }, [{ field: 'where.value', message: 'must hold only strings (up to 4096 characters), numbers, booleans or null (for recipient.attributes.plan)' }]],
  ['eq with an array', { path: 'recipient.attributes.plan', op: 'eq', value: ['a'] }, [{ field: 'where.value', message: 'must be a string (up to 4096 characters), number, boolean or null (for recipient.attributes.plan)' }]],
  ['a missing value', { path: 'recipient.attributes.plan', op: 'eq' }, [{ field: 'where.value', message: 'is required (for recipient.attributes.plan)' }]],
  ['an unknown field', { path: 'event.name', op: 'eq', value: 'x', negate: true }, [{ field: 'where.negate', message: 'is not a known field (a filter is { all }, { any } or { path, op, value })' }]],
  ['an empty all', { all: [] }, [{ field: 'where.all', message: 'must be a non-empty array of filters' }]],
  ['all next to a condition', { all: [{ path: 'event.name', op: 'eq', value: 'x' }], path: 'event.name' }, [{ field: 'where.path', message: 'is not allowed next to all' }]],
  [
    'a bad path deep inside',
    { all: [{ path: 'event.name', op: 'eq', value: 'x' }, { any: [{ path: 'recipient.attributes.plan', op: 'eq', value: 'pro' }, { path: 'recipient.plan', op: 'eq', value: 'pro' }] }] },
    [{ field: 'where.all.1.any.1.path', message: "'recipient.plan' is not a filter path: use event.name, event.properties.<key>, recipient.id or recipient.attributes.<key>" }],
  ],
])('%s', (_name, input, expected) => {
  expect(issuesOf(input)).toEqual(expected);
});

test('an audience cannot filter on the event, and the field is named as the caller places it', () => {
  expect(issuesOf({ path: 'event.properties.level', op: 'gt', value: 1 }, { roots: ['recipient'], field: 'trigger.audience.where' })).toEqual([
    { field: 'trigger.audience.where.path', message: "'event.properties.level' cannot be used here: only recipient.* paths" },
  ]);
});

test('nesting and size are bounded', () => {
  let deep: unknown = { path: 'event.name', op: 'eq', value: 'x' };
  for (let i = 0; i < 12; i++) deep = { all: [deep] };
  expect(issuesOf(deep)[0].message).toBe('nests deeper than 10 levels');
  const wide = { any: Array.from({ length: 201 }, () => ({ path: 'event.name', op: 'eq', value: 'x' })) };
  expect(issuesOf(wide)).toEqual([{ field: 'where.any.200', message: 'the filter has more than 200 conditions' }]);
});

test('a valid filter parses into the shared form', () => {
  expect(parseFilter({ any: [{ path: 'recipient.attributes.profile.age', op: 'gte', value: 18 }, { path: 'event.name', op: 'in', value: ['a', 'b'] }] })).toEqual({
    kind: 'any',
    of: [
      { kind: 'condition', path: 'recipient.attributes.profile.age', root: 'recipient', field: 'attributes', keys: ['profile', 'age'], op: 'gte', value: 18 },
      { kind: 'condition', path: 'event.name', root: 'event', field: 'name', keys: [], op: 'in', value: ['a', 'b'] },
    ],
  });
});
