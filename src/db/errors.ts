/** Telling "PostgreSQL cannot be reached" apart from a bug in a query. */
import { DependencyUnavailableError } from '../errors';

/**
 * SQLSTATE classes of a lost or refused connection: 08 (connection exception), 57P (operator
 * intervention). 08P01, a protocol violation, is a bug in the caller (e.g. a wrong parameter count).
 */
const UNAVAILABLE_SQLSTATE = /^(08(?!P01)|57P)/;
const UNAVAILABLE_MESSAGE = /ECONNREFUSED|ECONNRESET|ETIMEDOUT|EHOSTUNREACH|ENOTFOUND|Connection terminated|timeout exceeded when trying to connect|the database system is (starting up|shutting down)/i;

export function isUnavailable(err: unknown): boolean {
  const e = err as { code?: unknown; message?: unknown };
  return (typeof e?.code === 'string' && (UNAVAILABLE_SQLSTATE.test(e.code) || /^E[A-Z]+$/.test(e.code))) || UNAVAILABLE_MESSAGE.test(String(e?.message ?? ''));
}

/** Runs a database call; a lost connection becomes DependencyUnavailableError (a 503 naming postgres). */
export async function onDatabase<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    if (isUnavailable(err)) throw new DependencyUnavailableError('postgres', err);
    throw err;
  }
}
