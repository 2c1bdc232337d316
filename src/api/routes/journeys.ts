/** /v1/journeys: journey definitions, versions, entries and runs, each a call into the client SDK. */
import type { FastifyInstance } from 'fastify';
import type { Hookflow } from '../../client/hookflow';

export function journeyRoutes(app: FastifyInstance, hookflow: Hookflow): void {
  app.put<{ Params: { id: string } }>('/v1/journeys/:id', async (request, reply) => {
    const saved = await hookflow.saveJourney(request.params.id, request.body);
    return reply.code(saved.created ? 201 : 200).send({ id: saved.id, draft: 'saved' });
  });

  app.get<{ Params: { id: string } }>('/v1/journeys/:id', async (request) => hookflow.journey(request.params.id));

  app.post<{ Params: { id: string } }>('/v1/journeys/:id/publish', async (request, reply) => reply.code(201).send(await hookflow.publishJourney(request.params.id)));

  app.post<{ Params: { id: string } }>('/v1/journeys/:id/entries', async (request, reply) =>
    reply.code(202).send(await hookflow.enterJourney(request.params.id, request.body as never)),
  );

  app.post<{ Params: { id: string } }>('/v1/journeys/:id/migrate', async (request) => hookflow.migrateJourney(request.params.id, (request.body ?? {}) as never));

  app.get<{ Params: { id: string; recipientId: string } }>('/v1/journeys/:id/runs/:recipientId', async (request) => hookflow.journeyRun(request.params.id, request.params.recipientId));

  app.post<{ Params: { id: string; recipientId: string } }>('/v1/journeys/:id/runs/:recipientId/exit', async (request, reply) =>
    reply.code(202).send(await hookflow.exitJourneyRun(request.params.id, request.params.recipientId)),
  );
}
