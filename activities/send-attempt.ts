/**
 * One HTTP attempt of one webhook. Never throws for what the receiver does: every answer, error
 * and timeout becomes a SendAttemptResult that the workflow judges. The whole attempt (connect,
 * headers, body) is bounded by the webhook's timeout, and the response body is read only up to
 * a cap, so neither a hanging nor an endless receiver can hold a worker slot.
 */
import { Webhook } from 'standardwebhooks';
import { request, type Dispatcher } from 'undici';
import { ATTEMPT_BUDGET, budgetError, budgetHeaders } from '../src/delivery/attempt-budget';
import type { SendAttemptInput, SendAttemptResult } from '../src/delivery/definitions';
import { readJsonPath } from '../src/journey/steps';
import type { SendErrorCode } from '../src/receiver/classify';
import { HOP_LIMIT_STATUS } from '../src/self/credential';
import { isSelfUrl } from '../src/self/target';
import { SecretUnavailableError, substituteSecrets } from '../src/template/secrets';
import { USER_AGENT } from '../src/version';
import { addressSelf, type Addressed, type SelfTarget } from './self/self-target';

/** Bytes of the response body kept in the attempt record (the rest of what was read is dropped). */
export const RESPONSE_SNIPPET_BYTES = ATTEMPT_BUDGET.snippetBytes;

export interface SendDeps {
  /** The guarded dispatcher of activities/net/guarded-client.ts: it refuses non-public addresses. */
  dispatcher: Dispatcher;
  /** HOOKFLOW_MAX_RESPONSE_BYTES */
  maxResponseBytes: number;
  /** Where `{{ secrets.NAME }}` values come from (HOOKFLOW_SECRET_NAME). @default process.env */
  secrets?: NodeJS.ProcessEnv;
  /** Where `hookflow:` URLs go (activities/self/self-target.ts); without it they fail as `internal`. */
  self?: SelfTarget;
}

/**
 * The request with a template's secret markers replaced by their values: done here, at each send,
 * so the values never enter the workflow's history, the ledger or a log. Throws SecretUnavailableError.
 */
export function withSecrets(input: SendAttemptInput, env: NodeJS.ProcessEnv): SendAttemptInput {
  const nonce = input.request.secretNonce;
  if (nonce === undefined) return input;
  const sub = (text: string): string => substituteSecrets(text, nonce, env);
  const { secretNonce: _nonce, ...request } = input.request;
  return {
    ...input,
    request: {
      ...request,
      url: sub(request.url),
      headers: Object.fromEntries(Object.entries(request.headers).map(([k, v]) => [k, sub(v)])),
      ...(request.body === undefined ? {} : { body: sub(request.body) }),
    },
    ...(input.signingSecret === undefined ? {} : { signingSecret: sub(input.signingSecret) }),
  };
}

export function outboundHeaders(input: SendAttemptInput, nowMs: number): Record<string, string> {
  const timestamp = Math.floor(nowMs / 1000);
  const headers: Record<string, string> = { ...input.request.headers, 'webhook-id': input.id, 'webhook-timestamp': String(timestamp) };
  // A caller's User-Agent, however spelled, replaces Hookflow's rather than going out beside it.
  if (!Object.keys(headers).some((name) => name.toLowerCase() === 'user-agent')) headers['user-agent'] = USER_AGENT;
  if (input.signingSecret) {
    headers['webhook-signature'] = new Webhook(input.signingSecret).sign(
      input.id,
      new Date(timestamp * 1000),
      input.request.body ?? '',
    );
  }
  return headers;
}

export async function sendAttempt(deps: SendDeps, templated: SendAttemptInput, cancel?: AbortSignal): Promise<SendAttemptResult> {
  const startedAtMs = Date.now();
  const done = (fields: Partial<SendAttemptResult>): SendAttemptResult => ({
    startedAtMs,
    durationMs: Date.now() - startedAtMs,
    ...fields,
  });
  let input: SendAttemptInput;
  try {
    input = withSecrets(templated, deps.secrets ?? process.env);
  } catch (err) {
    if (err instanceof SecretUnavailableError) return done({ errorCode: 'secret', errorMessage: budgetError(err.message) });
    throw err;
  }

  const toSelf = isSelfUrl(input.request.url);
  let target: Addressed;
  if (!toSelf) target = { url: input.request.url, headers: outboundHeaders(input, startedAtMs), dispatcher: deps.dispatcher };
  else if (deps.self) target = addressSelf(deps.self, input.request.url, outboundHeaders(input, startedAtMs), input.hops ?? 0);
  else return done({ errorCode: 'internal', errorMessage: 'this worker cannot send hookflow: webhooks (no self target)' });

  const timeout = AbortSignal.timeout(input.timeoutMs);
  const signal = cancel ? AbortSignal.any([timeout, cancel]) : timeout;
  let statusCode: number | undefined;
  let responseHeaders: Record<string, string> | undefined;
  try {
    const response = await request(target.url, {
      method: input.request.method as Dispatcher.HttpMethod,
      headers: target.headers,
      body: input.request.body,
      dispatcher: target.dispatcher,
      signal,
      headersTimeout: input.timeoutMs,
      bodyTimeout: input.timeoutMs,
    });
    statusCode = response.statusCode;
    responseHeaders = budgetHeaders(response.headers);
    const { snippet, body } = await readCapped(response.body, deps.maxResponseBytes);
    if (toSelf && statusCode === HOP_LIMIT_STATUS) {
      // Hookflow's own API refused the chain as too deep: a permanent failure, not a 5xx to retry.
      return done({ errorCode: 'hop_limit', errorMessage: budgetError(`Hookflow's API answered ${statusCode}: ${snippet}`), responseBodySnippet: snippet });
    }
    return done({ statusCode, responseHeaders, responseBodySnippet: snippet, ...(input.extract ? { extracted: extractJson(body, input.extract) } : {}) });
  } catch (err) {
    if (cancel?.aborted) throw err;
    const { code, message } = describeError(err, timeout.aborted, input.timeoutMs);
    // The receiver already gave its status: that is its answer, even if the body never ended.
    if (statusCode !== undefined) return done({ statusCode, responseHeaders, responseBodySnippet: `[response body not read: ${message}]` });
    return done({ errorCode: code, errorMessage: budgetError(message) });
  }
}

/** Reads at most `cap` bytes, then drops the connection rather than draining a huge body. */
async function readCapped(body: Dispatcher.ResponseData['body'], cap: number): Promise<{ snippet: string; body?: string }> {
  const chunks: Buffer[] = [];
  let size = 0;
  let truncated = false;
  for await (const chunk of body) {
    const buf = chunk as Buffer;
    if (size + buf.length > cap) {
      chunks.push(buf.subarray(0, cap - size));
      size = cap;
      truncated = true;
      break;
    }
    chunks.push(buf);
    size += buf.length;
  }
  if (truncated) body.destroy();
  const all = Buffer.concat(chunks);
  const text = new TextDecoder('utf-8', { fatal: false }).decode(all.subarray(0, RESPONSE_SNIPPET_BYTES));
  // The whole body when it fitted under the cap (HOOKFLOW_MAX_RESPONSE_BYTES), for `extract`.
  return { snippet: all.length > RESPONSE_SNIPPET_BYTES || truncated ? `${text}…` : text, ...(truncated ? {} : { body: all.toString('utf8') }) };
}

/** The values at `paths` of a JSON body (each kept up to a bounded size; absent when not there). */
function extractJson(body: string | undefined, paths: Record<string, string>): Record<string, unknown> {
  const found: Record<string, unknown> = {};
  for (const [name, path] of Object.entries(paths)) {
    const value = readJsonPath(body, path);
    if (value !== undefined) found[name] = value;
  }
  return found;
}

function describeError(err: unknown, timedOut: boolean, timeoutMs: number): { code: SendErrorCode; message: string } {
  const e = err as { code?: string; message?: string; name?: string; cause?: { code?: string } };
  const code = e?.code ?? e?.cause?.code;
  if (code === 'HOOKFLOW_ADDRESS_BLOCKED') return { code: 'blocked', message: String(e.message) };
  if (
    timedOut ||
    e?.name === 'TimeoutError' ||
    code === 'UND_ERR_HEADERS_TIMEOUT' ||
    code === 'UND_ERR_BODY_TIMEOUT' ||
    code === 'UND_ERR_CONNECT_TIMEOUT'
  ) {
    return { code: 'timeout', message: `no complete answer within ${timeoutMs} ms` };
  }
  return { code: 'network', message: code ? `${code}: ${e.message ?? ''}`.trim() : String(e?.message ?? err) };
}
