/** Bearer-key checks for the HTTP API. Keys are compared as SHA-256 digests in constant time. */
import { createHash, timingSafeEqual } from 'node:crypto';

const digest = (s: string): Buffer => createHash('sha256').update(s).digest();

export function createKeyChecker(keys: string[]): (authorization: string | undefined) => boolean {
  const digests = keys.map(digest);
  return (authorization) => {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '');
    if (!match) return false;
    const given = digest(match[1]);
    // Compare against every key so the time taken does not reveal which one matched.
    return digests.reduce((ok, d) => timingSafeEqual(d, given) || ok, false);
  };
}
