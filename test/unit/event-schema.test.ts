/** Events and recipient attributes: bad input is refused naming the field; good input is normalised. */
import { InvalidRequestError, type FieldIssue } from '../../src/errors';
import { parseEvents } from '../../src/event/schema';
import { combinePatches, parseRecipientId, parseRecipientPut } from '../../src/recipient/schema';

function issuesOf(work: () => unknown): FieldIssue[] {
  try {
    work();
  } catch (err) {
    expect(err).toBeInstanceOf(InvalidRequestError);
    return (err as InvalidRequestError).issues;
  }
  throw new Error('accepted');
}

const NOW = new Date('2026-11-29T10:00:00.000Z');

test('one event: an id is generated and the time defaults to now', () => {
  const [event] = parseEvents({ name: 'signed_up', recipientId: 'ada@example.com' }, NOW);
  expect(event).toEqual({ id: expect.stringMatching(/^ev_[0-9a-f]{32}$/), name: 'signed_up', recipientId: 'ada@example.com', properties: {}, time: NOW.toISOString(), hops: 0 });
});

test('a batch keeps its order, its ids and times (normalised to UTC)', () => {
  const events = parseEvents({
    events: [
      { id: 'a-1', name: 'x', recipientId: 'r1', time: '2026-11-29T12:00:00+02:00', properties: { n: 1 }, attributes: { plan: null } },
      { id: 'a-2', name: 'y', recipientId: 'r2' },
    ],
  }, NOW);
  expect(events.map((e) => [e.id, e.time])).toEqual([
    ['a-1', '2026-11-29T10:00:00.000Z'],
    ['a-2', NOW.toISOString()],
  ]);
  expect(events[0].attributes).toEqual({ plan: null });
});

test.each<[string, unknown, FieldIssue[]]>([
  ['no name, no recipient', {}, [{ field: 'name', message: 'is required' }, { field: 'recipientId', message: 'is required' }]],
  ['a recipient id outside the id rule', { name: 'x', recipientId: 'a b' }, [{ field: 'recipientId', message: 'must be 1-128 characters of A-Z, a-z, 0-9, _ . @ -' }]],
  ['an event id outside the id rule', { id: 'x/y', name: 'x', recipientId: 'r' }, [{ field: 'id', message: 'must be 1-128 characters of A-Z, a-z, 0-9, _ . @ -' }]],
  ['a name with a newline', { name: 'a\nb', recipientId: 'r' }, [{ field: 'name', message: 'must be 1-255 characters, no control characters' }]],
  ['properties not an object', { name: 'x', recipientId: 'r', properties: [1] }, [{ field: 'properties', message: 'must be a JSON object' }]],
  ['a bad time', { name: 'x', recipientId: 'r', time: 'yesterday' }, [{ field: 'time', message: 'must be an RFC 3339 time, e.g. 2026-11-28T12:00:00Z' }]],
  ['an unknown field', { name: 'x', recipientId: 'r', user: 'ada' }, [{ field: 'user', message: 'is not a known field' }]],
  ['a bad event in a batch', { events: [{ name: 'x', recipientId: 'r' }, { name: 'x', recipientId: '' }] }, [{ field: 'events.1.recipientId', message: 'must be 1-128 characters of A-Z, a-z, 0-9, _ . @ -' }]],
  ['an empty batch', { events: [] }, [{ field: 'events', message: 'must hold at least one event' }]],
  ['a batch of 101', { events: Array.from({ length: 101 }, () => ({ name: 'x', recipientId: 'r' })) }, [{ field: 'events', message: 'must hold at most 100 events' }]],
])('%s: 400 naming the field', (_name, input, expected) => {
  expect(issuesOf(() => parseEvents(input))).toEqual(expected);
});

test('properties are bounded in size', () => {
  const issues = issuesOf(() => parseEvents({ name: 'x', recipientId: 'r', properties: { blob: 'x'.repeat(70_000) } }));
  expect(issues).toEqual([{ field: 'properties', message: 'must be at most 65536 bytes as JSON' }]);
});

test('recipient writes: attributes must be an object; the id follows the id rule', () => {
  expect(issuesOf(() => parseRecipientPut({}))).toEqual([{ field: 'attributes', message: 'is required' }]);
  expect(issuesOf(() => parseRecipientPut({ attributes: 'pro' }))).toEqual([{ field: 'attributes', message: 'must be a JSON object' }]);
  expect(issuesOf(() => parseRecipientPut({ attributes: {}, plan: 'pro' }))).toEqual([{ field: 'plan', message: 'is not a known field' }]);
  expect(issuesOf(() => parseRecipientId('x'.repeat(129)))).toEqual([{ field: 'id', message: 'must be 1-128 characters of A-Z, a-z, 0-9, _ . @ -' }]);
});

test('writes combine in order: the last value of a key wins, null removes it', () => {
  expect(combinePatches([{ plan: 'pro', seats: 2 }, { plan: null, city: 'Paris' }, { seats: 3 }])).toEqual({ set: { seats: 3, city: 'Paris' }, remove: ['plan'] });
  expect(combinePatches([{ plan: null }, { plan: 'team' }])).toEqual({ set: { plan: 'team' }, remove: [] });
});
