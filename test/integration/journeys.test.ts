/**
 * Journeys on a real stack (Temporal dev server, worker, PostgreSQL, receivers on 127.0.0.1),
 * through the HTTP API: definitions and their validation, event and API entries, each path of a
 * signup journey, the race of an event sent with the entry event, exitOn, re-entry rules, an
 * experiment's split, an update counter, a trigger into another journey, versions and migrate.
 * Windows are seconds long.
 */
import pg from 'pg';
import type { Hookflow } from '../../src/client/hookflow';
import { JOURNEY_SEARCH_ATTRIBUTES, journeyEventSignal } from '../../src/journey/definitions';
import { JourneyService } from '../../src/journey/service';
import { recipientKey } from '../../src/journey/store';
import { TemplateService } from '../../src/template/service';
import { startApiWithOwnClient, type Answer, type OwnClientApi } from '../helpers/api';
import { receiverPool, type Receiver } from '../helpers/receiver';
import { runHistories } from '../helpers/runs';
import { startTestStack, type TestStack } from '../helpers/stack';
import { startReceiverProcess } from '../helpers/receiver-process';
import { peak, sleep, until } from '../helpers/wait';

let stack: TestStack;
let testApi: OwnClientApi;
let api: Hookflow;
const receivers = receiverPool();
const call = (method: 'GET' | 'POST' | 'PUT', path: string, json?: unknown): Promise<Answer> => testApi.call(method, path, json);

async function ok(method: 'GET' | 'POST' | 'PUT', path: string, json?: unknown): Promise<any> { // eslint-disable-line @typescript-eslint/no-explicit-any
  const answer = await call(method, path, json);
  if (answer.status >= 300) throw new Error(`${method} ${path}: ${answer.status} ${JSON.stringify(answer.body)}`);
  return answer.body;
}

/** Saves and publishes; returns the version. */
async function publish(id: string, definition: unknown): Promise<number> {
  await ok('PUT', `/v1/journeys/${id}`, definition);
  return (await ok('POST', `/v1/journeys/${id}/publish`)).version;
}

async function template(id: string, receiver: Receiver): Promise<void> {
  await ok('PUT', `/v1/templates/${id}`, { url: `${receiver.url}/${id}`, body: { user: '{{ recipient.id }}', plan: '{{ entry.plan | default: "none" }}' } });
}

const usersAt = (r: Receiver): string[] => r.arrivals.map((a) => JSON.parse(a.body.toString()).user as string);

/** The run once `done` holds for it. */
async function runOf(journey: string, recipient: string, done: (run: any) => boolean, timeoutMs = 30_000): Promise<any> { // eslint-disable-line @typescript-eslint/no-explicit-any
  return until(
    `run of ${recipient} in ${journey}`,
    async () => {
      const answer = await call('GET', `/v1/journeys/${journey}/runs/${recipient}`);
      return answer.status === 200 && done(answer.body) ? answer.body : undefined;
    },
    timeoutMs,
  );
}
const ended = (run: { status: string }): boolean => run.status !== 'running';

beforeAll(async () => {
  stack = await startTestStack({ eventPollMs: 50 });
  testApi = await startApiWithOwnClient(stack);
  api = testApi.hookflow;
});

afterAll(async () => {
  await testApi?.close();
  await stack?.stop();
  await receivers.closeAll();
});

/** The purchase window: long enough that a loaded machine posts the exit event inside it (the exit test waits it out). */
const WAIT_SECONDS = 8;
/** Longer than the 2 KiB snippet an attempt keeps: `save` reads the whole body in the send activity. */
const CRM_ANSWER = JSON.stringify({ padding: 'x'.repeat(4_000), crm: { id: 'c-1' } });

describe('a signup journey', () => {
  let a: Receiver, b: Receiver, c: Receiver, d: Receiver;

  beforeAll(async () => {
    // A answers 422 for recipients whose id starts with "bad": the split sends them to D.
    a = await receivers.start((x) => (JSON.parse(x.body.toString()).user.startsWith('bad') ? { status: 422 } : { status: 200, body: CRM_ANSWER, headers: { 'content-type': 'application/json' } }));
    b = await receivers.start();
    c = await receivers.start();
    d = await receivers.start();
    for (const [id, r] of [['tpl-a', a], ['tpl-b', b], ['tpl-c', c], ['tpl-d', d]] as const) await template(id, r);
    await publish('signup', {
      entry: { type: 'event', event: 'signup' },
      exitOn: [{ event: 'unsubscribe' }],
      steps: [
        { id: 'A', type: 'webhook', template: { id: 'tpl-a' }, save: { crmId: '$.crm.id' }, next: 'check' },
        { id: 'check', type: 'split', paths: [{ when: { path: 'steps.A.statusCode', op: 'eq', value: 200 }, next: 'wait' }], else: 'D' },
        { id: 'wait', type: 'waitForEvent', windowSeconds: WAIT_SECONDS, paths: [{ event: 'purchase', next: 'B' }], timeout: 'C' },
        { id: 'B', type: 'webhook', template: { id: 'tpl-b' } },
        { id: 'C', type: 'webhook', template: { id: 'tpl-c' } },
        { id: 'D', type: 'webhook', template: { id: 'tpl-d' } },
      ],
    });
  });

  test('each recipient takes the path its answers and events lead to', async () => {
    await ok('POST', '/v1/events', { events: [{ name: 'signup', recipientId: 'u-idle' }, { name: 'signup', recipientId: 'bad-1' }] });
    // The purchase comes in the same call as the signup: accepted right after the entry, before the run reaches its wait.
    await ok('POST', '/v1/events', { events: [{ name: 'signup', recipientId: 'u-buy' }, { name: 'purchase', recipientId: 'u-buy' }] });
    // And in a call of its own right after the signup's.
    await ok('POST', '/v1/events', { name: 'signup', recipientId: 'u-buy2' });
    await ok('POST', '/v1/events', { name: 'purchase', recipientId: 'u-buy2' });

    const buy = await runOf('signup', 'u-buy', ended);
    expect(buy).toMatchObject({ version: 1, status: 'completed' });
    expect(buy.path.map((p: { step: string }) => p.step)).toEqual(['A', 'check', 'wait', 'B']);
    expect(buy.path[2].outcome).toBe('event purchase');
    expect(buy.steps.A).toMatchObject({ statusCode: 200, outcome: 'delivered', crmId: 'c-1' });
    expect((await runOf('signup', 'u-buy2', ended)).path.map((p: { step: string }) => p.step)).toEqual(['A', 'check', 'wait', 'B']);

    const idle = await runOf('signup', 'u-idle', ended);
    expect(idle.path.map((p: { step: string }) => p.step)).toEqual(['A', 'check', 'wait', 'C']);
    expect(idle.path[2].outcome).toBe('timeout');

    const bad = await runOf('signup', 'bad-1', ended);
    expect(bad.path.map((p: { step: string }) => p.step)).toEqual(['A', 'check', 'D']);
    expect(bad.steps.A).toMatchObject({ statusCode: 422, outcome: 'failed' });

    expect(usersAt(b).sort()).toEqual(['u-buy', 'u-buy2']);
    expect(usersAt(c)).toEqual(['u-idle']);
    expect(usersAt(d)).toEqual(['bad-1']);

    const journey = await ok('GET', '/v1/journeys/signup');
    const step = (id: string) => journey.counts.steps.find((s: { step: string }) => s.step === id);
    expect(step('A')).toMatchObject({ entered: 4, proceeded: 3, failed: 1 });
    expect(step('wait')).toMatchObject({ entered: 3, proceeded: 3 });
    expect(step('B')).toMatchObject({ entered: 2, proceeded: 2 });

    // The report by step: the same run counts, and each webhook step's webhooks from the ledger
    // (A delivered to three recipients, refused for bad-1).
    const report = await ok('GET', '/v1/reports?journey=signup&groupBy=journeyStep&bucket=total');
    const byStep = Object.fromEntries(report.data.map((r: { journeyStep: string }) => [r.journeyStep, r]));
    expect(byStep.A).toMatchObject({ stepEntered: 4, stepProceeded: 3, stepFailed: 1, sends: 4, delivered: 3, failed: 1, errors4xx: 1, uniqueRecipients: 3 });
    expect(byStep.check).toMatchObject({ stepEntered: 4, stepProceeded: 4, sends: 0 });
    expect(byStep.B).toMatchObject({ stepEntered: 2, sends: 2, delivered: 2, uniqueRecipients: 2 });
    expect(byStep.D).toMatchObject({ stepEntered: 1, sends: 1, delivered: 1 });
  });

  test('an exit event ends a waiting run', async () => {
    await ok('POST', '/v1/events', { name: 'signup', recipientId: 'u-leaves' });
    await runOf('signup', 'u-leaves', (run) => run.currentStep === 'wait');
    // Found in the Web UI by journey and step, with a summary; the recipient id is hashed in the workflow id.
    const description = await api.client.workflow.getHandle(`journey:signup:${recipientKey('u-leaves')}`).describe();
    expect(description.typedSearchAttributes.get(JOURNEY_SEARCH_ATTRIBUTES.journey)).toBe('signup');
    expect(description.typedSearchAttributes.get(JOURNEY_SEARCH_ATTRIBUTES.step)).toBe('wait');
    expect(await description.staticSummary()).toBe('journey signup v1, run 1');
    await ok('POST', '/v1/events', { name: 'unsubscribe', recipientId: 'u-leaves' });
    const run = await runOf('signup', 'u-leaves', ended);
    expect(run).toMatchObject({ status: 'exited', exitReason: 'event unsubscribe' });
    expect(run.path[run.path.length - 1]).toMatchObject({ step: 'wait', outcome: 'exited' });
    // Past the window: neither B nor C ever came for it.
    await sleep(WAIT_SECONDS * 1_000 + 500);
    expect([...usersAt(b), ...usersAt(c)]).not.toContain('u-leaves');
  });
});

describe('re-entry', () => {
  // A run holds long enough that the next call, on a loaded machine too, finds it still going.
  const journey = (reEntry: unknown, holdSeconds = 5) => ({ entry: { type: 'api' }, reEntry, steps: [{ id: 'hold', type: 'delay', seconds: holdSeconds, next: 'done' }, { id: 'done', type: 'exit' }] });
  const enter = async (id: string, recipient: string) => (await ok('POST', `/v1/journeys/${id}/entries`, { recipients: [{ id: recipient }] })).entries[0];

  test('never: one run per recipient, ever', async () => {
    await publish('re-never', journey('never'));
    expect(await enter('re-never', 'r1')).toMatchObject({ entered: true, run: 1 });
    await runOf('re-never', 'r1', ended);
    expect(await enter('re-never', 'r1')).toMatchObject({ entered: false, reason: expect.stringContaining('never') });
  });

  test('afterExit (the default): not while a run is going, again once it ended', async () => {
    await publish('re-exit', { ...journey(undefined), reEntry: undefined });
    expect(await enter('re-exit', 'r1')).toMatchObject({ entered: true, run: 1 });
    expect(await enter('re-exit', 'r1')).toMatchObject({ entered: false, reason: expect.stringContaining('afterExit') });
    await runOf('re-exit', 'r1', ended);
    expect(await enter('re-exit', 'r1')).toMatchObject({ entered: true, run: 2 });
  });

  test('afterSeconds: runs overlap once the time has passed', async () => {
    // The first run holds far longer than the re-entry window, so the second run overlaps it. Only lower
    // bounds on time are asserted: a loaded machine may take seconds per call, never less than the window.
    const windowS = 5;
    await publish('re-after', journey({ afterSeconds: windowS }, 60));
    const firstAsked = Date.now();
    expect(await enter('re-after', 'r1')).toMatchObject({ entered: true, run: 1 });
    const refused = await enter('re-after', 'r1');
    const refusedBy = Date.now();
    if (refusedBy - firstAsked < windowS * 1_000) expect(refused).toMatchObject({ entered: false, reason: expect.stringContaining('afterSeconds') });
    const second = await until('the re-entry window to pass', async () => {
      const answer = await enter('re-after', 'r1');
      return answer.entered ? answer : undefined;
    });
    expect(Date.now() - firstAsked).toBeGreaterThanOrEqual(windowS * 1_000);
    expect(second).toMatchObject({ entered: true, run: 2 });
    const counts = (await ok('GET', '/v1/journeys/re-after')).counts.runs;
    expect(counts.reduce((n: number, r: { count: number }) => n + r.count, 0)).toBe(2);
  });
});

test('an experiment splits runs near its percentages, and records the draw', async () => {
  await publish('experiment', {
    entry: { type: 'api' },
    // Entering the same recipients again enters none of them twice (see the call below).
    reEntry: 'never',
    steps: [
      { id: 'x', type: 'experiment', paths: [{ percent: 30, next: 'small' }, { percent: 70, next: 'big' }] },
      { id: 'small', type: 'exit' },
      { id: 'big', type: 'exit' },
    ],
  });
  const N = 1_000;
  // 1,000 runs started by one call: on a loaded machine the call can outlast the API's wait for
  // Temporal, which answers 503 "safe to repeat" — as a client would, it is repeated.
  const entries = { recipients: Array.from({ length: N }, (_, i) => ({ id: `e-${i}` })) };
  let entered = await call('POST', '/v1/journeys/experiment/entries', entries);
  for (let tries = 1; entered.status === 503 && tries < 4; tries++) entered = await call('POST', '/v1/journeys/experiment/entries', entries);
  expect(entered.status).toBeLessThan(300);
  const steps = await until(
    'every experiment run to end',
    async () => {
      const { counts } = await ok('GET', '/v1/journeys/experiment');
      const at = (id: string): number => counts.steps.find((s: { step: string }) => s.step === id)?.entered ?? 0;
      return at('small') + at('big') === N ? { small: at('small'), big: at('big') } : undefined;
    },
    240_000,
  );
  // 30% of 1,000 is 300; the binomial's standard deviation is about 14.5: ±75 is over five of them.
  expect(steps.small).toBeGreaterThan(225);
  expect(steps.small).toBeLessThan(375);
  const run = await ok('GET', '/v1/journeys/experiment/runs/e-0');
  expect(run.experiments.x === 0 ? 'small' : 'big').toBe(run.path[1].step);
}, 300_000);

test('a run waiting through many events continues as new and keeps its place, path and context', async () => {
  await publish('long-wait', {
    entry: { type: 'api' },
    steps: [
      { id: 'mark', type: 'update', context: { marked: 'yes' }, next: 'wait' },
      { id: 'wait', type: 'waitForEvent', windowSeconds: 600, paths: [{ event: 'bid', where: { path: 'event.properties.amount', op: 'gt', value: 100 }, next: 'won' }], timeout: 'lost' },
      { id: 'won', type: 'exit' },
      { id: 'lost', type: 'exit' },
    ],
  });
  await ok('POST', '/v1/journeys/long-wait/entries', { recipients: [{ id: 'bidder' }] });
  await runOf('long-wait', 'bidder', (run) => run.currentStep === 'wait');
  // Small bids do not match; their signals grow the history past the test server's mark (300 events).
  for (let i = 0; i < 4; i++) await ok('POST', '/v1/events', { events: Array.from({ length: 100 }, (_, j) => ({ name: 'bid', recipientId: 'bidder', properties: { amount: i + j / 100 } })) });
  const workflowId = `journey:long-wait:${recipientKey('bidder')}`;
  await until('a second run', async () => ((await runHistories(api.client, workflowId)).length >= 2 ? true : undefined), 60_000);
  await ok('POST', '/v1/events', { name: 'bid', recipientId: 'bidder', properties: { amount: 500 } });
  const run = await runOf('long-wait', 'bidder', ended);
  expect(run).toMatchObject({ status: 'completed', context: { marked: 'yes' } });
  expect(run.path.map((p: { step: string }) => p.step)).toEqual(['mark', 'wait', 'won']);
}, 120_000);

test('an update counter reaches 3 bookings before the credit webhook', async () => {
  const credit = await receivers.start();
  await template('tpl-credit', credit);
  await publish('airline', {
    entry: { type: 'event', event: 'booking' },
    steps: [
      { id: 'count', type: 'update', attributes: { bookings: '{{ recipient.attributes.bookings | default: 0 | plus: 1 }}' }, context: { seen: '{{ event.properties.flight }}' }, next: 'enough' },
      { id: 'enough', type: 'split', paths: [{ when: { path: 'recipient.attributes.bookings', op: 'gte', value: 3 }, next: 'credit' }], else: 'wait' },
      { id: 'wait', type: 'exit' },
      { id: 'credit', type: 'webhook', template: { id: 'tpl-credit' } },
    ],
  });
  for (let i = 1; i <= 3; i++) {
    await ok('POST', '/v1/events', { name: 'booking', recipientId: 'flyer', properties: { flight: `F${i}` } });
    // One run at a time (reEntry afterExit): the next booking enters once this run ended.
    await runOf('airline', 'flyer', (run) => ended(run) && run.context.seen === `F${i}`);
    if (i < 3) expect(credit.arrivals).toHaveLength(0);
  }
  await credit.waitFor(1);
  expect((await ok('GET', '/v1/recipients/flyer')).attributes.bookings).toBe(3);
  expect(usersAt(credit)).toEqual(['flyer']);
});

test('a trigger step enters another journey and sends an event', async () => {
  const welcome = await receivers.start();
  await template('tpl-welcome', welcome);
  await publish('child', { entry: { type: 'api' }, steps: [{ id: 'hello', type: 'webhook', template: { id: 'tpl-welcome' } }] });
  await publish('event-child', { entry: { type: 'event', event: 'referred' }, steps: [{ id: 'hello', type: 'webhook', template: { id: 'tpl-welcome' } }] });
  await publish('parent', {
    entry: { type: 'api' },
    steps: [
      { id: 'go', type: 'trigger', journey: { id: 'child' }, next: 'tell' },
      { id: 'tell', type: 'trigger', event: { name: 'referred', recipientId: 'friend-1', properties: { by: 'p-1' } } },
    ],
  });
  await ok('POST', '/v1/journeys/parent/entries', { recipients: [{ id: 'p-1' }] });
  await welcome.waitFor(2);
  expect(usersAt(welcome).sort()).toEqual(['friend-1', 'p-1']);
  const parent = await runOf('parent', 'p-1', ended);
  expect(parent.path[0].outcome).toMatch(/^entered journey child/);
});

test('a publish leaves running runs on their version; migrate moves those waiting in a step the new version has', async () => {
  const v1 = await receivers.start();
  const v2 = await receivers.start();
  await template('tpl-v1', v1);
  await template('tpl-v2', v2);
  await publish('versions', {
    entry: { type: 'api' },
    steps: [
      { id: 's', type: 'split', paths: [{ when: { path: 'entry.slow', op: 'exists', value: true }, next: 'd' }], else: 'w' },
      { id: 'd', type: 'delay', seconds: 600, next: 'w' },
      { id: 'w', type: 'waitForEvent', windowSeconds: 600, paths: [{ event: 'go', next: 'send' }], timeout: 'send' },
      { id: 'send', type: 'webhook', template: { id: 'tpl-v1' } },
    ],
  });
  await ok('POST', '/v1/journeys/versions/entries', { recipients: [{ id: 'stays-on-1' }, { id: 'moves' }, { id: 'slow', properties: { slow: true } }] });
  for (const r of ['stays-on-1', 'moves']) await runOf('versions', r, (run) => run.currentStep === 'w');
  await runOf('versions', 'slow', (run) => run.currentStep === 'd');
  const version = await publish('versions', {
    entry: { type: 'api' },
    steps: [
      { id: 'w', type: 'waitForEvent', windowSeconds: 600, paths: [{ event: 'go', next: 'send' }], timeout: 'send' },
      { id: 'send', type: 'webhook', template: { id: 'tpl-v2' } },
    ],
  });
  expect(version).toBe(2);
  // Published: the run in flight still takes version 1's path.
  await ok('POST', '/v1/events', { name: 'go', recipientId: 'stays-on-1' });
  await v1.waitFor(1);
  expect(usersAt(v1)).toEqual(['stays-on-1']);
  expect((await runOf('versions', 'stays-on-1', ended)).version).toBe(1);

  expect(await ok('POST', '/v1/journeys/versions/migrate', { from: 1, to: 2 })).toEqual({ moved: 1, stayed: 1 });
  expect((await ok('GET', '/v1/journeys/versions/runs/moves')).version).toBe(2);
  await ok('POST', '/v1/events', { name: 'go', recipientId: 'moves' });
  await v2.waitFor(1);
  expect(usersAt(v2)).toEqual(['moves']);
  expect(v1.arrivals).toHaveLength(1);

  // The one in a delay that version 2 does not have stayed; the API ends it.
  expect((await ok('GET', '/v1/journeys/versions/runs/slow')).version).toBe(1);
  expect((await call('POST', '/v1/journeys/versions/runs/slow/exit')).status).toBe(202);
  expect(await runOf('versions', 'slow', ended)).toMatchObject({ status: 'exited', exitReason: 'exited by the API' });
  expect((await call('POST', '/v1/journeys/versions/migrate', { from: 1, to: 7 })).status).toBe(400);
});

test('runs outlive their worker: a waiting run advances on the worker that replaces it', async () => {
  const after = await receivers.start();
  await template('tpl-after', after);
  await publish('durable', {
    entry: { type: 'event', event: 'joined' },
    steps: [
      { id: 'wait', type: 'waitForEvent', windowSeconds: 600, paths: [{ event: 'paid', next: 'thanks' }], timeout: 'thanks' },
      { id: 'thanks', type: 'webhook', template: { id: 'tpl-after' } },
    ],
  });
  await ok('POST', '/v1/events', { name: 'joined', recipientId: 'd-1' });
  await runOf('durable', 'd-1', (run) => run.currentStep === 'wait');
  // A second worker of the same deployment (same database, key and task queue), then the first one stops.
  const second = await startTestStack({ eventPollMs: 50, taskQueue: stack.config.taskQueue }, { alongside: stack });
  await stack.stop();
  stack = second;
  await ok('POST', '/v1/events', { name: 'paid', recipientId: 'd-1' });
  await after.waitFor(1, 30_000);
  expect(usersAt(after)).toEqual(['d-1']);
  expect((await runOf('durable', 'd-1', ended)).path.map((p: { step: string }) => p.step)).toEqual(['wait', 'thanks']);
});

test('an event signalled twice is taken once, and an entry key enters once', async () => {
  await publish('twice', {
    entry: { type: 'api' },
    steps: [
      { id: 'w1', type: 'waitForEvent', windowSeconds: 600, paths: [{ event: 'ping', next: 'w2' }], timeout: 'out' },
      { id: 'w2', type: 'waitForEvent', windowSeconds: 600, paths: [{ event: 'ping', next: 'out' }], timeout: 'out' },
      { id: 'out', type: 'exit' },
    ],
  });
  await ok('POST', '/v1/journeys/twice/entries', { recipients: [{ id: 't1' }] });
  await runOf('twice', 't1', (run) => run.currentStep === 'w1');
  const handle = api.client.workflow.getHandle(`journey:twice:${recipientKey('t1')}`);
  const ping = (id: string) => ({ id, name: 'ping', properties: {}, receivedAt: new Date().toISOString(), attributes: {} });
  // As a listener's batch handled again after a crash would: the same event twice.
  await handle.signal(journeyEventSignal, ping('ev-1'));
  await handle.signal(journeyEventSignal, ping('ev-1'));
  await runOf('twice', 't1', (run) => run.currentStep === 'w2');
  await sleep(500);
  expect((await ok('GET', '/v1/journeys/twice/runs/t1')).currentStep).toBe('w2');
  await handle.signal(journeyEventSignal, ping('ev-2'));
  await runOf('twice', 't1', ended);

  const pool = new pg.Pool({ connectionString: stack.databaseUrl, max: 2 });
  try {
    const service = new JourneyService(pool, api.client, stack.config, new TemplateService(pool, stack.config));
    const journey = (await service.store.version('twice'))!;
    const first = await service.enterOne(journey, { id: 't2' }, { enteredAt: new Date(), entryKey: 'event:ev-9' });
    const again = await service.enterOne(journey, { id: 't2' }, { enteredAt: new Date(), entryKey: 'event:ev-9' });
    expect(first).toMatchObject({ entered: true, run: 1 });
    expect(again).toMatchObject({ entered: false, reason: 'already entered by event:ev-9' });
    await ok('POST', '/v1/journeys/twice/runs/t2/exit');
  } finally {
    await pool.end();
  }
});

test('a schedule entry enters its audience each time the schedule fires; a version without one removes it', async () => {
  const weekly = await receivers.start();
  await template('tpl-weekly', weekly);
  for (const [id, plan] of [['s-pro-1', 'pro'], ['s-pro-2', 'pro'], ['s-free', 'free']]) await ok('PUT', `/v1/recipients/${id}`, { attributes: { plan, cohort: 'schedule-test' } });
  await publish('weekly', {
    entry: { type: 'schedule', cron: '0 9 * * mon', timezone: 'Europe/Paris', audience: { all: [{ path: 'recipient.attributes.plan', op: 'eq', value: 'pro' }, { path: 'recipient.attributes.cohort', op: 'eq', value: 'schedule-test' }] } },
    reEntry: 'afterExit',
    steps: [{ id: 'digest', type: 'webhook', template: { id: 'tpl-weekly' } }],
  });
  const schedule = api.client.schedule.getHandle('journey-schedule:weekly');
  const described = await schedule.describe();
  expect(described.spec.timezone).toBe('Europe/Paris');
  // No test waits for Monday 09:00: fire it now, as the schedule will.
  await schedule.trigger();
  await weekly.waitFor(2);
  await sleep(1_000);
  expect(usersAt(weekly).sort()).toEqual(['s-pro-1', 's-pro-2']);
  await runOf('weekly', 's-pro-1', ended);

  await publish('weekly', { entry: { type: 'api' }, steps: [{ id: 'digest', type: 'webhook', template: { id: 'tpl-weekly' } }] });
  await expect(schedule.describe()).rejects.toThrow(/not found/i);
});

test('rateLimitPerMinute paces the webhook steps of all runs at the receiver', async () => {
  // A receiver in its own process stamps arrivals as a real host would (test/helpers/receiver-process.ts).
  const r = receivers.add(await startReceiverProcess());
  await template('tpl-paced', r);
  await publish('paced', { entry: { type: 'api' }, rateLimitPerMinute: 120, steps: [{ id: 'call', type: 'webhook', template: { id: 'tpl-paced' } }] });
  await ok('POST', '/v1/journeys/paced/entries', { recipients: Array.from({ length: 30 }, (_, i) => ({ id: `paced-${i}` })) });
  await r.waitFor(30, 60_000);
  // 120 a minute is a slot every 500 ms or a little more: 30 requests span at least 29 slots (less
  // a second for the receiver's event loop), never a burst, then a wait.
  const times = r.arrivals.map((a) => a.at);
  expect(Math.max(...times) - Math.min(...times)).toBeGreaterThanOrEqual(29 * 500 - 1_000);
  // No 10 s holds more than its 20 slots, give or take one a slow event loop sent late (a loaded
  // worker can bunch a few inside a second; the limit is per minute, not per second).
  expect(peak(r.arrivals, 10_000)).toBeLessThanOrEqual(21);
  expect(r.arrivals).toHaveLength(30);
}, 90_000);

describe('bad definitions are refused with 400 naming the step and the field', () => {
  const steps = (...list: unknown[]) => ({ entry: { type: 'api' }, steps: list });
  const cases: [string, unknown, string, RegExp][] = [
    ['an unknown next', steps({ id: 'a', type: 'delay', seconds: 1, next: 'nowhere' }), 'steps.a.next', /names no step/],
    ['an unreachable step', steps({ id: 'a', type: 'exit' }, { id: 'b', type: 'exit' }), 'steps.b', /unreachable/],
    ['a cycle', steps({ id: 'a', type: 'delay', seconds: 1, next: 'b' }, { id: 'b', type: 'delay', seconds: 1, next: 'a' }), 'steps.b.next', /cycle/],
    ['more than 200 steps', steps(...Array.from({ length: 201 }, (_, i) => ({ id: `s${i}`, type: 'delay', seconds: 1, ...(i < 200 ? { next: `s${i + 1}` } : {}) }))), 'steps', /more than the 200/],
    ['an unknown template', steps({ id: 'a', type: 'webhook', template: { id: 'no-such-template' } }), 'steps.a.template', /names no template/],
    ['a bad filter', steps({ id: 'a', type: 'split', paths: [{ when: { path: 'steps', op: 'eq', value: 1 }, next: 'b' }], else: 'b' }, { id: 'b', type: 'exit' }), 'steps.a.paths.0.when.path', /not a filter path/],
    ['a window out of bounds', steps({ id: 'a', type: 'waitForEvent', windowSeconds: 32 * 86_400, paths: [{ event: 'x', next: 'b' }], timeout: 'b' }, { id: 'b', type: 'exit' }), 'steps.a.windowSeconds', /31 days/],
    ['a delay out of bounds', steps({ id: 'a', type: 'delay', seconds: -1 }), 'steps.a.seconds', /from 0/],
    ['a bad cron', { entry: { type: 'schedule', cron: 'every monday', audience: { path: 'recipient.id', op: 'exists', value: true } }, steps: [{ id: 'a', type: 'exit' }] }, 'entry.cron', /5 fields/],
    ['an audience on events', { entry: { type: 'schedule', cron: '0 9 * * *', audience: { path: 'event.name', op: 'eq', value: 'x' } }, steps: [{ id: 'a', type: 'exit' }] }, 'entry.audience.path', /only recipient/],
    ['a rate limit out of bounds', { ...steps({ id: 'a', type: 'exit' }), rateLimitPerMinute: 5 }, 'rateLimitPerMinute', /from 10 to 500000/],
  ];
  test.each(cases)('%s', async (_what, definition, field, message) => {
    const answer = await call('PUT', '/v1/journeys/bad', definition);
    expect(answer.status).toBe(400);
    expect(answer.body.issues).toEqual(expect.arrayContaining([expect.objectContaining({ field, message: expect.stringMatching(message) })]));
  });

  test('bad entries and migrations are refused naming the field', async () => {
    await publish('entries-checked', steps({ id: 'a', type: 'exit' }));
    const bad = await call('POST', '/v1/journeys/entries-checked/entries', { recipients: [{ id: 'ok' }, { id: 'not ok!' }, { id: 'x', colour: 'red' }] });
    expect(bad.status).toBe(400);
    expect(bad.body.issues.map((i: { field: string }) => i.field)).toEqual(['recipients.1.id', 'recipients.2.colour']);
    expect((await call('POST', '/v1/journeys/entries-checked/migrate', { from: 1 })).body.issues).toEqual([{ field: 'to', message: 'must be a published version number' }]);
    // Found by the API fuzzer: a version past PostgreSQL's integer was a 500.
    expect((await call('POST', '/v1/journeys/entries-checked/migrate', { from: 1, to: 2 ** 53 })).body.issues).toEqual([{ field: 'to', message: 'must be a published version number' }]);
    expect((await call('GET', '/v1/journeys/entries-checked/runs/nobody')).status).toBe(404);
  });

  test('publish checks again, and a journey without a version takes no entries', async () => {
    expect((await call('POST', '/v1/journeys/never-saved/publish')).status).toBe(404);
    await ok('PUT', '/v1/journeys/unpublished', steps({ id: 'a', type: 'exit' }));
    expect((await call('POST', '/v1/journeys/unpublished/entries', { recipients: [{ id: 'x' }] })).status).toBe(400);
  });
});
