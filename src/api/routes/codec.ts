/**
 * Temporal's remote codec endpoints (`POST /codec/encode`, `/codec/decode`), so the Web UI can
 * show payloads decrypted to an operator. They decrypt, so they answer only a caller with an API
 * key, or a browser page from an origin the operator allowed (HOOKFLOW_UI_ORIGINS). A browser
 * cannot forge its Origin header but any other program can, so origins alone are trusted only when
 * an operator set them, or — `npm start`'s embedded Web UI — only from this machine.
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
  /** Trust `uiOrigins` only from loopback callers. */
  loopbackOnly: boolean;
  isAuthorized(authorization: string | undefined): boolean;
}

const LOOPBACK = new Set(['127.0.0.1', '::1', '::ffff:127.0.0.1']);

export function codecRoutes(app: FastifyInstance, options: CodecRouteOptions): void {
  const allowedOrigin = (request: FastifyRequest): string | undefined => {
    const origin = request.headers.origin;
    if (!origin || !options.uiOrigins.includes(origin)) return undefined;
    return !options.loopbackOnly || LOOPBACK.has(request.ip) ? origin : undefined;
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
        return sendError(reply, 403, 'forbidden', 'the codec needs an API key (or an allowed Web UI origin)');
      }
      if (origin) cors(reply, origin);
      const payloads = (request.body?.payloads ?? []).map(toPayload);
      const out = action === 'encode' ? await options.codec.encode(payloads) : await options.codec.decode(payloads);
      return { payloads: out.map(toJson) };
    });
  }
}
