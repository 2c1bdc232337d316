/**
 * src/breaker/authority.ts: host authorities as the operator API takes them.
 */
import { idleHostView, normaliseAuthority } from '../../src/breaker/authority';
import { InvalidHostError } from '../../src/errors';

describe('normaliseAuthority', () => {
  test.each([
    ['Example.COM', 'example.com'],
    ['example.com', 'example.com'],
    ['api.example.com:8443', 'api.example.com:8443'],
    ['127.0.0.1:3000', '127.0.0.1:3000'],
    ['[::1]:8080', '[::1]:8080'],
    ['[2001:DB8::1]', '[2001:db8::1]'],
    ['my_host.internal', 'my_host.internal'],
    ['localhost', 'localhost'],
    ['xn--bcher-kva.example', 'xn--bcher-kva.example'],
    ['  Example.com:80 ', 'example.com:80'],
  ])('%j is accepted as %j', (raw, expected) => {
    expect(normaliseAuthority(raw)).toBe(expected);
  });

  test.each(['http://x', 'x/y', 'user@x', 'x:port', '', '   ', 'x y', 'x?q', 'x#f', '-x.com', 'x-.com', 'a..b', 'x:123456', 'x:99999', '[::1', '::1', `${'a'.repeat(300)}.com`])(
    '%j is rejected with InvalidHostError',
    (raw) => {
      expect(() => normaliseAuthority(raw)).toThrow(InvalidHostError);
      expect(() => normaliseAuthority(raw)).toThrow(`host: '${raw}' is not a host[:port] authority`);
    },
  );

  test('the error names the authority as given', () => {
    let caught: unknown;
    try {
      normaliseAuthority('HTTP://X');
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(InvalidHostError);
    expect((caught as InvalidHostError).authority).toBe('HTTP://X');
    expect((caught as Error).message).toBe("host: 'HTTP://X' is not a host[:port] authority");
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
