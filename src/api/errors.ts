/**
 * One place that turns errors into HTTP answers: `{ error, message, issues?, dependency? }`.
 * A dependency out of reach is a 503 naming it; a bug is a 500 with the request id (and the stack
 * in the log), never a 503, so that neither hides as the other.
 */
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { DependencyUnavailableError, HookflowError, InvalidRequestError, NotFoundError, WebhookConflictError, WebhookNotFoundError } from '../errors';
import { temporalUnavailable } from '../temporal/unavailable';

const STATUS: [new (...args: never[]) => HookflowError, number][] = [
  [InvalidRequestError, 400],
  [WebhookNotFoundError, 404],
  [NotFoundError, 404],
  [WebhookConflictError, 409],
  [DependencyUnavailableError, 503],
];

/**
 * Recognisers of a dependency's raw failures, one per dependency. Code that talks to a dependency
 * may also throw DependencyUnavailableError itself (e.g. `new DependencyUnavailableError('postgres', err)`).
 */
export const DEPENDENCY_FAILURES: ((err: unknown) => DependencyUnavailableError | undefined)[] = [temporalUnavailable];

export function sendError(reply: FastifyReply, status: number, error: string, message: string, extra: object = {}): FastifyReply {
  return reply.code(status).send({ error, message, ...extra });
}

/** What a 503 can promise: a read changed nothing; anything else may or may not have taken effect. */
function unavailableMessage(request: FastifyRequest, dependency: string): string {
  if (request.method === 'GET' || request.method === 'HEAD') return `${dependency} is unreachable; try again shortly`;
  const repeat = request.url.split('?')[0] === '/v1/webhooks' ? 'send it again with the same idempotencyKey' : 'it is safe to repeat';
  return `${dependency} is unreachable; the request may or may not have taken effect: ${repeat}`;
}

export function errorHandler(err: FastifyError | Error, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const unavailable = err instanceof DependencyUnavailableError ? err : DEPENDENCY_FAILURES.map((f) => f(err)).find((e) => e !== undefined);
  if (unavailable) {
    request.log.warn({ err, dependency: unavailable.dependency }, 'dependency unreachable');
    return sendError(reply, 503, 'unavailable', unavailableMessage(request, unavailable.dependency), { dependency: unavailable.dependency });
  }
  const status = err instanceof HookflowError ? STATUS.find(([type]) => err instanceof type)?.[1] : undefined;
  if (err instanceof HookflowError && status !== undefined) {
    return sendError(reply, status, err.code, err.message, err instanceof InvalidRequestError ? { issues: err.issues } : {});
  }
  const fastifyError = err as FastifyError;
  if (fastifyError.code === 'FST_ERR_CTP_INVALID_JSON_BODY' || fastifyError.code === 'FST_ERR_CTP_EMPTY_JSON_BODY' || err instanceof SyntaxError) {
    return sendError(reply, 400, 'invalid_json', `request body is not valid JSON: ${err.message}`);
  }
  if (fastifyError.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') {
    return sendError(reply, 415, 'unsupported_media_type', 'send the webhook as application/json');
  }
  if (fastifyError.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
    return sendError(reply, 413, 'body_too_large', err.message);
  }
  if (fastifyError.statusCode && fastifyError.statusCode < 500) {
    return sendError(reply, fastifyError.statusCode, 'bad_request', err.message);
  }
  request.log.error({ err, requestId: request.id }, 'request failed: internal error');
  return sendError(reply, 500, 'internal', `internal error (request id ${request.id}); the details are in the API's log`, { requestId: request.id });
}
