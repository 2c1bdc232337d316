/** The HTTP API over a test stack, listening on 127.0.0.1, and JSON calls to it. */
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { request } from 'undici';
import { buildApi, type ApiOptions } from '../../src/api/server';
import { Hookflow } from '../../src/client/hookflow';
import { AesGcmCodec, parseEncryptionKey } from '../../src/temporal/codec';
import type { TestStack } from './stack';

export interface TestApi {
  app: FastifyInstance;
  /** `http://127.0.0.1:<port>` */
  base: string;
}

/** The API on the stack's SDK, accepting `apiKey`, listening on `port` (default: any free one). */
export async function startTestApi(stack: TestStack, apiKey: string, options: Partial<ApiOptions> & { port?: number } = {}): Promise<TestApi> {
  const { port = 0, ...rest } = options;
  const app = buildApi({
    hookflow: stack.hookflow,
    apiKeys: [apiKey],
    codec: new AesGcmCodec(parseEncryptionKey(stack.encryptionKey)),
    uiOrigins: [],
    maxBodyBytes: stack.config.maxBodyBytes,
    logLevel: 'silent',
    ...rest,
  });
  await app.listen({ port, host: '127.0.0.1' });
  return { app, base: `http://127.0.0.1:${(app.server.address() as AddressInfo).port}` };
}

export interface Answer {
  status: number;
  body: any; // eslint-disable-line @typescript-eslint/no-explicit-any
}

export type Call = (method: 'GET' | 'POST' | 'PUT' | 'DELETE', path: string, json?: unknown, headers?: Record<string, string>) => Promise<Answer>;

/** JSON calls to `base()` with `Authorization: Bearer <apiKey>` unless other headers are given; a JSON answer is parsed, any other is text. */
export function apiCaller(base: () => string, apiKey: string): Call {
  return async (method, path, json, headers = { authorization: `Bearer ${apiKey}` }) => {
    const all = { ...headers, ...(json === undefined ? {} : { 'content-type': 'application/json' }) };
    const res = await request(`${base()}${path}`, { method, headers: all, body: json === undefined ? undefined : JSON.stringify(json) });
    const text = await res.body.text();
    const json_ = /^\s*[[{]/.test(text);
    return { status: res.statusCode, body: text === '' ? undefined : json_ ? JSON.parse(text) : text };
  };
}

/** The API with an SDK client of its own (it outlives the stack's workers), a caller, and close(). */
export interface OwnClientApi {
  base: string;
  hookflow: Hookflow;
  call: Call;
  close(): Promise<void>;
}

export async function startApiWithOwnClient(stack: TestStack, key = 'test-key'): Promise<OwnClientApi> {
  const hookflow = await Hookflow.connect({ config: stack.config, encryptionKey: stack.encryptionKey });
  const { app, base } = await startTestApi(stack, key, { hookflow });
  return {
    base,
    hookflow,
    call: apiCaller(() => base, key),
    async close() {
      await app.close();
      await hookflow.close();
    },
  };
}
