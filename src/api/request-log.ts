/**
 * What the API logs of a request. Recipient ids are personal data (often e-mail addresses) and
 * appear in `/v1/recipients/:id` URLs, so the log shows the route with the id masked.
 */
import type { FastifyRequest } from 'fastify';

const RECIPIENT_URL = /^(\/v1\/recipients\/)[^/?]+/;

export function loggedUrl(url: string): string {
  return url.replace(RECIPIENT_URL, '$1***');
}

/** Fastify's own request fields, with the URL as loggedUrl gives it. */
export function requestSerializer(request: FastifyRequest): Record<string, unknown> {
  return {
    method: request.method,
    url: loggedUrl(request.url),
    host: request.host,
    remoteAddress: request.ip,
    remotePort: request.socket?.remotePort,
  };
}
