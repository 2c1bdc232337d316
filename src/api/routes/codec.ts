/**
 * Temporal's remote codec endpoints (`POST /codec/encode`, `/codec/decode`), so the Web UI can
 * show payloads decrypted to an operator. Only the Web UI's own origin (a browser sends Origin and
 * cannot forge it) or a caller with an API key may use them; everyone else gets 403.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Payload, PayloadCodec } from '@temporalio/common';
import { sendError } from '../errors';

interface JsonPayload {
  metadata?: Record<string, string>;
  data?: string;
}

const toPayload = (p: JsonPayload): Payload => ({
  metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64')])),
  data: Buffer.from(p.data ?? '', 'base64'),
});

const toJson = (p: Payload): JsonPayload => ({
  metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v ?? new Uint8Array()).toString('base64')])),
  data: Buffer.from(p.data ?? new Uint8Array()).toString('base64'),
});

export interface CodecRouteOptions {
  codec: PayloadCodec;
  uiOrigins: string[];
  isAuthorized(authorization: string | undefined): boolean;
}

export function codecRoutes(app: FastifyInstance, options: CodecRouteOptions): void {
  const allowedOrigin = (request: FastifyRequest): string | undefined => {
    const origin = request.headers.origin;
    return origin && options.uiOrigins.includes(origin) ? origin : undefined;
  };
  const cors = (reply: FastifyReply, origin: string): void => {
    reply.header('access-control-allow-origin', origin);
    reply.header('access-control-allow-credentials', 'true');
    reply.header('access-control-allow-methods', 'POST, OPTIONS');
    reply.header('access-control-allow-headers', 'content-type, x-namespace, authorization');
    reply.header('vary', 'origin');
  };

  for (const action of ['encode', 'decode'] as const) {
    app.options(`/codec/${action}`, async (request, reply) => {
      const origin = allowedOrigin(request);
      if (!origin) return sendError(reply, 403, 'forbidden', 'origin not allowed to use the codec');
      cors(reply, origin);
      return reply.code(204).send();
    });

    app.post<{ Body: { payloads?: JsonPayload[] } }>(`/codec/${action}`, async (request, reply) => {
      const origin = allowedOrigin(request);
      // A browser page from another origin must not read decrypted payloads, even with a key.
      if (request.headers.origin !== undefined && !origin) {
        return sendError(reply, 403, 'forbidden', 'origin not allowed to use the codec');
      }
      if (!origin && !options.isAuthorized(request.headers.authorization)) {
        return sendError(reply, 403, 'forbidden', 'the codec needs the Web UI origin or an API key');
      }
      if (origin) cors(reply, origin);
      const payloads = (request.body?.payloads ?? []).map(toPayload);
      const out = action === 'encode' ? await options.codec.encode(payloads) : await options.codec.decode(payloads);
      return { payloads: out.map(toJson) };
    });
  }
}
