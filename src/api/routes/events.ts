/** POST /v1/events: custom events, answered 202 once they are stored. */
import type { FastifyInstance } from 'fastify';
import type { Hookflow } from '../../client/hookflow';
import type { EventInput } from '../../event/schema';

export function eventRoutes(app: FastifyInstance, hookflow: Hookflow): void {
  app.post('/v1/events', async (request, reply) => {
    const accepted = await hookflow.track(request.body as EventInput, { hops: request.hops });
    return reply.code(202).send({ events: accepted });
  });
}
