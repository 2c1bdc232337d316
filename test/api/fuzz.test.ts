/**
 * schemathesis fuzzes the running API from its own OpenAPI document (/openapi.json): a real
 * Temporal server, PostgreSQL, worker and API, with the API key. Any 5xx, or any answer the
 * document does not allow (status, content type, body), fails the test with schemathesis's report.
 *
 * The fuzzer invents webhook URLs anywhere on the internet, and this machine must not send to
 * them: the worker's send activity here answers 200 for every attempt without a request leaving.
 * Everything else — Temporal, PostgreSQL, the host workflows, the API — is the real one.
 */
import type { FastifyInstance } from 'fastify';
import { startTestApi } from '../helpers/api';
import { runSchemathesis } from '../helpers/schemathesis';
import { startTestStack, type TestStack } from '../helpers/stack';

const KEY = 'fuzz-key';
let stack: TestStack;
let app: FastifyInstance;
let base: string;

beforeAll(async () => {
  stack = await startTestStack({}, {
    wrapActivities: (real) => ({
      ...real,
      sendAttempt: async () => ({ startedAtMs: Date.now(), durationMs: 1, statusCode: 200, responseHeaders: {}, responseBodySnippet: '' }),
    }),
  });
  ({ app, base } = await startTestApi(stack, KEY));
});

afterAll(async () => {
  await app?.close();
  await stack?.stop();
});

test('schemathesis finds no 5xx and no answer outside the document', async () => {
  const { code, output } = await runSchemathesis(
    [
      `${base}/openapi.json`,
      '--header', `Authorization: Bearer ${KEY}`,
      '--checks', 'not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance',
      '--phases', 'examples,coverage,fuzzing,stateful',
      '--max-examples', '25',
      // A fixed seed: the same cases every run, so a failure is reproducible and never flaky.
      '--seed', '20261129',
      '--workers', '1',
      '--request-timeout', '20',
      '--suppress-health-check', 'all',
      '--no-shrink',
    ],
    480_000,
  );
  if (code !== 0) throw new Error(`schemathesis exited ${code}:\n${output}`);
  // It did test: every operation of the document, hundreds of cases.
  const document = (await (await fetch(`${base}/openapi.json`)).json()) as { paths: Record<string, Record<string, unknown>> };
  const operations = Object.values(document.paths).reduce((n, methods) => n + Object.keys(methods).length, 0);
  expect(operations).toBeGreaterThanOrEqual(40);
  expect(output).toContain(`${operations} selected / ${operations} total`);
  const cases = /(\d+) generated, (\d+) passed/.exec(output);
  expect(Number(cases?.[1])).toBeGreaterThan(300);
  expect(cases?.[2]).toBe(cases?.[1]);
}, 540_000);
