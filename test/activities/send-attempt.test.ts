/**
 * activities/send-attempt.ts called directly: one real HTTP attempt against real receivers on
 * 127.0.0.1, through the guarded undici dispatcher the worker uses.
 */
import { Webhook } from 'standardwebhooks';
import type { Dispatcher } from 'undici';
import { createHttpClient } from '../../activities/net/guarded-client';
import { sendAttempt, type SendDeps } from '../../activities/send-attempt';
import { createAddressPolicy } from '../../src/net/address-policy';
import type { OutboundRequest, SendAttemptInput } from '../../src/delivery/definitions';
import { USER_AGENT } from '../../src/version';
import { startReceiver, type Receiver } from '../helpers/receiver';

const receivers: Receiver[] = [];
const dispatchers: Dispatcher[] = [];
let seq = 0;

async function receiver(script?: Parameters<typeof startReceiver>[0]): Promise<Receiver> {
  const r = await startReceiver(script);
  receivers.push(r);
  return r;
}

function deps(policy: { allowPrivateNetworks: boolean; allowedCidrs: string[] }, maxResponseBytes = 65_536): SendDeps {
  const addressPolicy = createAddressPolicy(policy);
  const dispatcher = createHttpClient({ policy: addressPolicy });
  dispatchers.push(dispatcher);
  return { dispatcher, maxResponseBytes };
}

const privateAllowed = deps({ allowPrivateNetworks: true, allowedCidrs: [] });
const defaultPolicy = deps({ allowPrivateNetworks: false, allowedCidrs: [] });

function input(request: Partial<OutboundRequest> & { url: string }, extra: { signingSecret?: string; timeoutMs?: number } = {}): SendAttemptInput {
  seq += 1;
  return {
    id: `wh_${String(seq).padStart(32, '0')}`,
    authority: new URL(request.url).host,
    request: { method: 'POST', headers: {}, ...request },
    timeoutMs: extra.timeoutMs ?? 5_000,
    ...(extra.signingSecret ? { signingSecret: extra.signingSecret } : {}),
  } as SendAttemptInput;
}

/** Gives the event loop a moment, so a request that was (wrongly) sent would have arrived. */
const settle = (ms = 200): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

afterAll(async () => {
  await Promise.all(receivers.map((r) => r.close()));
  await Promise.all(dispatchers.map((d) => d.close()));
});

describe('the request', () => {
  test('carries webhook-id, webhook-timestamp, the Hookflow user-agent and the caller’s headers and body', async () => {
    const r = await receiver();
    const req = input({ url: `${r.url}/in?x=1`, headers: { 'Content-Type': 'application/json', 'X-Tenant': 't-1', Authorization: 'Bearer abc' }, body: '{"a":1}' });
    const before = Math.floor(Date.now() / 1000);
    const result = await sendAttempt(privateAllowed, req);
    const after = Math.floor(Date.now() / 1000);

    expect(result.statusCode).toBe(200);
    expect(r.arrivals).toHaveLength(1);
    const [a] = r.arrivals;
    expect(a.method).toBe('POST');
    expect(a.path).toBe('/in?x=1');
    expect(a.body.toString()).toBe('{"a":1}');
    expect(a.headers['webhook-id']).toBe(req.id);
    const ts = Number(a.headers['webhook-timestamp']);
    expect(ts).toBeGreaterThanOrEqual(before);
    expect(ts).toBeLessThanOrEqual(after);
    expect(a.headers['user-agent']).toBe(USER_AGENT);
    expect(a.headers['content-type']).toBe('application/json');
    expect(a.headers['x-tenant']).toBe('t-1');
    expect(a.headers.authorization).toBe('Bearer abc');
    expect(a.headers['content-length']).toBe('7');
    expect(a.headers['webhook-signature']).toBeUndefined();
  });

  test('a caller’s lower-case user-agent replaces Hookflow’s', async () => {
    const r = await receiver();
    await sendAttempt(privateAllowed, input({ url: r.url, headers: { 'user-agent': 'my-app/1' } }));
    expect(r.arrivals[0].headers['user-agent']).toBe('my-app/1');
  });

  // outboundHeaders() spreads the caller's headers over { 'user-agent': USER_AGENT } without folding
  // case, so 'User-Agent' goes out as a second User-Agent header; Node (like most servers) keeps the
  // first one, Hookflow's, and the caller's value is lost.
  test.each(['User-Agent', 'USER-AGENT'])('a caller’s %s replaces Hookflow’s (sent once)', async (name) => {
    const r = await receiver();
    await sendAttempt(privateAllowed, input({ url: r.url, headers: { [name]: 'my-app/1' } }));
    expect(r.arrivals[0].headers['user-agent']).toBe('my-app/1');
  });

  test.each(['GET', 'DELETE'])('a %s goes without a body', async (method) => {
    const r = await receiver();
    const result = await sendAttempt(privateAllowed, input({ url: r.url, method }));
    expect(result.statusCode).toBe(200);
    expect(r.arrivals[0].method).toBe(method);
    expect(r.arrivals[0].body).toHaveLength(0);
  });

  test.each(['PUT', 'PATCH'])('a %s carries its body', async (method) => {
    const r = await receiver();
    await sendAttempt(privateAllowed, input({ url: r.url, method, body: 'a=1&b=2', headers: { 'content-type': 'application/x-www-form-urlencoded' } }));
    expect(r.arrivals[0].method).toBe(method);
    expect(r.arrivals[0].body.toString()).toBe('a=1&b=2');
  });

  test('with a signing secret the signature verifies with standardwebhooks', async () => {
    const r = await receiver();
    const secret = `whsec_${Buffer.alloc(32, 9).toString('base64')}`;
    const body = JSON.stringify({ event: 'user.unsubscribed', user: { id: 7, name: 'Zoë' } });
    const req = input({ url: r.url, body, headers: { 'content-type': 'application/json' } }, { signingSecret: secret });
    await sendAttempt(privateAllowed, req);
    const [a] = r.arrivals;
    expect(a.headers['webhook-signature']).toMatch(/^v1,[A-Za-z0-9+/]+=*$/);
    expect(new Webhook(secret).verify(a.body.toString(), a.headers as Record<string, string>)).toEqual(JSON.parse(body));
    const wrong = `whsec_${Buffer.alloc(32, 8).toString('base64')}`;
    expect(() => new Webhook(wrong).verify(a.body.toString(), a.headers as Record<string, string>)).toThrow();
  });

  test('an empty body is signed as the empty string', async () => {
    const r = await receiver();
    const secret = `whsec_${Buffer.alloc(24, 1).toString('base64')}`;
    await sendAttempt(privateAllowed, input({ url: r.url, method: 'GET' }, { signingSecret: secret }));
    const [a] = r.arrivals;
    // verify() JSON-parses the payload, so check the HMAC it would compute instead.
    const wh = new Webhook(secret);
    const expected = wh.sign(String(a.headers['webhook-id']), new Date(Number(a.headers['webhook-timestamp']) * 1000), '');
    expect(a.headers['webhook-signature']).toBe(expected);
  });
});

describe('the answer', () => {
  test('a 3xx with Location is returned as its status and the Location target receives nothing', async () => {
    const target = await receiver();
    const r = await receiver(() => ({ status: 302, headers: { location: `${target.url}/moved` } }));
    const result = await sendAttempt(privateAllowed, input({ url: r.url, body: 'x' }));
    expect(result.statusCode).toBe(302);
    expect(result.errorCode).toBeUndefined();
    expect(result.responseHeaders?.location).toBe(`${target.url}/moved`);
    await settle();
    expect(r.arrivals).toHaveLength(1);
    expect(target.arrivals).toHaveLength(0);
  });

  test('response headers are kept with lower-case names', async () => {
    const r = await receiver(() => ({
      status: 429,
      headers: { 'Retry-After': '5', 'X-RateLimit-Remaining': '0', 'X-Custom-Thing': 'Value With Case' },
    }));
    const result = await sendAttempt(privateAllowed, input({ url: r.url }));
    expect(result.statusCode).toBe(429);
    expect(result.responseHeaders).toMatchObject({ 'retry-after': '5', 'x-ratelimit-remaining': '0', 'x-custom-thing': 'Value With Case' });
    for (const name of Object.keys(result.responseHeaders ?? {})) expect(name).toBe(name.toLowerCase());
  });

  test.each([
    ['a short body is kept whole', 'upstream down', 'upstream down'],
    ['an empty body is an empty snippet', '', ''],
    ['a body of exactly 2048 bytes is kept whole', 'a'.repeat(2_048), 'a'.repeat(2_048)],
    ['a body of 2049 bytes is cut to 2048 with an ellipsis', 'b'.repeat(2_049), `${'b'.repeat(2_048)}…`],
    ['a 3000-byte UTF-8 body is cut at 2048 bytes', 'é'.repeat(1_500), `${'é'.repeat(1_024)}…`],
  ])('%s', async (_title, body, snippet) => {
    const r = await receiver(() => ({ status: 500, body }));
    const result = await sendAttempt(privateAllowed, input({ url: r.url }));
    expect(result.statusCode).toBe(500);
    expect(result.responseBodySnippet).toBe(snippet);
  });

  test('64 large headers and a 64 KiB body make an attempt record of under 5 KiB, the timing headers kept', async () => {
    const headers: Record<string, string> = {};
    // 64 headers near undici's 16 KiB response-header limit (beyond it the answer is refused as a network error).
    for (let i = 0; i < 63; i++) headers[`x-padding-${String(i).padStart(2, '0')}`] = 'p'.repeat(220);
    headers['retry-after'] = '7';
    const r = await receiver(() => ({ status: 503, headers, body: 'b'.repeat(64 * 1024) }));
    const result = await sendAttempt(privateAllowed, input({ url: r.url }));
    expect(result.statusCode).toBe(503);
    expect(result.responseHeaders?.['retry-after']).toBe('7');
    expect(Object.keys(result.responseHeaders ?? {}).length).toBeLessThan(64);
    expect(Buffer.byteLength(JSON.stringify(result))).toBeLessThan(5 * 1024);
  });

  test('a body larger than maxResponseBytes is cut at the cap', async () => {
    const small = deps({ allowPrivateNetworks: true, allowedCidrs: [] }, 100);
    const r = await receiver(() => ({ status: 200, body: 'c'.repeat(5_000) }));
    const result = await sendAttempt(small, input({ url: r.url }));
    expect(result.statusCode).toBe(200);
    expect(result.responseBodySnippet).toBe(`${'c'.repeat(100)}…`);
  });

  test('startedAtMs and durationMs describe the attempt: a receiver that takes 300 ms shows about 300 ms', async () => {
    const r = await receiver(() => ({ hangMs: 300 }));
    const before = Date.now();
    const result = await sendAttempt(privateAllowed, input({ url: r.url }));
    expect(result.statusCode).toBe(200);
    expect(result.startedAtMs).toBeGreaterThanOrEqual(before);
    expect(result.startedAtMs).toBeLessThanOrEqual(r.arrivals[0].at);
    expect(result.durationMs).toBeGreaterThanOrEqual(290);
    expect(result.startedAtMs + result.durationMs).toBeLessThanOrEqual(Date.now());
  });
});

describe('receivers that misbehave', () => {
  test('a receiver that hangs before its headers ends as a timeout after about timeoutMs', async () => {
    const r = await receiver(() => ({ hangMs: 30_000 }));
    const started = Date.now();
    const result = await sendAttempt(privateAllowed, input({ url: r.url }, { timeoutMs: 500 }));
    const took = Date.now() - started;
    expect(result).toMatchObject({ errorCode: 'timeout', errorMessage: 'no complete answer within 500 ms' });
    expect(result.statusCode).toBeUndefined();
    expect(took).toBeGreaterThanOrEqual(450);
    // Far below the 30 s hang; a loaded machine may add a few seconds to the 500 ms.
    expect(took).toBeLessThan(5_000);
  });

  test('a 200 whose body trickles forever returns after about timeoutMs with its status and a note that the body was not read', async () => {
    const r = await receiver(() => ({ trickleEveryMs: 20, status: 200 }));
    const started = Date.now();
    const result = await sendAttempt(privateAllowed, input({ url: r.url }, { timeoutMs: 600 }));
    const took = Date.now() - started;
    expect(result.statusCode).toBe(200);
    expect(result.errorCode).toBeUndefined();
    expect(result.responseBodySnippet).toBe('[response body not read: no complete answer within 600 ms]');
    expect(result.responseHeaders?.['content-type']).toBe('text/plain');
    expect(took).toBeGreaterThanOrEqual(550);
    // The trickle would go on for a minute; a loaded machine may add a few seconds to the 600 ms.
    expect(took).toBeLessThan(5_000);
  });

  test('a 100 MB body returns quickly with a short snippet and is not held in memory', async () => {
    const r = await receiver(() => ({ bodyBytes: 100 * 1024 * 1024 }));
    const rssBefore = process.memoryUsage().rss;
    const started = Date.now();
    const result = await sendAttempt(privateAllowed, input({ url: r.url }, { timeoutMs: 10_000 }));
    const took = Date.now() - started;
    const growth = process.memoryUsage().rss - rssBefore;

    expect(result.statusCode).toBe(200);
    expect(result.responseBodySnippet).toBe(`${'x'.repeat(2_048)}…`);
    expect(result.responseBodySnippet!.length).toBeLessThanOrEqual(2_049);
    expect(took).toBeLessThan(3_000);
    expect(growth).toBeLessThan(50 * 1024 * 1024);
  });

  test('a connection reset is a network error', async () => {
    const r = await receiver(() => ({ reset: true }));
    const result = await sendAttempt(privateAllowed, input({ url: r.url, body: 'x' }));
    expect(result.errorCode).toBe('network');
    expect(result.statusCode).toBeUndefined();
    expect(result.errorMessage).toBeTruthy();
    expect(r.arrivals).toHaveLength(1);
  });

  test('a refused connection (a closed receiver’s port) is a network error', async () => {
    const r = await startReceiver();
    await r.close();
    const result = await sendAttempt(privateAllowed, input({ url: r.url }));
    expect(result.errorCode).toBe('network');
    expect(result.errorMessage).toMatch(/^ECONNREFUSED/);
  });

  test('cancellation aborts the attempt and rejects instead of recording a result', async () => {
    const r = await receiver(() => ({ hangMs: 30_000 }));
    const cancel = new AbortController();
    setTimeout(() => cancel.abort(), 100);
    const started = Date.now();
    await expect(sendAttempt(privateAllowed, input({ url: r.url }, { timeoutMs: 10_000 }), cancel.signal)).rejects.toThrow();
    // Well before the 10 s attempt timeout, with room for a loaded machine.
    expect(Date.now() - started).toBeLessThan(5_000);
  });
});

describe('the address policy', () => {
  const SETTINGS_HINT = '(HOOKFLOW_ALLOW_PRIVATE_NETWORKS, HOOKFLOW_ALLOWED_CIDRS)';

  test('by default http://127.0.0.1:<port> is blocked and the receiver gets nothing', async () => {
    const r = await receiver();
    const result = await sendAttempt(defaultPolicy, input({ url: `${r.url}/in`, body: 'x' }));
    expect(result).toMatchObject({ errorCode: 'blocked', errorMessage: `blocked: 127.0.0.1 is not a public address ${SETTINGS_HINT}` });
    expect(result.statusCode).toBeUndefined();
    await settle();
    expect(r.arrivals).toHaveLength(0);
  });

  test('by default http://localhost:<port> (a name resolving to loopback) is blocked without naming the address it resolved to', async () => {
    const r = await receiver();
    const port = new URL(r.url).port;
    const result = await sendAttempt(defaultPolicy, input({ url: `http://localhost:${port}/in`, body: 'x' }));
    expect(result.errorCode).toBe('blocked');
    // Naming it would make webhooks a DNS oracle for internal names.
    expect(result.errorMessage).toBe(`blocked: localhost does not resolve to a public address ${SETTINGS_HINT}`);
    expect(result.errorMessage).not.toMatch(/127\.0\.0\.1|::1/);
    await settle();
    expect(r.arrivals).toHaveLength(0);
  });

  test.each([
    ['[::1]', '::1'],
    ['[::ffff:127.0.0.1]', '::ffff:7f00:1'],
    ['2130706433', '127.0.0.1'],
    ['0x7f.1', '127.0.0.1'],
  ])('by default http://%s:<port> is blocked', async (host, reported) => {
    const r = await receiver();
    const port = new URL(r.url).port;
    const result = await sendAttempt(defaultPolicy, input({ url: `http://${host}:${port}/` }));
    expect(result).toMatchObject({ errorCode: 'blocked', errorMessage: `blocked: ${reported} is not a public address ${SETTINGS_HINT}` });
    await settle(50);
    expect(r.arrivals).toHaveLength(0);
  });

  test('by default http://169.254.169.254/ (cloud metadata) is blocked without connecting', async () => {
    const started = Date.now();
    const result = await sendAttempt(defaultPolicy, input({ url: 'http://169.254.169.254/latest/meta-data/' }));
    expect(result).toMatchObject({ errorCode: 'blocked', errorMessage: `blocked: 169.254.169.254 is not a public address ${SETTINGS_HINT}` });
    // A connection attempt would run to the 5 s attempt timeout; a loaded machine may add a little.
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  test('with allowedCidrs [127.0.0.0/8] the 127.0.0.1 receiver gets the request', async () => {
    const loopback = deps({ allowPrivateNetworks: false, allowedCidrs: ['127.0.0.0/8'] });
    const r = await receiver();
    const result = await sendAttempt(loopback, input({ url: r.url, body: 'hello' }));
    expect(result.statusCode).toBe(200);
    expect(r.arrivals).toHaveLength(1);
    expect(r.arrivals[0].body.toString()).toBe('hello');
  });

  test('with allowedCidrs [127.0.0.0/8] http://localhost:<port> reaches the 127.0.0.1 receiver', async () => {
    const loopback = deps({ allowPrivateNetworks: false, allowedCidrs: ['127.0.0.0/8'] });
    const r = await receiver();
    const result = await sendAttempt(loopback, input({ url: `http://localhost:${new URL(r.url).port}/` }));
    expect(result.statusCode).toBe(200);
    expect(r.arrivals).toHaveLength(1);
  });

  test('with allowedCidrs [10.0.0.0/8] loopback stays blocked', async () => {
    const tenOnly = deps({ allowPrivateNetworks: false, allowedCidrs: ['10.0.0.0/8'] });
    const r = await receiver();
    const result = await sendAttempt(tenOnly, input({ url: r.url }));
    expect(result.errorCode).toBe('blocked');
    await settle(50);
    expect(r.arrivals).toHaveLength(0);
  });
});

describe('extract (a journey webhook step’s save)', () => {
  test('reads the named JSON paths from the whole body, past the snippet, and leaves out what is not there', async () => {
    const body = JSON.stringify({ padding: 'x'.repeat(5_000), user: { id: 'u-7', tags: ['a', 'b'] } });
    const r = await receiver(() => ({ status: 200, headers: { 'content-type': 'application/json' }, body }));
    const result = await sendAttempt(privateAllowed, { ...input({ url: r.url }), extract: { userId: '$.user.id', second: '$.user.tags[1]', missing: '$.nope' } });
    expect(result.responseBodySnippet!.endsWith('…')).toBe(true);
    expect(result.extracted).toEqual({ userId: 'u-7', second: 'b' });
  });

  test('a body over the response cap is not parsed, and nothing is extracted from it', async () => {
    const r = await receiver(() => ({ status: 200, body: JSON.stringify({ id: 1, padding: 'x'.repeat(70_000) }) }));
    const result = await sendAttempt(privateAllowed, { ...input({ url: r.url }), extract: { id: '$.id' } });
    expect(result.extracted).toEqual({});
  });
});
