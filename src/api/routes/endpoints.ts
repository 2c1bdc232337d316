/** /v1/endpoints/gone: the URLs that answered 410 Gone, and re-enabling one. */
import type { FastifyInstance } from 'fastify';
import type { Hookflow } from '../../client/hookflow';

export function endpointRoutes(app: FastifyInstance, hookflow: Hookflow): void {
  app.get('/v1/endpoints/gone', async () => ({ data: await hookflow.goneEndpoints() }));

  app.delete<{ Params: { hash: string } }>('/v1/endpoints/gone/:hash', async (request, reply) => {
    await hookflow.reenableEndpoint(request.params.hash);
    return reply.code(204).send();
  });
}
