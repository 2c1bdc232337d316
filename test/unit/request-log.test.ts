/** Recipient ids (personal data) never reach the API's request log. */
import type { FastifyRequest } from 'fastify';
import { loggedUrl, requestSerializer } from '../../src/api/request-log';

test.each([
  ['/v1/recipients/ada@example.com', '/v1/recipients/***'],
  ['/v1/recipients/ada%40example.com?x=1', '/v1/recipients/***?x=1'],
  ['/v1/webhooks/wh_0123', '/v1/webhooks/wh_0123'],
  ['/v1/events', '/v1/events'],
])('%s is logged as %s', (url, logged) => {
  expect(loggedUrl(url)).toBe(logged);
});

test('the request serializer masks the URL and keeps the other fields', () => {
  const request = { method: 'DELETE', url: '/v1/recipients/ada@example.com', host: '127.0.0.1:8080', ip: '127.0.0.1', socket: { remotePort: 5000 } } as unknown as FastifyRequest;
  expect(requestSerializer(request)).toEqual({ method: 'DELETE', url: '/v1/recipients/***', host: '127.0.0.1:8080', remoteAddress: '127.0.0.1', remotePort: 5000 });
});
