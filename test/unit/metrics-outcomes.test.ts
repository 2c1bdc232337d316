/** What the delivery metrics count from each ledger record, and how the breaker metric bounds its hosts. */
import type { LedgerAttempt, LedgerRecord, LedgerWebhook } from '../../src/ledger/rows';
import { boundedHostStates, OTHER_HOSTS } from '../../src/metrics/host-states';
import { countsOf, statusClass } from '../../src/metrics/outcomes';

const webhook = (fields: Partial<LedgerWebhook>): LedgerWebhook => ({
  id: 'wh_1',
  seq: 1,
  createdAt: '2026-11-29T00:00:00.000Z',
  status: 'retrying',
  method: 'POST',
  origin: 'https://a.example',
  authority: 'a.example',
  tags: {},
  attemptCount: 1,
  ...fields,
});
const attempt = (number: number, fields: Partial<LedgerAttempt> = {}): LedgerAttempt => ({
  webhookId: 'wh_1',
  number,
  trigger: 'scheduled',
  startedAt: '2026-11-29T00:00:01.000Z',
  durationMs: 40,
  ...fields,
});
const final = (w: Partial<LedgerWebhook>, attempts: LedgerAttempt[]): LedgerRecord => ({
  webhook: webhook({ completedAt: '2026-11-29T00:00:03.000Z', ...w }),
  attempts,
  final: { input: {} as never },
});
const outcomes = (r: LedgerRecord): unknown => {
  const { attempts, delivery } = countsOf(r);
  return { attempts: attempts.map((a) => `${a.outcome} ${a.statusClass}`), delivery: delivery && `${delivery.outcome} ${delivery.statusClass} ${delivery.latencyMs ?? '-'}` };
};

test.each([
  [undefined, 'none'],
  [200, '2xx'],
  [302, '3xx'],
  [410, '4xx'],
  [503, '5xx'],
  [999, 'none'],
])('status %p is class %p', (code, cls) => expect(statusClass(code)).toBe(cls));

test.each<[string, LedgerRecord, unknown]>([
  ['a progress row: its attempt was retried', { webhook: webhook({}), attempts: [attempt(1, { statusCode: 503 })] }, { attempts: ['retried 5xx'], delivery: undefined }],
  ['a pause: nothing', { webhook: webhook({ status: 'paused' }), attempts: [] }, { attempts: [], delivery: undefined }],
  [
    'delivered: the last attempt decided, with the trigger-to-delivery time',
    final({ status: 'delivered' }, [attempt(1, { statusCode: 503 }), attempt(2, { statusCode: 204 })]),
    { attempts: ['delivered 2xx'], delivery: 'delivered 2xx 3000' },
  ],
  ['delivered by a manual retry: no latency', final({ status: 'delivered' }, [attempt(1, { statusCode: 204, trigger: 'manual' })]), { attempts: ['delivered 2xx'], delivery: 'delivered 2xx -' }],
  ['rejected', final({ status: 'failed', reason: 'rejected by the receiver' }, [attempt(1, { statusCode: 400 })]), { attempts: ['failed 4xx'], delivery: 'failed 4xx -' }],
  ['out of attempts', final({ status: 'failed', reason: 'receiver error; all 3 attempts used' }, [attempt(3, { statusCode: 500 })]), { attempts: ['failed 5xx'], delivery: 'failed 5xx -' }],
  ['blocked address', final({ status: 'failed', reason: 'address not allowed' }, [attempt(1, { errorCode: 'blocked' })]), { attempts: ['blocked none'], delivery: 'blocked none -' }],
  [
    'the window ended while it waited: that attempt was already counted as retried',
    final({ status: 'failed', reason: 'retry window ended while host a.example was open' }, [attempt(2, { statusCode: 503 })]),
    { attempts: [], delivery: 'failed 5xx -' },
  ],
  ['cancelled', final({ status: 'cancelled', reason: 'cancelled on request' }, [attempt(1, { statusCode: 503 })]), { attempts: [], delivery: 'cancelled 5xx -' }],
  ['cancelled before any attempt', final({ status: 'cancelled' }, []), { attempts: [], delivery: 'cancelled none -' }],
])('%s', (_what, record, expected) => expect(outcomes(record)).toEqual(expected));

test('the breaker metric names at most maxHosts hosts, those not closed first, and counts the rest per state', () => {
  const hosts = [
    { host: 'a', state: 'closed' as const, usedAtMs: 5 },
    { host: 'b', state: 'closed' as const, usedAtMs: 9 },
    { host: 'c', state: 'open' as const, usedAtMs: 1 },
    { host: 'd', state: 'closed' as const, usedAtMs: 1 },
    { host: 'e', state: 'paused' as const, usedAtMs: 0 },
  ];
  expect(boundedHostStates(hosts, 3)).toEqual([
    { host: 'c', state: 'open', count: 1 },
    { host: 'e', state: 'paused', count: 1 },
    { host: 'b', state: 'closed', count: 1 },
    { host: OTHER_HOSTS, state: 'closed', count: 2 },
  ]);
  expect(boundedHostStates(hosts, 0)).toEqual([
    { host: OTHER_HOSTS, state: 'open', count: 1 },
    { host: OTHER_HOSTS, state: 'paused', count: 1 },
    { host: OTHER_HOSTS, state: 'closed', count: 3 },
  ]);
});
