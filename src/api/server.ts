/**
 * The HTTP API: a thin Fastify layer over the client SDK, plus health and the Web UI's codec.
 */
import Fastify, { type FastifyInstance } from 'fastify';
import type { PayloadCodec } from '@temporalio/common';
import type { Hookflow } from '../client/hookflow';
import type { HookflowMetrics } from '../metrics/registry';
import { createKeyChecker } from './auth';
import { errorHandler, sendError } from './errors';
import { healthRoute, type DependencyCheck } from './health';
import { requestSerializer } from './request-log';
import { campaignRoutes } from './routes/campaigns';
import { codecRoutes } from './routes/codec';
import { dashboardRoutes, isDashboardPublic } from './routes/dashboard';
import { endpointRoutes } from './routes/endpoints';
import { eventRoutes } from './routes/events';
import { hostRoutes } from './routes/hosts';
import { journeyRoutes } from './routes/journeys';
import { metricsRoute } from './routes/metrics';
import { DOCS_ROUTES, registerOpenApi } from './openapi/document';
import { recipientRoutes } from './routes/recipients';
import { reportRoutes, type ReportRouteOptions } from './routes/reports';
import { templateRoutes } from './routes/templates';
import { webhookRoutes } from './routes/webhooks';
import { admitSelfRequest, type SelfRequests } from './self';
import { authenticate, sameOriginOrSafe } from './session';

export interface ApiOptions {
  hookflow: Hookflow;
  apiKeys: string[];
  codec: PayloadCodec;
  /** Browser origins (the Web UI) that may use the codec endpoints without an API key. */
  uiOrigins: string[];
  /**
   * Honour `uiOrigins` only for callers on this machine. For the embedded Web UI of `npm start`,
   * whose default origins are not an operator's explicit choice: an Origin header can be forged by
   * any program, so it must not open the codec to the network.
   */
  uiOriginsFromLoopbackOnly?: boolean;
  maxBodyBytes: number;
  logLevel?: string;
  /** What /healthz checks. @default Temporal, and PostgreSQL when the SDK has one */
  dependencies?: DependencyCheck[];
  /** Served at GET /metrics (with the API key) when given. */
  metrics?: HookflowMetrics;
  /** Links from the dashboard and reports to the Temporal Web UI. @default no links, namespace `default` */
  reports?: ReportRouteOptions;
  /** Accept Hookflow-to-Hookflow webhooks (src/api/self.ts). @default the internal credential is refused */
  self?: SelfRequests;
}

const PUBLIC_ROUTES = new Set(['/healthz']);

export function buildApi(options: ApiOptions): FastifyInstance {
  const app = Fastify({
    logger: { level: options.logLevel ?? 'info', redact: ['req.headers.authorization'], serializers: { req: requestSerializer } },
    // JSON escapes can make a body several times its sent size; the schema enforces the real limit
    // with a message that names the field.
    bodyLimit: options.maxBodyBytes * 6 + 1_048_576,
  });
  const isAuthorized = createKeyChecker(options.apiKeys);
  const isInternal = createKeyChecker(options.self ? [options.self.internalKey] : []);

  // Only JSON is accepted; without this, Fastify would parse text/plain into a string.
  app.removeContentTypeParser('text/plain');
  app.setErrorHandler(errorHandler);
  app.setNotFoundHandler((request, reply) => sendError(reply, 404, 'not_found', `no route ${request.method} ${request.url.split('?')[0]}`));

  app.decorateRequest('hops', 0);
  app.addHook('onRequest', async (request, reply) => {
    const path = request.url.split('?')[0];
    if (PUBLIC_ROUTES.has(path) || path.startsWith('/codec/') || isDashboardPublic(request.method, path) || DOCS_ROUTES.some((docs) => path === docs || path.startsWith(`${docs}/`))) return;
    if (options.self && isInternal(request.headers.authorization)) return admitSelfRequest(request, reply, path, options.self.maxHops);
    const by = authenticate(request, isAuthorized);
    if (!by) return sendError(reply, 401, 'unauthorized', 'send Authorization: Bearer <API key>');
    if (by === 'cookie' && !sameOriginOrSafe(request)) return sendError(reply, 403, 'cross_site', 'a request that changes something must come from the dashboard page (Origin)');
  });

  // The OpenAPI document (/openapi.json, /docs) sees the routes registered after it.
  registerOpenApi(app, { maxBodyBytes: options.maxBodyBytes });
  void app.register(async (api) => {
    healthRoute(api, options.dependencies ?? options.hookflow.healthChecks());
    webhookRoutes(api, options.hookflow);
    hostRoutes(api, options.hookflow);
    endpointRoutes(api, options.hookflow);
    recipientRoutes(api, options.hookflow);
    eventRoutes(api, options.hookflow);
    templateRoutes(api, options.hookflow);
    journeyRoutes(api, options.hookflow);
    campaignRoutes(api, options.hookflow);
    reportRoutes(api, options.hookflow, options.reports ?? { namespace: 'default' });
    dashboardRoutes(api, isAuthorized);
    if (options.metrics) metricsRoute(api, options.metrics);
    codecRoutes(api, { codec: options.codec, uiOrigins: options.uiOrigins, loopbackOnly: options.uiOriginsFromLoopbackOnly ?? false, isAuthorized });
  });
  return app;
}
