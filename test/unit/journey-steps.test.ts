/** The pure decisions of journey steps (src/journey/steps.ts) and the definition's schema, as tables. */
import { parseJourney } from '../../src/journey/schema';
import { delayEndsAt, experimentPath, readJsonPath, waitMatch } from '../../src/journey/steps';
import { InvalidRequestError } from '../../src/errors';

const at = (iso: string): number => Date.parse(iso);

describe('when a delay ends', () => {
  const delay = (spec: object) => ({ id: 'd', type: 'delay' as const, ...spec });
  test.each([
    ['seconds', { seconds: 90 }, '2026-11-29T07:00:00Z', '2026-11-29T07:01:30.000Z'],
    ['until in the future', { until: '2026-12-01T09:00:00Z' }, '2026-11-29T07:00:00Z', '2026-12-01T09:00:00.000Z'],
    ['until in the past goes on at once', { until: '2026-01-01T00:00:00Z' }, '2026-11-29T07:00:00Z', '2026-11-29T07:00:00.000Z'],
    ['a time of day later today (Paris, UTC+1 in winter)', { timeOfDay: '09:00', timezone: 'Europe/Paris' }, '2026-11-29T07:00:00Z', '2026-11-29T08:00:00.000Z'],
    ['a time of day already passed today: tomorrow', { timeOfDay: '07:30', timezone: 'Europe/Paris' }, '2026-11-29T07:00:00Z', '2026-11-30T06:30:00.000Z'],
    ['only on some days (a Sunday now, Mondays only)', { timeOfDay: '09:00', timezone: 'Europe/Paris', daysOfWeek: ['mon'] }, '2026-11-29T07:00:00Z', '2026-11-30T08:00:00.000Z'],
    ['the day summer time starts (Paris, UTC+2 from 03:00)', { timeOfDay: '09:00', timezone: 'Europe/Paris' }, '2026-03-29T00:30:00Z', '2026-03-29T07:00:00.000Z'],
    ['another zone (New York, UTC-5 in winter)', { timeOfDay: '09:00', timezone: 'America/New_York' }, '2026-11-29T07:00:00Z', '2026-11-29T14:00:00.000Z'],
  ])('%s', (_what, spec, now, expected) => {
    expect(new Date(delayEndsAt(delay(spec), at(now))).toISOString()).toBe(expected);
  });
});

test.each([
  [[30, 70], 0, 0],
  [[30, 70], 0.2999, 0],
  [[30, 70], 0.3, 1],
  [[30, 70], 0.9999, 1],
  [[0, 100], 0, 1],
  [[50, 50, 0], 0.99999999, 1],
])('experiment %j with draw %d takes path %d', (percents, draw, path) => {
  expect(experimentPath(percents, draw)).toBe(path);
});

test.each([
  ['{"a":{"b":7}}', '$.a.b', 7],
  ['{"items":[{"id":"x"},{"id":"y"}]}', '$.items[1].id', 'y'],
  ['{"a":{"b":7}}', '$.a', { b: 7 }],
  ['{"a":1}', '$.b', undefined],
  ['{"a":[1]}', '$.a.b', undefined],
  ['not json', '$.a', undefined],
  [`{"big":"${'x'.repeat(2_000)}"}`, '$.big', undefined],
  ['{"a":{"__proto__":1}}', '$.a.constructor', undefined],
])('reading %s at %s gives %j', (body, path, value) => {
  expect(readJsonPath(body, path)).toEqual(value);
});

test('a wait takes the first event in order that a ranked path matches, accepted from the entry on', () => {
  const event = (name: string, receivedAt: string, properties = {}) => ({ id: name, name, properties, receivedAt, attributes: {} });
  const inbox = [event('purchase', '2026-11-29T06:59:59Z'), event('click', '2026-11-29T07:00:01Z'), event('purchase', '2026-11-29T07:00:02Z', { amount: 5 }), event('purchase', '2026-11-29T07:00:03Z', { amount: 500 })];
  const paths = [{ event: 'purchase', where: { path: 'event.properties.amount', op: 'gt', value: 100 } }, { event: 'purchase' }];
  const context = (e: (typeof inbox)[number]) => ({ event: { name: e.name, properties: e.properties } });
  expect(waitMatch(paths, inbox, context, '2026-11-29T07:00:00Z')).toEqual({ eventIndex: 2, path: 1 });
  expect(waitMatch(paths.slice(0, 1), inbox, context, '2026-11-29T07:00:00Z')).toEqual({ eventIndex: 3, path: 0 });
  expect(waitMatch([{ event: 'signup' }], inbox, context, '2026-11-29T07:00:00Z')).toBeUndefined();
});

describe('the definition schema', () => {
  const issuesOf = (input: unknown): { field: string; message: string }[] => {
    try {
      parseJourney(input, { maxBodyBytes: 65_536, checkLiquid: (s) => (s.includes('{%') && !s.includes('%}') ? 'not closed' : undefined) });
    } catch (err) {
      if (err instanceof InvalidRequestError) return err.issues;
      throw err;
    }
    return [];
  };

  test('a definition with every step type passes', () => {
    expect(
      issuesOf({
        entry: { type: 'event', event: 'signup', where: { path: 'recipient.attributes.plan', op: 'eq', value: 'pro' } },
        exitOn: [{ event: 'unsubscribe' }],
        reEntry: { afterSeconds: 60 },
        steps: [
          { id: 'a', type: 'webhook', webhook: { url: 'https://example.com/x' }, next: 'b', onFailure: 'z', save: { id: '$.id' } },
          { id: 'b', type: 'delay', timeOfDay: '09:00', timezone: 'Europe/Paris', daysOfWeek: ['mon', 'tue'], next: 'c' },
          { id: 'c', type: 'split', paths: [{ when: { path: 'steps.a.statusCode', op: 'eq', value: 200 }, next: 'd' }], else: 'z' },
          { id: 'd', type: 'waitForEvent', windowSeconds: 60, paths: [{ event: 'purchase', next: 'e' }, { event: 'churn', exit: true }], timeout: 'e' },
          { id: 'e', type: 'experiment', paths: [{ percent: 50, next: 'f' }, { percent: 50, next: 'g' }] },
          { id: 'f', type: 'update', context: { n: '{{ context.n | default: 0 | plus: 1 }}' }, next: 'g' },
          { id: 'g', type: 'trigger', event: { name: 'done' }, next: 'z' },
          { id: 'z', type: 'exit' },
        ],
      }),
    ).toEqual([]);
  });

  test('every problem is named at once, by step id and field', () => {
    expect(
      issuesOf({
        entry: { type: 'webinar' },
        steps: [
          { id: 'x', type: 'experiment', paths: [{ percent: 30, next: 'y' }, { percent: 30, next: 'y' }] },
          { id: 'y', type: 'update', context: { n: '{% if x' }, next: 'x' },
          { id: 'y', type: 'exit' },
          { id: 'w', type: 'wait' },
        ],
      }).map((i) => i.field),
    ).toEqual(['entry.type', 'steps.y.id', 'steps.x.paths', 'steps.y.context.n', 'steps.w.type']);
  });
});
