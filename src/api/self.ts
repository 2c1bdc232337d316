/**
 * Requests from Hookflow-to-Hookflow webhooks (src/self): made by a worker with the internal
 * credential, on /v1/ paths only, each `Hookflow-Hops` deep. Routes that start something pass
 * `request.hops` on (to webhooks, to events), so a chain ends at HOOKFLOW_MAX_HOPS.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { HOP_LIMIT, HOP_LIMIT_STATUS, HOPS_HEADER, parseHops } from '../self/credential';
import { sendError } from './errors';

declare module 'fastify' {
  interface FastifyRequest {
    /** Self webhooks that led to this request: `Hookflow-Hops` of an internal request, else 0. */
    hops: number;
  }
}

export interface SelfRequests {
  /** The internal API key (src/self/credential.ts internalApiKey). */
  internalKey: string;
  /** HOOKFLOW_MAX_HOPS */
  maxHops: number;
}

/** Admits an internally authenticated request, or answers it: 401 off /v1/, 400 for a malformed header, 508 past the hop limit. */
export function admitSelfRequest(request: FastifyRequest, reply: FastifyReply, path: string, maxHops: number): FastifyReply | undefined {
  if (!path.startsWith('/v1/')) return sendError(reply, 401, 'unauthorized', 'the internal credential of Hookflow-to-Hookflow webhooks is valid for /v1/ only');
  const hops = parseHops(request.headers[HOPS_HEADER]);
  if (hops === undefined) {
    return sendError(reply, 400, 'invalid_request', 'Hookflow-Hops: must be a whole number', { issues: [{ field: 'Hookflow-Hops', message: 'must be a whole number' }] });
  }
  if (hops > maxHops) {
    return sendError(reply, HOP_LIMIT_STATUS, HOP_LIMIT, `this request is hop ${hops} of a chain of Hookflow-to-Hookflow webhooks, more than the ${maxHops} allowed (HOOKFLOW_MAX_HOPS)`);
  }
  request.hops = hops;
  return undefined;
}
