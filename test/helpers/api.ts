/** The HTTP API on 127.0.0.1 for a test stack, with its own client SDK, and a JSON caller for it. */
import type { AddressInfo } from 'node:net';
import { request } from 'undici';
import { buildApi } from '../../src/api/server';
import { Hookflow } from '../../src/client/hookflow';
import { AesGcmCodec, parseEncryptionKey } from '../../src/temporal/codec';
import type { TestStack } from './stack';

export interface Answer {
  status: number;
  body: any; // eslint-disable-line @typescript-eslint/no-explicit-any
}

export interface TestApi {
  base: string;
  /** The API's own client SDK (it outlives the stack's workers). */
  hookflow: Hookflow;
  call(method: 'GET' | 'POST' | 'PUT' | 'DELETE', path: string, json?: unknown): Promise<Answer>;
  close(): Promise<void>;
}

export async function startTestApi(stack: TestStack, key = 'test-key'): Promise<TestApi> {
  const hookflow = await Hookflow.connect({ config: stack.config, encryptionKey: stack.encryptionKey });
  const app = buildApi({ hookflow, apiKeys: [key], codec: new AesGcmCodec(parseEncryptionKey(stack.encryptionKey)), uiOrigins: [], maxBodyBytes: stack.config.maxBodyBytes, logLevel: 'silent' });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  return {
    base,
    hookflow,
    async call(method, path, json) {
      const headers: Record<string, string> = { authorization: `Bearer ${key}` };
      if (json !== undefined) headers['content-type'] = 'application/json';
      const res = await request(`${base}${path}`, { method, headers, body: json === undefined ? undefined : JSON.stringify(json) });
      const text = await res.body.text();
      return { status: res.statusCode, body: text ? JSON.parse(text) : undefined };
    },
    async close() {
      await app.close();
      await hookflow.close();
    },
  };
}
