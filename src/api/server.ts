/**
 * The HTTP API: a thin Fastify layer over the client SDK, plus health and the Web UI's codec.
 */
import Fastify, { type FastifyInstance } from 'fastify';
import type { PayloadCodec } from '@temporalio/common';
import type { Hookflow } from '../client/hookflow';
import { createKeyChecker } from './auth';
import { errorHandler, sendError } from './errors';
import { codecRoutes } from './routes/codec';
import { hostRoutes } from './routes/hosts';
import { webhookRoutes } from './routes/webhooks';

export interface ApiOptions {
  hookflow: Hookflow;
  apiKeys: string[];
  codec: PayloadCodec;
  uiOrigins: string[];
  maxBodyBytes: number;
  logLevel?: string;
}

const PUBLIC_ROUTES = new Set(['/healthz']);

export function buildApi(options: ApiOptions): FastifyInstance {
  const app = Fastify({
    logger: { level: options.logLevel ?? 'info', redact: ['req.headers.authorization'] },
    // JSON escapes can make a body several times its sent size; the schema enforces the real limit
    // with a message that names the field.
    bodyLimit: options.maxBodyBytes * 6 + 1_048_576,
  });
  const isAuthorized = createKeyChecker(options.apiKeys);

  // Only JSON is accepted; without this, Fastify would parse text/plain into a string.
  app.removeContentTypeParser('text/plain');
  app.setErrorHandler(errorHandler);
  app.setNotFoundHandler((request, reply) => sendError(reply, 404, 'not_found', `no route ${request.method} ${request.url.split('?')[0]}`));

  app.addHook('onRequest', async (request, reply) => {
    const path = request.url.split('?')[0];
    if (PUBLIC_ROUTES.has(path) || path.startsWith('/codec/')) return;
    if (!isAuthorized(request.headers.authorization)) {
      return sendError(reply, 401, 'unauthorized', 'send Authorization: Bearer <API key>');
    }
  });

  app.get('/healthz', async (_request, reply) => {
    try {
      await options.hookflow.client.workflowService.getSystemInfo({});
      return { status: 'ok' };
    } catch (err) {
      return sendError(reply, 503, 'unavailable', `Temporal is not reachable: ${(err as Error).message}`);
    }
  });

  webhookRoutes(app, options.hookflow);
  hostRoutes(app, options.hookflow);
  codecRoutes(app, { codec: options.codec, uiOrigins: options.uiOrigins, isAuthorized });
  return app;
}
