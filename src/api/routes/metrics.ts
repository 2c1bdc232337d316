/**
 * GET /metrics: the process's Prometheus metrics — with `npm start`, the worker's too. It needs the
 * API key like every route but /healthz: the API may face the network, and the breaker metric
 * names the hosts this deployment sends to. Prometheus sends it with
 * `authorization: { credentials_file: … }` in its scrape config (README, "Metrics").
 */
import type { FastifyInstance } from 'fastify';
import type { HookflowMetrics } from '../../metrics/registry';

export function metricsRoute(app: FastifyInstance, metrics: HookflowMetrics): void {
  app.get('/metrics', async (_request, reply) => reply.type(metrics.contentType).send(await metrics.text()));
}
