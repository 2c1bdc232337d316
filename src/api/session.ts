/**
 * How a browser uses the API: it logs in once with an API key (POST /dashboard/session), kept in an
 * HttpOnly cookie that scripts cannot read and that never appears in a URL. A request with
 * `Authorization: Bearer <key>` works as before. Against cross-site requests, the cookie is
 * SameSite=Strict and every cookie-authenticated request that changes something must come from
 * the API's own origin (its Origin header, which browsers set on such requests and pages cannot forge).
 */
import type { FastifyReply, FastifyRequest } from 'fastify';

export const SESSION_COOKIE = 'hookflow_session';

/** The session cookie's key, if the request carries one. */
export function sessionKey(request: FastifyRequest): string | undefined {
  const header = request.headers.cookie;
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === SESSION_COOKIE) {
      try {
        return decodeURIComponent(part.slice(eq + 1).trim());
      } catch {
        return undefined;
      }
    }
  }
  return undefined;
}

export type Authenticated = 'bearer' | 'cookie' | undefined;

export function authenticate(request: FastifyRequest, isAuthorized: (authorization: string | undefined) => boolean): Authenticated {
  if (isAuthorized(request.headers.authorization)) return 'bearer';
  const key = sessionKey(request);
  if (key !== undefined && isAuthorized(`Bearer ${key}`)) return 'cookie';
  return undefined;
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Whether a cookie-authenticated request may act: reads always; anything else only with an Origin
 * naming this very host (a missing Origin is refused too: every browser sends one on a POST from a page).
 */
export function sameOriginOrSafe(request: FastifyRequest): boolean {
  if (SAFE_METHODS.has(request.method)) return true;
  const origin = request.headers.origin;
  if (typeof origin !== 'string' || origin === 'null') return false;
  if (request.headers['sec-fetch-site'] !== undefined && request.headers['sec-fetch-site'] !== 'same-origin') return false;
  try {
    // Host only, not scheme: behind a TLS proxy the API itself sees http.
    return new URL(origin).host === request.headers.host;
  } catch {
    return false;
  }
}

export function setSessionCookie(request: FastifyRequest, reply: FastifyReply, key: string | undefined): void {
  const secure = request.protocol === 'https' || request.headers['x-forwarded-proto'] === 'https' ? '; Secure' : '';
  const value = key === undefined ? '; Max-Age=0' : '; Max-Age=43200';
  reply.header('set-cookie', `${SESSION_COOKIE}=${key === undefined ? '' : encodeURIComponent(key)}; Path=/; HttpOnly; SameSite=Strict${value}${secure}`);
}
