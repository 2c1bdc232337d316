/** /v1/webhooks: trigger, read, cancel and retry webhooks, each a call into the client SDK. */
import type { FastifyInstance } from 'fastify';
import type { Hookflow } from '../../client/hookflow';
import { WebhookNotFoundError } from '../../errors';

const ID = /^wh_[0-9a-f]{32}$/;

export function webhookRoutes(app: FastifyInstance, hookflow: Hookflow): void {
  const checkId = (id: string): string => {
    if (!ID.test(id)) throw new WebhookNotFoundError(id);
    return id;
  };

  app.post('/v1/webhooks', async (request, reply) => {
    const sent = await hookflow.send(request.body as never, { hops: request.hops });
    const { id, created } = sent;
    // A templated webhook whose render failed is accepted as a webhook, and is failed already.
    if (created) return reply.code(202).send({ id, status: sent.status ?? 'pending', ...(sent.reason === undefined ? {} : { reason: sent.reason }) });
    // The earlier webhook stands; its status as published, which needs no worker (one may be gone).
    return reply.code(200).send({ id, status: await hookflow.publishedStatus(id) });
  });

  app.post('/v1/webhooks/recover', async (request, reply) => {
    const { job, created } = await hookflow.recover(request.body as never);
    // 202 for a new job; 200 with the running job when the same filter already has one.
    return reply.code(created ? 202 : 200).send({ jobId: job.id, ...job });
  });

  app.get<{ Params: { id: string } }>('/v1/jobs/:id', async (request) => hookflow.job(request.params.id));

  app.get('/v1/webhooks', async (request) => hookflow.listWhere(request.query as Record<string, unknown>));

  app.get<{ Params: { id: string } }>('/v1/webhooks/:id', async (request) => hookflow.status(checkId(request.params.id)));

  app.get<{ Params: { id: string } }>('/v1/webhooks/:id/attempts', async (request) => ({ data: await hookflow.attempts(checkId(request.params.id)) }));

  app.post<{ Params: { id: string } }>('/v1/webhooks/:id/cancel', async (request) => hookflow.cancel(checkId(request.params.id)));

  app.post<{ Params: { id: string } }>('/v1/webhooks/:id/retry', async (request, reply) => {
    const { id } = await hookflow.retry(checkId(request.params.id));
    return reply.code(202).send({ id, status: 'pending' });
  });
}
