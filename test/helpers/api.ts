/** The HTTP API of a test stack, listening on 127.0.0.1, and a caller that sends JSON with its key. */
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { request } from 'undici';
import { buildApi } from '../../src/api/server';
import { AesGcmCodec, parseEncryptionKey } from '../../src/temporal/codec';
import type { TestStack } from './stack';

export interface Answer {
  status: number;
  body: any; // eslint-disable-line @typescript-eslint/no-explicit-any
}

export type Call = (method: 'GET' | 'POST' | 'PUT' | 'DELETE', path: string, json?: unknown) => Promise<Answer>;

/** The stack's API with one key, its codec and body limit, logging nothing. */
export function testApi(stack: TestStack, key: string): FastifyInstance {
  return buildApi({
    hookflow: stack.hookflow,
    apiKeys: [key],
    codec: new AesGcmCodec(parseEncryptionKey(stack.encryptionKey)),
    uiOrigins: [],
    maxBodyBytes: stack.config.maxBodyBytes,
    logLevel: 'silent',
  });
}

/** Starts `app` on a free loopback port; a caller of its routes with `key`. */
export async function listenWithKey(app: FastifyInstance, key: string): Promise<Call> {
  await app.listen({ port: 0, host: '127.0.0.1' });
  const base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  return async (method, path, json) => {
    const headers: Record<string, string> = { authorization: `Bearer ${key}` };
    if (json !== undefined) headers['content-type'] = 'application/json';
    const res = await request(`${base}${path}`, { method, headers, body: json === undefined ? undefined : JSON.stringify(json) });
    const text = await res.body.text();
    return { status: res.statusCode, body: text ? JSON.parse(text) : undefined };
  };
}
