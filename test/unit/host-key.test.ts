/**
 * src/net/host-key.ts: the one parser that turns a webhook URL or an operator's authority into
 * the host key of its breaker.
 */
import { idleHostView } from '../../src/breaker/definitions';
import { InvalidHostError, InvalidRequestError } from '../../src/errors';
import { hostKeyOfAuthority, hostKeyOfUrl } from '../../src/net/host-key';
import { prepareDelivery } from '../../src/webhook/prepare';
import { parseWebhook } from '../../src/webhook/schema';

describe('a webhook URL and the authority an operator types name the same host', () => {
  test.each([
    ['https://example.com/hooks', 'example.com'],
    ['https://example.com:443/hooks', 'example.com'],
    ['http://example.com:80/hooks', 'example.com'],
    ['https://EXAMPLE.com/x', 'example.com'],
    ['https://api.example.com:8443/x?y=1', 'api.example.com:8443'],
    ['http://example.com:443/', 'example.com:443'],
    ['https://example.com:80/', 'example.com:80'],
    ['http://bücher.example/', 'xn--bcher-kva.example'],
    ['http://127.0.0.1:3000/in', '127.0.0.1:3000'],
    ['http://0x7f.1:3000/in', '127.0.0.1:3000'],
    ['http://[2001:DB8::1]:8080/', '[2001:db8::1]:8080'],
    ['https://user:pw@example.com/', 'example.com'],
  ])('the URL %s has the host key %s', (url, key) => {
    expect(hostKeyOfUrl(url)).toBe(key);
  });

  test.each([
    ['example.com', 'example.com'],
    ['EXAMPLE.com', 'example.com'],
    ['  Example.COM  ', 'example.com'],
    ['example.com:443', 'example.com'],
    ['example.com:80', 'example.com'],
    ['api.example.com:8443', 'api.example.com:8443'],
    ['bücher.example', 'xn--bcher-kva.example'],
    ['xn--bcher-kva.example', 'xn--bcher-kva.example'],
    ['127.0.0.1:3000', '127.0.0.1:3000'],
    ['[::1]:8080', '[::1]:8080'],
    ['[2001:DB8::1]', '[2001:db8::1]'],
    ['my_host.internal', 'my_host.internal'],
    ['localhost', 'localhost'],
  ])('the authority %j is the host key %j', (authority, key) => {
    expect(hostKeyOfAuthority(authority)).toBe(key);
  });

  test('pausing example.com:443 is pausing the webhooks to https://example.com/…', () => {
    const webhook = prepareDelivery(parseWebhook({ url: 'https://Example.com/hooks/1' }, { maxBodyBytes: 1_000 }), { maxRetryAfterMs: 1, sendActivity: 'local' });
    expect(webhook.authority).toBe(hostKeyOfAuthority('example.com:443'));
    expect(webhook.authority).toBe(hostKeyOfAuthority('EXAMPLE.com'));
  });
});

describe('what is not an authority is refused, naming the field', () => {
  test.each(['http://x', 'x/y', 'user@x', 'x:port', 'x:', '', '   ', 'x y', 'x?q', 'x#f', 'x:123456', 'x:99999', '[::1', '::1', 'a\\b', `${'a'.repeat(300)}.com`])(
    '%j is refused with InvalidHostError',
    (raw) => {
      expect(() => hostKeyOfAuthority(raw)).toThrow(InvalidHostError);
      expect(() => hostKeyOfAuthority(raw)).toThrow(`authority: '${raw}' is not a host[:port] authority`);
    },
  );

  test('the error is a request error with one issue on the field `authority`', () => {
    let caught: unknown;
    try {
      hostKeyOfAuthority('HTTP://X');
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(InvalidRequestError);
    expect((caught as InvalidHostError).code).toBe('invalid_host');
    expect((caught as InvalidHostError).issues).toEqual([{ field: 'authority', message: "'HTTP://X' is not a host[:port] authority" }]);
  });
});

describe('idleHostView', () => {
  test('a host with no workflow looks closed, empty and not draining', () => {
    expect(idleHostView('example.com')).toEqual({
      authority: 'example.com',
      state: 'closed',
      window: { requests: 0, failures: 0 },
      pausedWebhooks: 0,
      draining: false,
      cooldownMs: 0,
    });
  });
});
