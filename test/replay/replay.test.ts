/**
 * The committed histories of real runs (test/histories/, recorded by `npm run histories`) replayed
 * on today's workflow code with the SDK's replayer: a change to workflow code that would break
 * workflows already running fails here, before it ships. See the README on changing workflow code.
 */
import fs from 'node:fs';
import path from 'node:path';
import { temporal } from '@temporalio/proto';
import { Worker, type ReplayWorkerOptions } from '@temporalio/worker';
import { AesGcmCodec, parseEncryptionKey } from '../../src/temporal/codec';
import { hookflowDataConverter } from '../../src/temporal/connect';
import { allBytes } from '../helpers/bytes';
import { HISTORY_KEY, PLAINTEXT_MARKERS } from '../histories/fixture';

type History = temporal.api.history.v1.History;
const DIR = path.resolve(__dirname, '../histories');
// Each folder's own files are today's scenarios; its subfolders keep histories of older workflow
// code (e.g. before-ledger/), which running workflows may still have.
const files = ['deliver-webhook', 'host-circuit', 'recover-webhooks', 'dispatch-campaign', 'run-journey', 'enter-journey-audience'].flatMap((type) =>
  (fs.readdirSync(path.join(DIR, type), { recursive: true }) as string[]).filter((f) => f.endsWith('.json')).map((f) => `${type}/${f}`),
);
const load = (file: string): History => temporal.api.history.v1.History.fromObject(JSON.parse(fs.readFileSync(path.join(DIR, file), 'utf8')));
const options = (withKey = true): ReplayWorkerOptions => ({
  workflowBundle: { codePath: process.env.HOOKFLOW_TEST_WORKFLOW_BUNDLE! },
  ...(withKey ? { dataConverter: hookflowDataConverter(HISTORY_KEY) } : {}),
});

/** Replays each history; the errors, by file. */
async function replay(histories: { file: string; history: History }[], withKey = true): Promise<Record<string, string>> {
  const errors: Record<string, string> = {};
  const results = Worker.runReplayHistories(
    options(withKey),
    histories.map(({ file, history }) => ({ workflowId: file, history })),
  );
  for await (const result of results) if (result.error) errors[result.workflowId] = String((result.error as Error).message ?? result.error);
  return errors;
}

test('the histories cover each workflow’s scenarios', () => {
  const scenarios = new Set(files.filter((f) => f.split('/').length === 2).map((f) => f.replace(/(\.run-\d+)?\.json$/, '')));
  expect([...scenarios].sort()).toEqual([
    'deliver-webhook/campaign-first-try',
    'deliver-webhook/campaign-rate-limited',
    'deliver-webhook/cancelled',
    'deliver-webhook/continued-as-new',
    'deliver-webhook/first-try',
    'deliver-webhook/paused-and-resumed',
    'deliver-webhook/retry-after',
    'dispatch-campaign/completed',
    'dispatch-campaign/continued-as-new',
    'dispatch-campaign/paced',
    'enter-journey-audience/completed',
    'host-circuit/continued-as-new',
    'host-circuit/opened-probed-closed',
    'host-circuit/paused-by-an-operator',
    'recover-webhooks/completed',
    'run-journey/continued-as-new',
    'run-journey/every-step',
    'run-journey/exited',
    'run-journey/migrated',
  ]);
});

test('every committed history replays on today’s workflow code', async () => {
  expect(files.filter((f) => f.includes('/before-ledger/')).length).toBeGreaterThan(0);
  const errors = await replay(files.map((file) => ({ file, history: load(file) })));
  expect(errors).toEqual({});
}, 60_000);

test('a history that no longer matches the code fails the replay', async () => {
  // As if the attempt had once been a different activity: the recorded marker names one the code no longer calls.
  const history = load('deliver-webhook/first-try.json');
  const marker = history.events.find((e) => e.markerRecordedEventAttributes?.markerName === 'core_local_activity')!.markerRecordedEventAttributes!;
  const data = marker.details!.data.payloads![0];
  data.data = Buffer.from(Buffer.from(data.data!).toString('utf8').replace('"sendAttempt"', '"sendAttemptV0"'));
  const errors = await replay([{ file: 'tampered', history }]);
  expect(errors.tampered).toMatch(/[Nn]ondetermin/);
}, 60_000);

describe('what the histories hold', () => {

  test('no history holds a signing secret, body or header value in plain text', () => {
    for (const file of files) {
      const stored = `${allBytes(load(file))}\n${fs.readFileSync(path.join(DIR, file), 'utf8')}`;
      for (const marker of PLAINTEXT_MARKERS) expect(`${file}: ${stored.includes(marker)}`).toBe(`${file}: false`);
    }
  });

  test('no journey history holds a recipient id in plain text (workflow ids carry its hash)', () => {
    for (const file of files.filter((f) => f.startsWith('run-journey/'))) {
      const stored = `${allBytes(load(file))}\n${fs.readFileSync(path.join(DIR, file), 'utf8')}`;
      expect(stored).toContain('journey:history-');
      for (const recipient of ['history-user', 'history-exit', 'history-migrate']) expect(`${file}: ${stored.includes(recipient)}`).toBe(`${file}: false`);
    }
  });

  test('they are encrypted under the published fixture key, which the replayer needs to decode a workflow’s input', async () => {
    const history = load('deliver-webhook/first-try.json');
    const input = history.events[0].workflowExecutionStartedEventAttributes!.input!.payloads!;
    const decoded = await new AesGcmCodec(parseEncryptionKey(HISTORY_KEY)).decode(input);
    expect(allBytes(decoded)).toContain('history-body-marker');
    const errors = await replay([{ file: 'no-key', history }], false);
    expect(errors['no-key']).toBeDefined();
  }, 60_000);
});
