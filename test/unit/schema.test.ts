/**
 * src/webhook/schema.ts parseWebhook: defaults, and every bad input as an InvalidWebhookError whose
 * issues name the field and the problem.
 */
import { InvalidWebhookError, type FieldIssue } from '../../src/errors';
import { parseWebhook } from '../../src/webhook/schema';

const LIMITS = { maxBodyBytes: 1_000 };
const URL_OK = 'https://hooks.example.com/in';
const secret = (bytes: number): string => `whsec_${Buffer.alloc(bytes, 7).toString('base64')}`;

/** The issues parseWebhook throws for `input`; fails the test if it does not throw InvalidWebhookError. */
function issuesOf(input: unknown, limits = LIMITS): FieldIssue[] {
  try {
    parseWebhook(input, limits);
  } catch (err) {
    expect(err).toBeInstanceOf(InvalidWebhookError);
    const e = err as InvalidWebhookError;
    expect(e.code).toBe('invalid_webhook');
    expect(e.name).toBe('InvalidWebhookError');
    expect(e.message).toBe(e.issues.map((i) => `${i.field}: ${i.message}`).join('; '));
    return e.issues;
  }
  throw new Error(`parseWebhook accepted ${JSON.stringify(input)?.slice(0, 200)}`);
}

describe('a valid webhook', () => {
  test('only a URL: every default is filled in', () => {
    expect(parseWebhook({ url: URL_OK }, LIMITS)).toEqual({
      method: 'POST',
      url: URL_OK,
      headers: {},
      retry: { maxAttempts: 10, maxDurationSeconds: 259_200, initialIntervalMs: 5_000, maxIntervalMs: 36_000_000 },
      timeoutMs: 30_000,
      tags: {},
    });
  });

  test.each([
    ['post', 'POST'],
    ['Get', 'GET'],
    ['put', 'PUT'],
    ['DELETE', 'DELETE'],
    ['pAtCh', 'PATCH'],
  ])('the method %j is read case-insensitively as %s', (method, expected) => {
    expect(parseWebhook({ url: URL_OK, method }, LIMITS).method).toBe(expected);
  });

  test('a partial retry policy keeps the defaults for the fields left out', () => {
    expect(parseWebhook({ url: URL_OK, retry: { maxAttempts: 3 } }, LIMITS).retry).toEqual({
      maxAttempts: 3,
      maxDurationSeconds: 259_200,
      initialIntervalMs: 5_000,
      maxIntervalMs: 36_000_000,
    });
  });

  test('every field given is kept as given', () => {
    const webhook = {
      method: 'PUT',
      url: 'http://hooks.example.com:8080/in?x=1',
      headers: { 'Content-Type': 'application/xml', Authorization: 'Bearer abc', 'X-Tab': 'a\tb', 'X-Latin': 'Zoë' },
      body: '<a/>',
      idempotencyKey: 'order-42:v1',
      signingSecret: secret(32),
      retry: { maxAttempts: 100, maxDurationSeconds: 60, initialIntervalMs: 10, maxIntervalMs: 10 },
      timeoutMs: 90_000,
      tags: { campaign: 'spring', 'a.b:c_d-e': '' },
    };
    expect(parseWebhook(webhook, LIMITS)).toEqual(webhook);
  });

  test.each([
    ['the shortest allowed secret (24 bytes)', secret(24)],
    ['the longest allowed secret (64 bytes)', secret(64)],
  ])('%s is accepted', (_title, signingSecret) => {
    expect(parseWebhook({ url: URL_OK, signingSecret }, LIMITS).signingSecret).toBe(signingSecret);
  });

  test('a body of exactly maxBodyBytes is accepted, counted in UTF-8 bytes once serialised', () => {
    expect(parseWebhook({ url: URL_OK, body: 'x'.repeat(1_000) }, LIMITS).body).toHaveLength(1_000);
    expect(parseWebhook({ url: URL_OK, body: { s: 'x'.repeat(1_000 - 8) } }, LIMITS).body).toBeDefined(); // {"s":"…"} is 8 bytes + the string
  });

  test('a GET with a null body is accepted', () => {
    expect(parseWebhook({ url: URL_OK, method: 'GET', body: null }, LIMITS).method).toBe('GET');
  });

  test('an idempotency key of 255 printable characters is accepted', () => {
    expect(parseWebhook({ url: URL_OK, idempotencyKey: '~'.repeat(255) }, LIMITS).idempotencyKey).toHaveLength(255);
  });
});

describe('every bad input names the field and the problem', () => {
  const headers = (h: Record<string, unknown>) => ({ url: URL_OK, headers: h });
  const retry = (r: Record<string, unknown>) => ({ url: URL_OK, retry: r });
  const rows: [string, unknown, FieldIssue[]][] = [
    ['a missing url', {}, [{ field: 'url', message: 'is required' }]],
    ['an ftp url', { url: 'ftp://files.example.com/x' }, [{ field: 'url', message: 'scheme must be http or https, not ftp' }]],
    ['a file url', { url: 'file:///etc/passwd' }, [{ field: 'url', message: 'scheme must be http or https, not file' }]],
    ['a javascript url', { url: 'javascript:alert(1)' }, [{ field: 'url', message: 'scheme must be http or https, not javascript' }]],
    ['a relative url', { url: '/hooks/in' }, [{ field: 'url', message: 'must be an absolute http or https URL' }]],
    ['an empty url', { url: '' }, [{ field: 'url', message: 'must be an absolute http or https URL' }]],
    ['a url over 8192 characters', { url: `${URL_OK}?${'a'.repeat(8_192)}` }, [{ field: 'url', message: 'must be at most 8192 characters' }]],
    ['an unknown method', { url: URL_OK, method: 'FETCH' }, [{ field: 'method', message: 'must be one of POST, GET, PUT, DELETE, PATCH' }]],
    ['a header name with a space', headers({ 'X Foo': 'a' }), [{ field: 'headers.X Foo', message: 'is not a valid header name' }]],
    ['a header name with a colon', headers({ 'X-Foo:': 'a' }), [{ field: 'headers.X-Foo:', message: 'is not a valid header name' }]],
    ['an empty header name', headers({ '': 'a' }), [{ field: 'headers.', message: 'is not a valid header name' }]],
    [
      'a header value with CR/LF',
      headers({ 'X-Foo': 'a\r\nX-Injected: 1' }),
      [{ field: 'headers.X-Foo', message: 'value must not contain CR, LF, NUL or other control characters' }],
    ],
    ['a header value with a bare LF', headers({ 'X-Foo': 'a\nb' }), [{ field: 'headers.X-Foo', message: 'value must not contain CR, LF, NUL or other control characters' }]],
    ['a header value with NUL', headers({ 'X-Foo': 'a\0b' }), [{ field: 'headers.X-Foo', message: 'value must not contain CR, LF, NUL or other control characters' }]],
    ['a header value with DEL', headers({ 'X-Foo': 'a\x7fb' }), [{ field: 'headers.X-Foo', message: 'value must not contain CR, LF, NUL or other control characters' }]],
    ['a header value over 8192 characters', headers({ 'X-Foo': 'a'.repeat(8_193) }), [{ field: 'headers.X-Foo', message: 'value must be at most 8192 characters' }]],
    [
      'reserved headers (webhook-id, Host, Content-Length)',
      headers({ 'webhook-id': 'msg_1', Host: 'evil.example', 'Content-Length': '3' }),
      [
        { field: 'headers.webhook-id', message: 'is set by Hookflow and cannot be given' },
        { field: 'headers.Host', message: 'is set by Hookflow and cannot be given' },
        { field: 'headers.Content-Length', message: 'is set by Hookflow and cannot be given' },
      ],
    ],
    [
      'reserved headers in any case (Webhook-Signature, WEBHOOK-TIMESTAMP, Transfer-Encoding, Connection, TE, Expect, Upgrade, Keep-Alive, Trailer, Proxy-Connection)',
      headers({
        'Webhook-Signature': 'v1,x',
        'WEBHOOK-TIMESTAMP': '1',
        'Transfer-Encoding': 'chunked',
        Connection: 'close',
        TE: 'trailers',
        Expect: '100-continue',
        Upgrade: 'h2c',
        'Keep-Alive': 'timeout=5',
        Trailer: 'X',
        'Proxy-Connection': 'keep-alive',
      }),
      [
        'Webhook-Signature',
        'WEBHOOK-TIMESTAMP',
        'Transfer-Encoding',
        'Connection',
        'TE',
        'Expect',
        'Upgrade',
        'Keep-Alive',
        'Trailer',
        'Proxy-Connection',
      ].map((name) => ({ field: `headers.${name}`, message: 'is set by Hookflow and cannot be given' })),
    ],
    [
      'duplicate header names differing in case',
      headers({ 'X-Foo': 'a', 'x-foo': 'b' }),
      [{ field: 'headers.x-foo', message: 'is given twice (header names are case-insensitive)' }],
    ],
    [
      'more than 100 headers',
      headers(Object.fromEntries(Array.from({ length: 101 }, (_, i) => [`X-H${i}`, 'v']))),
      [{ field: 'headers', message: 'at most 100 headers' }],
    ],
    ['a GET with a body', { url: URL_OK, method: 'GET', body: { a: 1 } }, [{ field: 'body', message: 'a GET request carries no body' }]],
    ['a lower-case get with a text body', { url: URL_OK, method: 'get', body: 'x' }, [{ field: 'body', message: 'a GET request carries no body' }]],
    [
      'a text body over maxBodyBytes',
      { url: URL_OK, body: 'x'.repeat(1_001) },
      [{ field: 'body', message: 'is 1001 bytes, more than the 1000 allowed (HOOKFLOW_MAX_BODY_BYTES)' }],
    ],
    [
      'a text body over maxBodyBytes in UTF-8 bytes, not characters',
      { url: URL_OK, body: 'é'.repeat(501) },
      [{ field: 'body', message: 'is 1002 bytes, more than the 1000 allowed (HOOKFLOW_MAX_BODY_BYTES)' }],
    ],
    [
      'a JSON body over maxBodyBytes once serialised',
      { url: URL_OK, body: { s: 'x'.repeat(993) } },
      [{ field: 'body', message: 'is 1001 bytes, more than the 1000 allowed (HOOKFLOW_MAX_BODY_BYTES)' }],
    ],
    [
      'an empty idempotencyKey',
      { url: URL_OK, idempotencyKey: '' },
      [
        { field: 'idempotencyKey', message: 'must not be empty' },
        { field: 'idempotencyKey', message: 'must be printable ASCII without spaces' },
      ],
    ],
    ['an idempotencyKey of 256 characters', { url: URL_OK, idempotencyKey: 'a'.repeat(256) }, [{ field: 'idempotencyKey', message: 'must be at most 255 characters' }]],
    ['an idempotencyKey with a space', { url: URL_OK, idempotencyKey: 'order 42' }, [{ field: 'idempotencyKey', message: 'must be printable ASCII without spaces' }]],
    ['an idempotencyKey with non-ASCII', { url: URL_OK, idempotencyKey: 'zoë' }, [{ field: 'idempotencyKey', message: 'must be printable ASCII without spaces' }]],
    ['a signingSecret without whsec_', { url: URL_OK, signingSecret: Buffer.alloc(32).toString('base64') }, [{ field: 'signingSecret', message: "must be 'whsec_' followed by base64" }]],
    ['a signingSecret that is not base64', { url: URL_OK, signingSecret: 'whsec_!!!!not-base64' }, [{ field: 'signingSecret', message: "must be 'whsec_' followed by base64" }]],
    ['a signingSecret of 16 bytes', { url: URL_OK, signingSecret: secret(16) }, [{ field: 'signingSecret', message: 'must encode 24 to 64 bytes, not 16' }]],
    ['a signingSecret of 23 bytes', { url: URL_OK, signingSecret: secret(23) }, [{ field: 'signingSecret', message: 'must encode 24 to 64 bytes, not 23' }]],
    ['a signingSecret of 65 bytes', { url: URL_OK, signingSecret: secret(65) }, [{ field: 'signingSecret', message: 'must encode 24 to 64 bytes, not 65' }]],
    ['an unknown retry field', retry({ backoff: 2 }), [{ field: 'retry.backoff', message: 'is not a known field' }]],
    ['retry.maxAttempts 0', retry({ maxAttempts: 0 }), [{ field: 'retry.maxAttempts', message: 'must be at least 1' }]],
    ['retry.maxAttempts 101', retry({ maxAttempts: 101 }), [{ field: 'retry.maxAttempts', message: 'must be at most 100' }]],
    ['retry.maxDurationSeconds 0', retry({ maxDurationSeconds: 0 }), [{ field: 'retry.maxDurationSeconds', message: 'must be at least 1' }]],
    ['retry.maxDurationSeconds over 30 days', retry({ maxDurationSeconds: 30 * 86_400 + 1 }), [{ field: 'retry.maxDurationSeconds', message: 'must be at most 2592000' }]],
    ['retry.initialIntervalMs 9', retry({ initialIntervalMs: 9 }), [{ field: 'retry.initialIntervalMs', message: 'must be at least 10' }]],
    ['retry.maxIntervalMs over a day', retry({ maxIntervalMs: 86_400_001 }), [{ field: 'retry.maxIntervalMs', message: 'must be at most 86400000' }]],
    [
      'retry.maxIntervalMs below retry.initialIntervalMs',
      retry({ initialIntervalMs: 1_000, maxIntervalMs: 500 }),
      [{ field: 'retry.maxIntervalMs', message: 'cannot be less than retry.initialIntervalMs' }],
    ],
    [
      'retry.initialIntervalMs above the default maxIntervalMs',
      retry({ initialIntervalMs: 86_400_000 }),
      [{ field: 'retry.maxIntervalMs', message: 'cannot be less than retry.initialIntervalMs' }],
    ],
    ['timeoutMs 99', { url: URL_OK, timeoutMs: 99 }, [{ field: 'timeoutMs', message: 'must be at least 100' }]],
    ['timeoutMs 90001', { url: URL_OK, timeoutMs: 90_001 }, [{ field: 'timeoutMs', message: 'must be at most 90000' }]],
    ['a tag name with a space', { url: URL_OK, tags: { 'my tag': 'x' } }, [{ field: 'tags.my tag', message: 'tag names are 1-64 of A-Z a-z 0-9 _ . : -' }]],
    ['a tag name of 65 characters', { url: URL_OK, tags: { ['t'.repeat(65)]: 'x' } }, [{ field: `tags.${'t'.repeat(65)}`, message: 'tag names are 1-64 of A-Z a-z 0-9 _ . : -' }]],
    ['a tag value over 256 characters', { url: URL_OK, tags: { campaign: 'x'.repeat(257) } }, [{ field: 'tags.campaign', message: 'must be at most 256 characters' }]],
    ['more than 20 tags', { url: URL_OK, tags: Object.fromEntries(Array.from({ length: 21 }, (_, i) => [`t${i}`, 'v'])) }, [{ field: 'tags', message: 'at most 20 tags' }]],
    ['an unknown top-level field', { url: URL_OK, secret: 'x' }, [{ field: 'secret', message: 'is not a known field' }]],
    ['a misspelt field', { url: URL_OK, header: {} }, [{ field: 'header', message: 'is not a known field' }]],
    ['an array', [URL_OK], [{ field: '(webhook)', message: 'must be a JSON object' }]],
    ['null', null, [{ field: '(webhook)', message: 'must be a JSON object' }]],
    ['undefined', undefined, [{ field: '(webhook)', message: 'must be a JSON object' }]],
    ['a string', URL_OK, [{ field: '(webhook)', message: 'must be a JSON object' }]],
    ['a number', 42, [{ field: '(webhook)', message: 'must be a JSON object' }]],
  ];

  test.each(rows)('%s', (_title, input, expected) => {
    expect(issuesOf(input)).toEqual(expected);
  });
});

describe('a value of the wrong type', () => {
  // The field is named right, but src/webhook/schema.ts toFieldIssues reads `issue.input`, which zod 4
  // leaves out of issues, so every wrong type is reported as "is required" instead of the schema's
  // own message.
  const rows: [string, unknown, string, string][] = [
    ['a numeric url', { url: 42 }, 'url', 'must be a string'],
    ['a numeric method', { url: URL_OK, method: 5 }, 'method', 'must be one of POST, GET, PUT, DELETE, PATCH'],
    ['a non-string header value', { url: URL_OK, headers: { 'X-Count': 3 } }, 'headers.X-Count', 'must be a string'],
    ['headers given as an array', { url: URL_OK, headers: ['X-Foo: a'] }, 'headers', 'must be an object of strings'],
    ['a numeric idempotencyKey', { url: URL_OK, idempotencyKey: 42 }, 'idempotencyKey', 'must be a string'],
    ['a numeric signingSecret', { url: URL_OK, signingSecret: 42 }, 'signingSecret', 'must be a string'],
    ['retry.maxAttempts 1.5', { url: URL_OK, retry: { maxAttempts: 1.5 } }, 'retry.maxAttempts', 'must be an integer'],
    ["retry.maxAttempts '3'", { url: URL_OK, retry: { maxAttempts: '3' } }, 'retry.maxAttempts', 'must be a number'],
    ["timeoutMs '5000'", { url: URL_OK, timeoutMs: '5000' }, 'timeoutMs', 'must be a number'],
    ['a non-string tag value', { url: URL_OK, tags: { attempt: 1 } }, 'tags.attempt', 'must be a string'],
  ];

  test.each(rows)('%s is reported on its field', (_title, input, field) => {
    const issues = issuesOf(input);
    expect(issues).toHaveLength(1);
    expect(issues[0].field).toBe(field);
  });

  test.each(rows)('%s is reported with the problem, not as "is required"', (_title, input, field, message) => {
    expect(issuesOf(input)).toEqual([{ field, message }]);
  });
});

describe('several problems at once', () => {
  test('are all reported, each on its own field', () => {
    const issues = issuesOf({
      url: 'ftp://files.example.com/',
      method: 'FETCH',
      headers: { 'X Bad': 'a', 'X-Inject': 'a\r\nb', Host: 'x' },
      idempotencyKey: '',
      signingSecret: secret(16),
      retry: { maxAttempts: 0, surprise: true },
      timeoutMs: 90_001,
      tags: { 'bad tag': 'x' },
      extra: 1,
    });
    expect(issues).toEqual(
      expect.arrayContaining([
        { field: 'url', message: 'scheme must be http or https, not ftp' },
        { field: 'method', message: 'must be one of POST, GET, PUT, DELETE, PATCH' },
        { field: 'headers.X Bad', message: 'is not a valid header name' },
        { field: 'headers.X-Inject', message: 'value must not contain CR, LF, NUL or other control characters' },
        { field: 'headers.Host', message: 'is set by Hookflow and cannot be given' },
        { field: 'idempotencyKey', message: 'must not be empty' },
        { field: 'signingSecret', message: 'must encode 24 to 64 bytes, not 16' },
        { field: 'retry.maxAttempts', message: 'must be at least 1' },
        { field: 'retry.surprise', message: 'is not a known field' },
        { field: 'timeoutMs', message: 'must be at most 90000' },
        { field: 'tags.bad tag', message: 'tag names are 1-64 of A-Z a-z 0-9 _ . : -' },
        { field: 'extra', message: 'is not a known field' },
      ]),
    );
  });

  test('a body problem is reported alongside field problems', () => {
    expect(issuesOf({ url: '/relative', method: 'GET', body: 'x', timeoutMs: 5 })).toEqual(
      expect.arrayContaining([
        { field: 'url', message: 'must be an absolute http or https URL' },
        { field: 'timeoutMs', message: 'must be at least 100' },
        { field: 'body', message: 'a GET request carries no body' },
      ]),
    );
    expect(issuesOf({ url: URL_OK, body: 'x'.repeat(1_001), unknown: true })).toEqual([
      { field: 'unknown', message: 'is not a known field' },
      { field: 'body', message: 'is 1001 bytes, more than the 1000 allowed (HOOKFLOW_MAX_BODY_BYTES)' },
    ]);
  });

  // The retry refinement runs after a transform that zod skips once a retry field failed.
  test('an interval problem is reported alongside another retry problem', () => {
    expect(issuesOf({ url: URL_OK, retry: { maxAttempts: 0, initialIntervalMs: 1_000, maxIntervalMs: 500 } })).toEqual([
      { field: 'retry.maxAttempts', message: 'must be at least 1' },
      { field: 'retry.maxIntervalMs', message: 'cannot be less than retry.initialIntervalMs' },
    ]);
  });
});

describe('bodies the SDK cannot serialise', () => {
  const circular: Record<string, unknown> = {};
  circular.self = circular;
  // parseWebhook promises InvalidWebhookError for bad input; JSON.stringify's TypeError escapes instead.
  test.each([
    ['a BigInt', { n: 1n }],
    ['a circular object', circular],
  ])('a body holding %s is an InvalidWebhookError on body', (_title, body) => {
    expect(issuesOf({ url: URL_OK, body }).map((i) => i.field)).toEqual(['body']);
  });
});
