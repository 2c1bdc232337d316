/**
 * src/webhook/redact.ts: what of a webhook request may be shown back.
 */
import { REDACTED_IN_URL, redactHeaders, redactUrl, summarise } from '../../src/webhook/redact';

describe('redactHeaders', () => {
  test.each([
    'Authorization',
    'authorization',
    'Proxy-Authorization',
    'X-Api-Key',
    'X-API-KEY',
    'api_key',
    'apikey',
    'Cookie',
    'Set-Cookie',
    'X-Webhook-Token',
    'X-Auth-Token',
    'Private-Token',
    'X-Amz-Security-Token',
    'X-Client-Secret',
    'X-Password',
    'X-Hub-Signature-256',
    'X-Session-Id',
    'X-Credentials',
    'Key',
    'sig',
  ])('%s is redacted', (name) => {
    expect(redactHeaders({ [name]: 'sensitive-value' })).toEqual({ [name]: '[redacted]' });
  });

  test.each(['Content-Type', 'Accept', 'User-Agent', 'X-Request-Id', 'X-Custom', 'X-Signed-Off', 'Monkey'])('%s is kept', (name) => {
    expect(redactHeaders({ [name]: 'plain-value' })).toEqual({ [name]: 'plain-value' });
  });

  test('a mixed set keeps the names and order, redacting only the secrets', () => {
    const headers = { 'Content-Type': 'application/json', Authorization: 'Bearer abc', 'X-Tenant': 't1', Cookie: 'sid=1' };
    expect(redactHeaders(headers)).toEqual({ 'Content-Type': 'application/json', Authorization: '[redacted]', 'X-Tenant': 't1', Cookie: '[redacted]' });
    expect(Object.keys(redactHeaders(headers))).toEqual(Object.keys(headers));
    expect(headers.Authorization).toBe('Bearer abc'); // the input is not changed
  });

  // Credentials of widely used receivers (Azure Functions, Azure API Management, generic access keys)
  // whose header names the SECRET_NAME pattern in src/webhook/redact.ts does not match.
  test.each(['X-Functions-Key', 'Ocp-Apim-Subscription-Key', 'X-Access-Key'])('%s is redacted', (name) => {
    expect(redactHeaders({ [name]: 'sensitive-value' })).toEqual({ [name]: '[redacted]' });
  });
});

describe('redactUrl', () => {
  test('user and password are redacted', () => {
    const url = new URL(redactUrl('https://alice:s3cret@hooks.example.com/in'));
    expect(decodeURIComponent(url.username)).toBe(REDACTED_IN_URL);
    expect(decodeURIComponent(url.password)).toBe(REDACTED_IN_URL);
    expect(url.href).not.toContain('alice');
    expect(url.href).not.toContain('s3cret');
    expect(url.host).toBe('hooks.example.com');
    expect(url.pathname).toBe('/in');
  });

  test('a user without a password is redacted too', () => {
    const url = new URL(redactUrl('https://tok_abcdef@hooks.example.com/'));
    expect(decodeURIComponent(url.username)).toBe(REDACTED_IN_URL);
    expect(url.password).toBe('');
  });

  test('?token= and &api_key= are redacted, other parameters are kept', () => {
    const redacted = redactUrl('https://hooks.example.com/in?token=abc123&campaign=spring&api_key=k-999&page=2');
    const params = new URL(redacted).searchParams;
    expect(params.get('token')).toBe(REDACTED_IN_URL);
    expect(params.get('api_key')).toBe(REDACTED_IN_URL);
    expect(params.get('campaign')).toBe('spring');
    expect(params.get('page')).toBe('2');
    expect([...params.keys()]).toEqual(['token', 'campaign', 'api_key', 'page']);
    expect(redacted).not.toContain('abc123');
    expect(redacted).not.toContain('k-999');
  });

  test.each(['access_token', 'Token', 'secret', 'password', 'sig', 'key', 'signature', 'apiKey', 'auth'])('the query parameter %s is redacted', (name) => {
    expect(new URL(redactUrl(`https://h.example/p?${name}=v4lue`)).searchParams.get(name)).toBe(REDACTED_IN_URL);
  });

  test('a repeated secret parameter leaves none of its values', () => {
    const redacted = redactUrl('https://h.example/p?token=first&token=second');
    expect(redacted).not.toMatch(/first|second/);
    expect(new URL(redacted).searchParams.getAll('token')).toEqual([REDACTED_IN_URL]);
  });

  test('a URL without secrets is unchanged', () => {
    expect(redactUrl('https://hooks.example.com/in?campaign=spring&page=2')).toBe('https://hooks.example.com/in?campaign=spring&page=2');
    expect(redactUrl('http://127.0.0.1:8080/')).toBe('http://127.0.0.1:8080/');
  });
});

describe('summarise', () => {
  test('keeps method, origin and path and drops the query', () => {
    expect(summarise('POST', 'https://hooks.example.com/in/orders?token=abc&x=1')).toBe('POST https://hooks.example.com/in/orders');
  });

  test('keeps a non-default port', () => {
    expect(summarise('PUT', 'http://hooks.example.com:8080/x')).toBe('PUT http://hooks.example.com:8080/x');
  });

  test('drops user and password', () => {
    expect(summarise('GET', 'https://alice:s3cret@hooks.example.com/')).toBe('GET https://hooks.example.com/');
  });

  test('drops the fragment', () => {
    expect(summarise('POST', 'https://hooks.example.com/in#token=abc')).toBe('POST https://hooks.example.com/in');
  });
});
