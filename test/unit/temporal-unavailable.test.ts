/**
 * What counts as "Temporal is out of reach" (a 503 naming temporal) rather than a bug (a 500).
 * test/cluster shows the namespace case for real: PostgreSQL restarted under load.
 */
import { NamespaceNotFoundError } from '@temporalio/client';
import { DependencyUnavailableError } from '../../src/errors';
import { temporalUnavailable } from '../../src/temporal/unavailable';

test('"namespace not found" from a server whose database is down is Temporal unavailable, with the server\'s words', () => {
  const found = temporalUnavailable(new NamespaceNotFoundError('hookflow'));
  expect(found).toBeInstanceOf(DependencyUnavailableError);
  expect(found?.dependency).toBe('temporal');
  expect(found?.message).toContain('hookflow');
});

test('wrapped one level down, it is found too', () => {
  expect(temporalUnavailable(new Error('starting the workflow failed', { cause: new NamespaceNotFoundError('hookflow') }))?.dependency).toBe('temporal');
});

test('any other error is not called an outage', () => {
  expect(temporalUnavailable(new Error('a bug'))).toBeUndefined();
  expect(temporalUnavailable(new TypeError('x is undefined'))).toBeUndefined();
});

test('a call cancelled, unanswered or out of reach is Temporal unavailable; a refused one is not', () => {
  const grpc = (code: number) => Object.assign(new Error(`${code} grpc`), { code, details: '', metadata: {} });
  for (const code of [1, 4, 14]) expect(temporalUnavailable(new Error('Failed to query Workflow', { cause: grpc(code) }))?.dependency).toBe('temporal');
  // INVALID_ARGUMENT, NOT_FOUND, ALREADY_EXISTS, FAILED_PRECONDITION: a wrong question, a 4xx or a bug.
  for (const code of [3, 5, 6, 9]) expect(temporalUnavailable(grpc(code))).toBeUndefined();
});
