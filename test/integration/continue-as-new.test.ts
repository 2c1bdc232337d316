/**
 * deliverWebhook continues as new with everything its loop holds, on a Temporal dev server of its
 * own that suggests continue-as-new after a handful of events. Stale resumes (the kind a retried
 * release sends: a resume for an earlier attempt) grow a waiting webhook's history to that mark.
 */
import { defaultPayloadConverter, type Payload } from '@temporalio/common';
import { hostWorkflowId, resumeSignal } from '../../src/breaker/definitions';
import { webhookWorkflowId, type DeliveryInput } from '../../src/delivery/definitions';
import { freePort } from '../../src/dev/free-port';
import { AesGcmCodec, parseEncryptionKey } from '../../src/temporal/codec';
import { resolveTemporalCli, startDevServer, type DevServer } from '../../src/dev/temporal-dev-server';
import { receiverPool } from '../helpers/receiver';
import { localActivitiesIn, runHistories, type History } from '../helpers/runs';
import { PATIENT_RETRY, startTestStack, type TestStack } from '../helpers/stack';
import { until } from '../helpers/wait';

/** Temporal suggests continue-as-new from this many events on. */
const TINY = 16;
let server: DevServer;
let stack: TestStack;
const pool = receiverPool();
const receiver = pool.start;
const patient = PATIENT_RETRY;

beforeAll(async () => {
  server = await startDevServer({
    cliPath: resolveTemporalCli(process.env.TEMPORAL_CLI_PATH),
    port: await freePort(),
    dynamicConfig: { 'limit.historyCount.suggestContinueAsNew': TINY },
  });
  stack = await startTestStack(
    // A 10 s cooldown: the probe must come after the stale resumes have taken its webhook to the mark,
    // even on a busy machine, where a send, a status and each stale resume's history poll take seconds.
    { breakerWindowMs: 10_000, breakerMinRequests: 6, breakerCooldownMs: 10_000, breakerMaxCooldownMs: 20_000, hostResumeRate: 10, hostReportIntervalMs: 200 },
    { temporalAddress: server.address },
  );
}, 60_000);
afterAll(async () => {
  await pool.closeAll();
  await stack?.stop();
  await server?.stop();
});


const signalsIn = (run: History) => (run.events ?? []).filter((e) => e.workflowExecutionSignaledEventAttributes);
/** Send attempts a run made (held ones included): its local activity markers. */
const attemptsIn = (run: History) => localActivitiesIn(run, 'sendAttempt');

/** The input a run started with, opened with the stack's key (histories hold it encrypted). */
async function startInput(run: History): Promise<DeliveryInput> {
  const payload = run.events?.[0]?.workflowExecutionStartedEventAttributes?.input?.payloads?.[0];
  if (!payload) throw new Error('run without input');
  const [plain] = await new AesGcmCodec(parseEncryptionKey(stack.encryptionKey)).decode([payload as Payload]);
  return defaultPayloadConverter.fromPayload<DeliveryInput>(plain);
}

/** Sends `n` stale resumes (ticket 0, answering no attempt of this webhook) to grow its history. */
async function staleResumes(id: string, n: number): Promise<void> {
  const handle = stack.hookflow.client.workflow.getHandle(webhookWorkflowId(id));
  for (let i = 0; i < n; i++) await handle.signal(resumeSignal, { ticket: 0 });
}

/**
 * Grows a waiting webhook's history with stale resumes, one workflow task each, until the next
 * signal's own workflow task will start at or past the mark (a signal and its task's scheduled and
 * started events: 3 more) while no stale one's task did. Counting events, not signals, because a
 * busy worker may take several signals in one task. Returns how many stale resumes it sent.
 */
async function toJustBelowTheMark(id: string): Promise<number> {
  const handle = stack.hookflow.client.workflow.getHandle(webhookWorkflowId(id));
  const settledLength = () =>
    until(`webhook ${id}'s workflow task to complete`, async () => {
      const events = (await handle.fetchHistory()).events ?? [];
      // Settled: after the last completed task come only its commands' events, nothing new to run.
      const last = events.map((e) => Boolean(e.workflowTaskCompletedEventAttributes)).lastIndexOf(true);
      const pending = events.slice(last + 1).some((e) => e.workflowTaskScheduledEventAttributes || e.workflowExecutionSignaledEventAttributes || e.timerFiredEventAttributes);
      return last >= 0 && !pending ? events.length : undefined;
    });
  let sent = 0;
  // A stale task starts 3 events after the length it found, so while the length is below TINY - 3
  // each one starts below the mark; once it is not, the next signal's task starts at or past it.
  while ((await settledLength()) < TINY - 3) {
    await handle.signal(resumeSignal, { ticket: 0 });
    sent += 1;
  }
  return sent;
}

const waiting = (id: string) =>
  until(`webhook ${id} to wait`, async () => {
    const s = await stack.hookflow.status(id);
    return s.status === 'paused' ? s : undefined;
  });

test('a paused webhook continues as new while it waits, and the next run goes on waiting and is delivered on resume', async () => {
  const r = await receiver();
  await stack.hookflow.pauseHost(r.authority);
  const { id } = await stack.hookflow.send({ url: r.url, retry: patient });
  await waiting(id);
  await staleResumes(id, 4);
  const runs = await until('a second run', async () => {
    const h = await runHistories(stack.hookflow.client, webhookWorkflowId(id));
    return h.length >= 2 ? h : undefined;
  });
  expect(runs[0].events?.at(-1)?.workflowExecutionContinuedAsNewEventAttributes).toBeTruthy();
  // The new run waits too: same status, same reason, and nothing was sent.
  expect(await waiting(id)).toMatchObject({ status: 'paused', waitingFor: 'host', attempts: [] });
  expect(r.arrivals).toHaveLength(0);

  await stack.hookflow.resumeHost(r.authority);
  const state = await stack.hookflow.result(id);
  expect(state.status).toBe('delivered');
  expect(state.attempts).toHaveLength(1);
  expect(r.arrivals).toHaveLength(1);
}, 90_000);

test('a resume that arrived just before continue-as-new is kept: the next run sends as released', async () => {
  const r = await receiver();
  await stack.hookflow.pauseHost(r.authority);
  const { id } = await stack.hookflow.send({ url: r.url, retry: patient });
  await waiting(id);
  // Others wait behind it, so the host keeps draining: an attempt that was not released would queue again.
  const others = await Promise.all(Array.from({ length: 15 }, () => stack.hookflow.send({ url: r.url, retry: patient })));
  await until('16 waiters', async () => ((await stack.hookflow.hostStatus(r.authority)).pausedWebhooks === 16 ? true : undefined));
  // Just below the mark: the resume's own workflow task takes the run past it.
  const stale = await toJustBelowTheMark(id);
  await stack.hookflow.resumeHost(r.authority);
  expect((await stack.hookflow.result(id)).status).toBe('delivered');
  const runs = await runHistories(stack.hookflow.client, webhookWorkflowId(id));
  // The run that began with the release in hand: the resume was carried across continue-as-new.
  const inputs = await Promise.all(runs.map(startInput));
  const k = inputs.findIndex((input) => input.carried?.loop?.ask?.released === true);
  expect(k).toBeGreaterThanOrEqual(1);
  // The run before it took the stale resumes and the real one, then continued as new.
  expect(signalsIn(runs[k - 1]).filter((e) => e.workflowExecutionSignaledEventAttributes?.signalName === 'resume').length).toBeGreaterThanOrEqual(stale + 1);
  // That run sent as released. (Its first attempt may be held once more: a loaded worker can come
  // later than the send slot the release named, and a late attempt waits for another slot.)
  expect(attemptsIn(runs[k])).toBeGreaterThanOrEqual(1);
  for (const o of others) expect((await stack.hookflow.result(o.id)).status).toBe('delivered');
}, 90_000);

test('a probe that continue-as-new interrupts is still the probe in the next run, and its answer closes the breaker', async () => {
  let healthy = false;
  const r = await receiver(() => ({ status: healthy ? 200 : 503 }));
  const slow = { ...patient, initialIntervalMs: 30_000, maxIntervalMs: 30_000 };
  await Promise.all(Array.from({ length: 8 }, () => stack.hookflow.send({ url: r.url, retry: slow })));
  await until('the breaker to open', async () => ((await stack.hookflow.hostStatus(r.authority)).state === 'open' ? true : undefined));
  const { id } = await stack.hookflow.send({ url: r.url, retry: patient });
  await waiting(id);
  await toJustBelowTheMark(id);
  healthy = true;
  // The eight that opened it retry only after 30 s: the first waiter to be probed is this one.
  expect((await stack.hookflow.result(id)).status).toBe('delivered');
  const runs = await runHistories(stack.hookflow.client, webhookWorkflowId(id));
  expect(runs.length).toBeGreaterThanOrEqual(2);
  // The last run's one attempt was the probe: an attempt that had lost its probe flag would be held (half-open).
  expect(attemptsIn(runs.at(-1)!)).toBe(1);
  await until('the breaker to close', async () => ((await stack.hookflow.hostStatus(r.authority)).state === 'closed' ? true : undefined), 10_000);
  const described = await stack.hookflow.client.workflow.getHandle(hostWorkflowId(stack.hookflow.hostQueue, r.authority)).describe();
  expect(described.status.name).toBe('RUNNING');
}, 90_000);
