/** /v1/recipients/:id: a recipient's attributes (merged by PUT), and erasing a recipient. */
import type { FastifyInstance } from 'fastify';
import type { Hookflow } from '../../client/hookflow';
import { parseRecipientPut } from '../../recipient/schema';

export function recipientRoutes(app: FastifyInstance, hookflow: Hookflow): void {
  app.put<{ Params: { id: string } }>('/v1/recipients/:id', async (request) => {
    const attributes = parseRecipientPut(request.body);
    return hookflow.putRecipient(request.params.id, attributes);
  });

  app.get<{ Params: { id: string } }>('/v1/recipients/:id', async (request) => hookflow.recipient(request.params.id));

  app.delete<{ Params: { id: string } }>('/v1/recipients/:id', async (request) => {
    const erased = await hookflow.eraseRecipient(request.params.id);
    return { id: request.params.id, erased: true, events: erased.events };
  });
}
