/** /v1/hosts/:authority: read a host's breaker, and the operator's manual pause and resume. */
import type { FastifyInstance } from 'fastify';
import type { Hookflow } from '../../client/hookflow';
import { InvalidRequestError } from '../../errors';

const MAX_PAUSE_SECONDS = 30 * 86_400;

export function hostRoutes(app: FastifyInstance, hookflow: Hookflow): void {
  app.get<{ Params: { authority: string } }>('/v1/hosts/:authority', async (request) => hookflow.hostStatus(request.params.authority));

  app.post<{ Params: { authority: string }; Body: { durationSeconds?: unknown } | undefined }>(
    '/v1/hosts/:authority/pause',
    async (request) => {
      const body = request.body ?? {};
      const unknown = Object.keys(body).filter((k) => k !== 'durationSeconds');
      const duration = body.durationSeconds;
      const issues = unknown.map((field) => ({ field, message: 'is not a known field' }));
      if (duration !== undefined && (typeof duration !== 'number' || !Number.isInteger(duration) || duration < 1 || duration > MAX_PAUSE_SECONDS)) {
        issues.push({ field: 'durationSeconds', message: `must be an integer from 1 to ${MAX_PAUSE_SECONDS}` });
      }
      if (issues.length > 0) throw new InvalidRequestError(issues);
      return hookflow.pauseHost(request.params.authority, duration === undefined ? undefined : (duration as number) * 1000);
    },
  );

  app.post<{ Params: { authority: string } }>('/v1/hosts/:authority/resume', async (request) => hookflow.resumeHost(request.params.authority));
}
