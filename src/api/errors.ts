/** One place that turns errors into HTTP answers: `{ error, message, issues? }`. */
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { DependencyUnavailableError, HookflowError, InvalidHostError, InvalidRequestError, WebhookConflictError, WebhookNotFoundError } from '../errors';

const STATUS: [new (...args: never[]) => HookflowError, number][] = [
  [InvalidRequestError, 400],
  [InvalidHostError, 400],
  [WebhookNotFoundError, 404],
  [WebhookConflictError, 409],
  [DependencyUnavailableError, 503],
];

export function sendError(reply: FastifyReply, status: number, error: string, message: string, extra: object = {}): FastifyReply {
  return reply.code(status).send({ error, message, ...extra });
}

export function errorHandler(err: FastifyError | Error, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  if (err instanceof HookflowError) {
    const status = STATUS.find(([type]) => err instanceof type)?.[1] ?? 500;
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
  request.log.error({ err }, 'request failed');
  return sendError(reply, 503, 'unavailable', 'Hookflow could not complete the request; nothing was started if no id was returned');
}
