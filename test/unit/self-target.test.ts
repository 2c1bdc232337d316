/** Hookflow-to-Hookflow webhooks: which `hookflow:` URLs may be called, where they go, the credential and the hop header. */
import { loadConfig } from '../../src/config';
import { nextAttempt } from '../../src/delivery/retry-timing';
import { DEFAULT_RETRY } from '../../src/delivery/policy';
import { hostKeyOfUrl } from '../../src/net/host-key';
import { internalApiKey, parseHops } from '../../src/self/credential';
import { isSelfUrl, resolveSelfUrl, selfUrlOf, selfUrlProblem } from '../../src/self/target';
import { generateEncryptionKey } from '../../src/temporal/codec';
import { originOf, summarise } from '../../src/webhook/redact';
import { parseWebhook } from '../../src/webhook/schema';

test.each([
  ['hookflow:/v1/events', undefined],
  ['hookflow:/v1/recipients/ada@example.com?x=1', undefined],
  ['HOOKFLOW:/v1/campaigns/spring/trigger', undefined],
  ['hookflow:/metrics', "a hookflow: URL must be a path of Hookflow's API under /v1/, not /metrics"],
  ['hookflow:/v1/../codec/decode', "a hookflow: URL must be a path of Hookflow's API under /v1/, not /codec/decode"],
  ['hookflow:/v1/%2e%2e/dashboard', "a hookflow: URL must be a path of Hookflow's API under /v1/, not /dashboard"],
  ['hookflow:/v1', "a hookflow: URL must be a path of Hookflow's API under /v1/, not /v1"],
  ['hookflow:v1/events', "a hookflow: URL must be a path of Hookflow's API under /v1/, not v1/events"],
  ['hookflow://169.254.169.254/v1/x', "a hookflow: URL names a path of Hookflow's own API, never a host (hookflow:/v1/…)"],
  ['hookflow:///v1/x', "a hookflow: URL names a path of Hookflow's own API, never a host (hookflow:/v1/…)"],
  ['hookflow:/v1/events#top', 'a hookflow: URL has no fragment'],
])('%s: %s', (url, problem) => {
  expect(isSelfUrl(url)).toBe(true);
  expect(selfUrlProblem(url)).toBe(problem);
});

test('a self URL is sent to HOOKFLOW_SELF_URL with its path and query, under a base path if there is one', () => {
  expect(resolveSelfUrl('http://api:8080', 'hookflow:/v1/recipients/a%20b?x=1')).toBe('http://api:8080/v1/recipients/a%20b?x=1');
  expect(resolveSelfUrl('https://proxy.example.com/hookflow/', 'hookflow:/v1/events')).toBe('https://proxy.example.com/hookflow/v1/events');
  expect(() => resolveSelfUrl('http://api:8080', 'hookflow:/v1/../metrics')).toThrow('under /v1/');
});

test("HOOKFLOW_SELF_URL defaults to the API's own address, a wildcard host read as loopback", () => {
  expect(selfUrlOf(loadConfig({}))).toBe('http://127.0.0.1:8080');
  expect(selfUrlOf(loadConfig({ HOOKFLOW_HOST: '0.0.0.0', HOOKFLOW_PORT: '9000' }))).toBe('http://127.0.0.1:9000');
  expect(selfUrlOf(loadConfig({ HOOKFLOW_HOST: '::' }))).toBe('http://[::1]:8080');
  expect(selfUrlOf(loadConfig({ HOOKFLOW_SELF_URL: 'http://api:8080/' }))).toBe('http://api:8080');
  expect(() => loadConfig({ HOOKFLOW_SELF_URL: 'api:8080' })).toThrow('HOOKFLOW_SELF_URL');
  expect(() => loadConfig({ HOOKFLOW_SELF_URL: 'ftp://api' })).toThrow('HOOKFLOW_SELF_URL');
  expect(loadConfig({}).maxHops).toBe(5);
  expect(() => loadConfig({ HOOKFLOW_MAX_HOPS: '0' })).toThrow('HOOKFLOW_MAX_HOPS');
});

test('the internal key is the same for the same encryption key and differs for another', () => {
  const key = generateEncryptionKey();
  expect(internalApiKey(key)).toBe(internalApiKey(key));
  expect(internalApiKey(key)).toMatch(/^hfi_[A-Za-z0-9_-]{43}$/);
  expect(internalApiKey(generateEncryptionKey())).not.toBe(internalApiKey(key));
});

test.each([
  [undefined, 0],
  ['0', 0],
  [' 3 ', 3],
  ['-1', undefined],
  ['2.5', undefined],
  ['x', undefined],
  [['1', '2'], undefined],
])('Hookflow-Hops %j is depth %j', (header, depth) => {
  expect(parseHops(header)).toBe(depth);
});

test('a self webhook is one host, hookflow, with origin hookflow:', () => {
  expect(hostKeyOfUrl('hookflow:/v1/events')).toBe('hookflow');
  expect(originOf('hookflow:/v1/events?x=1')).toBe('hookflow:');
  expect(summarise('POST', 'hookflow:/v1/events?x=1')).toBe('POST hookflow:/v1/events');
});

test('a webhook takes hops from 0 to 100', () => {
  expect(parseWebhook({ url: 'hookflow:/v1/events', hops: 3 }, { maxBodyBytes: 10 }).hops).toBe(3);
  expect(() => parseWebhook({ url: 'hookflow:/v1/events', hops: 101 }, { maxBodyBytes: 10 })).toThrow('hops: must be at most 100');
  expect(() => parseWebhook({ url: 'hookflow:/v1/events', hops: -1 }, { maxBodyBytes: 10 })).toThrow('hops: must be at least 0');
});

test('hop_limit is not retried', () => {
  const decision = nextAttempt({ attempts: 1, policy: DEFAULT_RETRY, failure: 'hop_limit', hints: {}, nowMs: 0, deadlineMs: 1e9, maxRetryAfterMs: 1e6, random: 0.5 });
  expect(decision).toEqual({ retry: false, reason: 'hop_limit: chain of Hookflow-to-Hookflow webhooks deeper than HOOKFLOW_MAX_HOPS' });
});
