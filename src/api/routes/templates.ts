/** /v1/templates: save, read and preview webhook templates, each a call into the client SDK. */
import type { FastifyInstance } from 'fastify';
import type { Hookflow } from '../../client/hookflow';
import { InvalidRequestError } from '../../errors';
import type { StoredVersion } from '../../template/store';

function versionParam(raw: string): number {
  if (!/^[1-9]\d{0,8}$/.test(raw)) throw new InvalidRequestError([{ field: 'version', message: 'must be a positive integer' }]);
  return Number(raw);
}

const view = (t: StoredVersion) => ({ id: t.id, version: t.version, createdAt: t.createdAt, ...t.content });

export function templateRoutes(app: FastifyInstance, hookflow: Hookflow): void {
  app.put<{ Params: { id: string } }>('/v1/templates/:id', async (request, reply) => {
    const { id, version, created } = await hookflow.saveTemplate(request.params.id, request.body as never);
    // 201 for a new version, 200 when the content equals the latest one.
    return reply.code(created ? 201 : 200).send({ id, version });
  });

  app.get<{ Params: { id: string } }>('/v1/templates/:id', async (request) => view(await hookflow.template(request.params.id)));

  app.get<{ Params: { id: string; n: string } }>('/v1/templates/:id/versions/:n', async (request) =>
    view(await hookflow.template(request.params.id, versionParam(request.params.n))),
  );

  app.post<{ Params: { id: string }; Querystring: { version?: string } }>('/v1/templates/:id/preview', async (request) => {
    const version = request.query.version === undefined ? undefined : versionParam(request.query.version);
    return hookflow.previewTemplate(request.params.id, (request.body ?? {}) as never, version);
  });
}
