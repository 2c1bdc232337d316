/** Tells Temporal being out of reach apart from every other failure of a Temporal call. */
import { isGrpcServiceError, NamespaceNotFoundError } from '@temporalio/client';
import { DependencyUnavailableError } from '../errors';

/**
 * gRPC status codes that mean "no answer", not "a wrong question": UNAVAILABLE, DEADLINE_EXCEEDED,
 * and CANCELLED — what a query gets when its call deadline passes while no worker answers it (seen
 * in test/cluster with a worker killed mid-run). Hookflow cancels no call of its own accord.
 */
const NO_ANSWER = new Set([14, 4, 1]);

/** A DependencyUnavailableError('temporal') when `err` (or what it wraps) says Temporal did not answer; else undefined. */
export function temporalUnavailable(err: unknown): DependencyUnavailableError | undefined {
  for (let e: unknown = err, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    if (e instanceof DependencyUnavailableError) return e;
    if (isGrpcServiceError(e) && NO_ANSWER.has(e.code)) return new DependencyUnavailableError('temporal', e);
    // A Temporal server whose own database is down answers "namespace not found" for a namespace
    // that exists (seen with PostgreSQL restarted under load). Not a Hookflow bug, and worth
    // retrying: a 503 naming temporal, whose message carries the server's words.
    if (e instanceof NamespaceNotFoundError) return new DependencyUnavailableError('temporal', e);
  }
  return undefined;
}
