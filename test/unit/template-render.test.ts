/**
 * Rendering a template: strict variables and filters, typed JSON leaves, limits, and the secret
 * markers that only the send activity replaces. Pure: no server needed.
 */
import { withSecrets } from '../../activities/send-attempt';
import type { SendAttemptInput } from '../../src/delivery/definitions';
import { InvalidRequestError } from '../../src/errors';
import { checkTemplateLiquid } from '../../src/template/check';
import { liquidEngine } from '../../src/template/liquid';
import { renderTemplate, TemplateRenderError, type RenderContext } from '../../src/template/render';
import { checkTemplateId, parseTemplated, parseTemplateShape, type TemplateInput } from '../../src/template/schema';
import { maskSecrets, secretMarker, substituteSecrets, SecretUnavailableError } from '../../src/template/secrets';

const engine = liquidEngine({ maxBytes: 65_536, renderMs: 250, memoryBytes: 4_000_000 });
const NONCE = 'a'.repeat(32);
const context: RenderContext = {
  recipient: { id: 'ada@example.com', attributes: { email: 'ada@example.com', plan: 'pro', score: 7.5, vip: true, tags: ['a', 'b'] } },
  trigger: { coins: 100, reason: 'level up' },
  event: { name: 'level_reached', properties: { level: 12 } },
  campaign: { id: 'spring' },
  webhook: { id: 'wh_0123456789abcdef0123456789abcdef' },
  now: '2026-11-29T03:00:00.000Z',
};

function template(input: TemplateInput) {
  const content = parseTemplateShape(input, 262_144);
  checkTemplateLiquid(content, engine);
  return { id: 't', version: 1, content };
}
const render = (input: TemplateInput, ctx: RenderContext = context) => renderTemplate(engine, template(input), ctx, NONCE);

function renderError(input: TemplateInput, ctx: RenderContext = context): TemplateRenderError {
  try {
    render(input, ctx);
  } catch (err) {
    if (err instanceof TemplateRenderError) return err;
    throw err;
  }
  throw new Error('rendered without error');
}

function saveIssues(input: unknown): { field: string; message: string }[] {
  try {
    const content = parseTemplateShape(input, 262_144);
    checkTemplateLiquid(content, engine);
  } catch (err) {
    if (err instanceof InvalidRequestError) return err.issues;
    throw err;
  }
  throw new Error('saved without error');
}

describe('variables and JSON types', () => {
  test('URL, headers and JSON leaves are rendered; a leaf that is one output keeps the value\'s JSON type', () => {
    const r = render({
      url: 'https://crm.example.com/users/{{ recipient.id | url_encode }}?c={{ campaign.id }}',
      headers: { 'X-Plan': '{{ recipient.attributes.plan | upcase }}' },
      body: {
        level: '{{ event.properties.level }}',
        score: '{{ recipient.attributes.score }}',
        vip: '{{ recipient.attributes.vip }}',
        tags: '{{ recipient.attributes.tags }}',
        text: 'level {{ event.properties.level }}',
        coins: '{{ trigger.coins | plus: 5 }}',
        padded: ' {{ event.properties.level }}',
        literal: 3,
        nested: ['{{ webhook.id }}', '{{ now | date: "%Y" }}', null],
      },
    });
    expect(r.url).toBe('https://crm.example.com/users/ada%40example.com?c=spring');
    expect(r.headers).toEqual({ 'X-Plan': 'PRO' });
    expect(r.body).toEqual({
      level: 12,
      score: 7.5,
      vip: true,
      tags: ['a', 'b'],
      text: 'level 12',
      coins: 105,
      padded: ' 12',
      literal: 3,
      nested: ['wh_0123456789abcdef0123456789abcdef', '2026', null],
    });
    // Key order is the template's.
    expect(Object.keys(r.body as object)).toEqual(['level', 'score', 'vip', 'tags', 'text', 'coins', 'padded', 'literal', 'nested']);
  });

  test('a text body is rendered whole', () => {
    expect(render({ url: 'https://x.example/', body: 'user={{ recipient.id }}&level={{ event.properties.level }}' }).body).toBe(
      'user=ada@example.com&level=12',
    );
  });

  test('a missing variable is an error naming it and the field, never an empty string', () => {
    const e = renderError({ url: 'https://x.example/', body: { email: '{{ recipient.attributes.email_address }}' } });
    expect(e.field).toBe('body.email');
    expect(e.reason).toBe('render_error: recipient.attributes.email_address is not defined (in body.email)');
    expect(renderError({ url: 'https://x.example/{{ event.name }}' }, { now: context.now }).reason).toBe('render_error: event is not defined (in url)');
    expect(renderError({ url: 'https://x.example/', headers: { 'X-A': '{{ trigger.nope }}' } }).field).toBe('headers.X-A');
  });

  test('a leading default filter and an if make a variable optional', () => {
    expect(
      render({
        url: 'https://x.example/',
        body: {
          v: '{{ recipient.attributes.nickname | default: "friend" }}',
          w: 'hi {{ recipient.attributes.nickname | default: "friend" }}',
          x: '{% if recipient.attributes.nickname %}{{ recipient.attributes.nickname }}{% else %}none{% endif %}',
        },
      }).body,
    ).toEqual({ v: 'friend', w: 'hi friend', x: 'none' });
  });

  test('prototype fields are not variables', () => {
    expect(renderError({ url: 'https://x.example/', body: { v: '{{ recipient.attributes.constructor }}' } }).detail).toBe(
      'recipient.attributes.constructor is not defined',
    );
  });
});

describe('limits', () => {
  test('a template that allocates too much fails with render_error, as does a runaway loop', () => {
    const memory = renderError({
      url: 'https://x.example/',
      body: '{% assign s = "aaaaaaaaaa" %}{% for i in (1..40) %}{% assign s = s | append: s %}{% endfor %}{{ s | size }}',
    });
    expect(memory.reason).toMatch(/^render_error: memory alloc limit exceeded/);
    const loop = renderError({ url: 'https://x.example/', body: '{% for i in (1..100000000) %}{{ i }}{% endfor %}' });
    expect(loop.reason).toMatch(/limit exceeded/);
  });

  test('a render that runs past its time is stopped with render_error', () => {
    const quick = liquidEngine({ maxBytes: 65_536, renderMs: 20, memoryBytes: 100_000_000 });
    const content = parseTemplateShape({ url: 'https://x.example/', body: '{% for i in (1..3000) %}{% for j in (1..3000) %}{% endfor %}{% endfor %}' }, 262_144);
    expect(() => renderTemplate(quick, { id: 't', version: 1, content }, context, NONCE)).toThrow(
      'template render limit exceeded (HOOKFLOW_TEMPLATE_RENDER_MS / HOOKFLOW_TEMPLATE_MEMORY_BYTES) (in body)',
    );
  });

  test('a template longer than the parse limit is refused at save', () => {
    const small = liquidEngine({ maxBytes: 1024, renderMs: 250, memoryBytes: 4_000_000 });
    const content = parseTemplateShape({ url: 'https://x.example/', body: 'x'.repeat(2000) }, 262_144);
    expect(() => checkTemplateLiquid(content, small)).toThrow(/2018 characters, more than the 1024 allowed \(HOOKFLOW_TEMPLATE_MAX_BYTES\)/);
  });
});

describe('saving checks the Liquid and the shape', () => {
  test('a template that does not parse is refused with the field and the line', () => {
    expect(saveIssues({ url: 'https://x.example/', body: { a: 'ok', b: 'one\ntwo {% if x %}\nthree' } })).toEqual([
      { field: 'body.b', message: 'line 2, col 5: tag {% if x %} not closed' },
    ]);
    expect(saveIssues({ url: 'https://x.example/{{ a | nosuchfilter }}' })).toEqual([{ field: 'url', message: 'line 1, col 19: undefined filter: nosuchfilter' }]);
  });

  test('bad fields are named', () => {
    expect(saveIssues({ method: 'FETCH', headers: { 'Bad Name': 'x', 'webhook-id': 'y' }, retry: { maxAttempts: 0 }, timeoutMs: 5, extra: 1 })).toEqual(
      expect.arrayContaining([
        { field: 'url', message: 'is required' },
        { field: 'method', message: 'must be one of POST, GET, PUT, DELETE, PATCH' },
        { field: 'extra', message: 'is not a known field' },
      ]),
    );
    expect(saveIssues({ url: 'https://x.example/', headers: { 'Bad Name': 'x', 'webhook-id': 'y' }, retry: { maxAttempts: 0 }, timeoutMs: 5 })).toEqual([
      { field: 'headers.Bad Name', message: 'is not a valid header name' },
      { field: 'headers.webhook-id', message: 'is set by Hookflow and cannot be given' },
      { field: 'retry.maxAttempts', message: 'must be at least 1' },
      { field: 'timeoutMs', message: 'must be at least 100' },
    ]);
    expect(saveIssues({ url: 'https://x.example/', signingSecret: { secret: 'no-dashes' } })).toEqual([
      { field: 'signingSecret.secret', message: 'must be 1-64 of A-Z a-z 0-9 _' },
    ]);
    expect(() => checkTemplateId('has space')).toThrow('id: must be 1-128 of A-Z a-z 0-9 _ . @ -');
    expect(() => checkTemplateId('x'.repeat(129))).toThrow(InvalidRequestError);
    expect(checkTemplateId('crm.unsubscribe@v2_-')).toBe('crm.unsubscribe@v2_-');
  });

  test('a templated send names its bad fields', () => {
    const issues = (input: unknown) => {
      try {
        parseTemplated(input);
      } catch (err) {
        return (err as InvalidRequestError).issues;
      }
      return [];
    };
    expect(issues({ template: { id: 'a b', version: 0 }, recipient: { attributes: [] }, url: 'https://x' })).toEqual(
      expect.arrayContaining([
        { field: 'template.id', message: 'must be 1-128 of A-Z a-z 0-9 _ . @ -' },
        { field: 'template.version', message: 'must be at least 1' },
        { field: 'recipient.id', message: 'is required' },
        { field: 'url', message: 'is not a known field' },
      ]),
    );
    expect(issues({ template: { id: 't' }, idempotencyKey: '' })).toEqual([{ field: 'idempotencyKey', message: 'must not be empty' }]);
  });

  test.each([
    ['a filter', '{{ secrets.API_KEY | upcase }}', 'line 1: secrets may only be used as a whole output {{ secrets.NAME }}, without filters (found {{ secrets.API_KEY | upcase }})'],
    ['a tag', '{% if secrets.API_KEY %}x{% endif %}', 'line 1: secrets may only be used as a whole output {{ secrets.NAME }}, not in {% if %}'],
    ['an assign', '{% assign k = secrets %}', 'line 1: secrets may only be used as a whole output {{ secrets.NAME }}, not in {% assign %}'],
    ['the whole object', '{{ secrets }}', 'line 1: secrets may only be used as a whole output {{ secrets.NAME }}, without filters (found {{ secrets }})'],
  ])('secrets in %s are refused at save', (_what, source, message) => {
    expect(saveIssues({ url: 'https://x.example/', headers: { Authorization: source } })).toEqual([{ field: 'headers.Authorization', message }]);
  });

  test.each(['include', 'render', 'layout'])('{%% %s %%} of a file is refused at save', (tag) => {
    expect(saveIssues({ url: 'https://x.example/', body: `a {% ${tag} "other" %}` })).toEqual([
      { field: 'body', message: `line 1: {% ${tag} %} is not available: a template cannot include files` },
    ]);
  });

  test('an attribute merely named secrets is fine', () => {
    expect(render({ url: 'https://x.example/', body: { v: '{{ recipient.attributes.secrets | default: 1 }}' } }).body).toEqual({ v: 1 });
  });
});

describe('secrets', () => {
  const env = { HOOKFLOW_SECRET_API_KEY: 'k"e\\y/&?=', HOOKFLOW_SECRET_SIGNING: `whsec_${Buffer.alloc(32, 1).toString('base64')}` };
  const t = {
    url: 'https://x.example/hook?key={{ secrets.API_KEY }}',
    headers: { Authorization: 'Bearer {{ secrets.API_KEY }}' },
    body: { key: '{{ secrets.API_KEY }}', text: 'k={{secrets.API_KEY}}' },
    signingSecret: { secret: 'SIGNING' },
  };

  test('render leaves markers; previews mask them; only the send puts the values in, escaped for where they stand', () => {
    const r = render(t);
    const marker = (place: Parameters<typeof secretMarker>[1]) => secretMarker(NONCE, place, 'API_KEY');
    expect(r.url).toBe(`https://x.example/hook?key=${marker('url')}`);
    expect(r.headers.Authorization).toBe(`Bearer ${marker('header')}`);
    expect(r.body).toEqual({ key: marker('json'), text: `k=${marker('json')}` });
    expect(r.signingSecret).toBe(secretMarker(NONCE, 'signing', 'SIGNING'));
    expect(JSON.stringify(r)).not.toContain('k"e');
    expect(maskSecrets(r.headers.Authorization, NONCE)).toBe('Bearer ***');

    const input: SendAttemptInput = {
      id: 'wh_x',
      authority: 'x.example',
      request: { method: 'POST', url: r.url, headers: r.headers, body: JSON.stringify(r.body), secretNonce: NONCE },
      signingSecret: r.signingSecret,
      timeoutMs: 1000,
    };
    const sent = withSecrets(input, env);
    expect(sent.request.url).toBe(`https://x.example/hook?key=${encodeURIComponent(env.HOOKFLOW_SECRET_API_KEY)}`);
    expect(new URL(sent.request.url).searchParams.get('key')).toBe(env.HOOKFLOW_SECRET_API_KEY);
    expect(sent.request.headers.Authorization).toBe(`Bearer ${env.HOOKFLOW_SECRET_API_KEY}`);
    expect(JSON.parse(sent.request.body!)).toEqual({ key: env.HOOKFLOW_SECRET_API_KEY, text: `k=${env.HOOKFLOW_SECRET_API_KEY}` });
    expect(sent.signingSecret).toBe(env.HOOKFLOW_SECRET_SIGNING);
    expect(sent.request).not.toHaveProperty('secretNonce');
  });

  test('an unknown secret, or one that cannot stand in a header, fails the send with a clear error', () => {
    expect(() => substituteSecrets(secretMarker(NONCE, 'header', 'MISSING'), NONCE, {})).toThrow(
      new SecretUnavailableError('secret MISSING is not set on this worker (HOOKFLOW_SECRET_MISSING)'),
    );
    expect(() => substituteSecrets(secretMarker(NONCE, 'header', 'NL'), NONCE, { HOOKFLOW_SECRET_NL: 'a\r\nX-Evil: 1' })).toThrow(
      'secret NL contains CR, LF or NUL and cannot be sent in a header',
    );
  });

  test('a recipient cannot smuggle a marker in: only markers of this render\'s nonce are replaced', () => {
    const forged = secretMarker('b'.repeat(32), 'json', 'API_KEY');
    const half = forged.length / 2;
    const r = render(
      { url: 'https://x.example/', body: { a: '{{ recipient.attributes.a }}{{ recipient.attributes.b }}', c: '{{ recipient.attributes.c }}' } },
      { ...context, recipient: { id: 'eve', attributes: { a: forged.slice(0, half), b: forged.slice(half), c: forged } } },
    );
    const body = substituteSecrets(JSON.stringify(r.body), NONCE, env);
    expect(body).not.toContain('k\\"e');
    expect(JSON.parse(body)).toEqual({ a: forged, c: forged });
  });

  test('a secret cannot choose the host', () => {
    expect(renderError({ url: 'https://{{ secrets.API_KEY }}.example/' }).reason).toBe(
      "render_error: a secret cannot stand in the URL's scheme or host (in url)",
    );
  });
});
