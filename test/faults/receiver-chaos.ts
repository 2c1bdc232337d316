/**
 * Scenario 4 — receiver chaos. Every request gets, at random (seeded): a 5xx, a connection reset,
 * a 30 s hang, a 100 MB response, a body that trickles forever (under a 200 or a 503), a 200 or a
 * 404; the first 40 requests all get the 100 MB body, at once. Expected: each webhook ends as the
 * rules say given exactly the answers it got (delivered at its first 2xx, failed at a 404, failed
 * when its attempts run out), each recorded attempt matches the answer the receiver gave, no
 * attempt outlasts its timeout by more than 1.5 s, and the worker's RSS stays under 500 MB.
 * The worker keeps only 20 workflows in its cache, far fewer than the attempts in flight, so the
 * SDK evicts workflows while their local-activity attempts run: each request must still arrive
 * once per recorded attempt (activities/attempt-memo.ts).
 */
import { startReceiver, type Arrival, type Reply } from '../helpers/receiver';
import type { AttemptRecord, WebhookState } from '../../src/delivery/definitions';
import { Checks, conclude, header, mapLimit, prng, rssMb, sleep, tally, waitForFinalStates, waitUntil, Stack, type ScenarioContext, type ScenarioResult } from './lib';

const WEBHOOKS = 500;
const MAX_ATTEMPTS = 5;
const TIMEOUT_MS = 2_000;
const TIMEOUT_SLACK_MS = 1_500;
/**
 * The worker starts at about 230 MB (V8, the workflow bundle) and, with 500 webhooks that all get
 * a plain 200, peaks at about 310 MB (cached workflows). One 100 MB body read whole would add
 * 100 MB; the burst of 40 at once, 4 GB.
 */
// 355–413 MB measured before the ledger; its pg pool and writer add about 30 MB at rest and 60 at
// the peak (464–467 MB measured with it).
const RSS_BOUND_MB = 500;
const SEED = Number(process.env.FAULTS_SEED ?? 20_260_401);
const HUGE = 100 * 1024 * 1024;
/** The first requests all get a 100 MB body, at once: a worker that read them whole would need gigabytes. */
const HUGE_BURST = 40;

type Kind = 'ok' | '5xx' | 'reset' | 'hang' | 'huge' | 'trickle-200' | 'trickle-503' | '404';

/** Share of requests per answer; hangs are capped at 8 % (each costs a 2 s timeout). */
const WEIGHTS: [Kind, number][] = [
  ['ok', 0.32],
  ['5xx', 0.24],
  ['reset', 0.12],
  ['hang', 0.08],
  ['huge', 0.08],
  ['trickle-200', 0.05],
  ['trickle-503', 0.05],
  ['404', 0.06],
];

interface Answer {
  kind: Kind;
  status?: number;
}

function pick(random: () => number): Answer {
  let r = random();
  for (const [kind, weight] of WEIGHTS) {
    if ((r -= weight) < 0) return kind === '5xx' ? { kind, status: [500, 502, 503, 504][Math.floor(random() * 4)] } : { kind };
  }
  return { kind: 'ok' };
}

function reply(answer: Answer): Reply {
  switch (answer.kind) {
    case 'ok':
      return { status: 200 };
    case '5xx':
      return { status: answer.status!, body: 'chaos' };
    case 'reset':
      return { reset: true };
    case 'hang':
      return { hangMs: 30_000 };
    case 'huge':
      return { bodyBytes: HUGE, status: 200 };
    case 'trickle-200':
      return { trickleEveryMs: 200, status: 200 };
    case 'trickle-503':
      return { trickleEveryMs: 200, status: 503 };
    case '404':
      return { status: 404 };
  }
}

/** The status code the attempt must record for this answer, or the start of its error. */
function expectedAttempt(answer: Answer): { statusCode: number } | { error: string } {
  switch (answer.kind) {
    case 'ok':
    case 'huge':
    case 'trickle-200':
      return { statusCode: 200 };
    case 'trickle-503':
      return { statusCode: 503 };
    case '5xx':
      return { statusCode: answer.status! };
    case '404':
      return { statusCode: 404 };
    case 'reset':
      return { error: 'receiver not reachable' };
    case 'hang':
      return { error: 'attempt timed out' };
  }
}

/** What the rules say a webhook that got these answers ends as. */
function expectedEnd(answers: Answer[]): { status: 'delivered' | 'failed' | 'pending'; reason?: string; attempts: number } {
  for (const [i, a] of answers.entries()) {
    const e = expectedAttempt(a);
    if ('statusCode' in e && e.statusCode >= 200 && e.statusCode < 300) return { status: 'delivered', attempts: i + 1 };
    if ('statusCode' in e && e.statusCode === 404) return { status: 'failed', reason: 'rejected by the receiver', attempts: i + 1 };
    if (i + 1 === MAX_ATTEMPTS) return { status: 'failed', reason: `all ${MAX_ATTEMPTS} attempts used`, attempts: i + 1 };
  }
  return { status: 'pending', attempts: answers.length };
}

function describeAttempt(a: AttemptRecord | undefined): string {
  return a ? `${a.statusCode ?? a.error} in ${a.durationMs} ms` : 'none';
}

export async function receiverChaos(ctx: ScenarioContext): Promise<ScenarioResult> {
  const checks = new Checks();
  // The breaker would hold the host (most attempts fail); it has its own tests, here it stays out of the way.
  // The small cache forces evictions mid-attempt (see the header).
  const stack = new Stack({ dir: ctx.dir, env: { HOOKFLOW_BREAKER_MIN_REQUESTS: '1000000', HOOKFLOW_MAX_CACHED_WORKFLOWS: '20' } });
  const random = prng(SEED);
  const answers = new Map<number, Answer>();
  const receiver = await startReceiver((a) => {
    const answer: Answer = a.n <= HUGE_BURST ? { kind: 'huge' } : pick(random);
    answers.set(a.n, answer);
    return reply(answer);
  });
  let sampler: NodeJS.Timeout | undefined;
  return conclude(checks, stack, async () => {
    await stack.startTemporal();
    const hookflow = await stack.connect();
    const worker = stack.startWorker();
    await stack.waitForPoller(hookflow, worker);

    const rss: number[] = [];
    const baseline = rssMb(worker.pid) ?? 0;
    sampler = setInterval(() => {
      const mb = rssMb(worker.pid);
      if (mb !== undefined) rss.push(mb);
    }, 500);

    const t0 = Date.now();
    const ids = await mapLimit(
      Array.from({ length: WEBHOOKS }, (_, i) => i),
      50,
      async (seq) =>
        (
          await hookflow.send({
            url: `${receiver.url}/chaos`,
            body: { seq },
            retry: { initialIntervalMs: 1_000, maxIntervalMs: 2_000, maxAttempts: MAX_ATTEMPTS },
            timeoutMs: TIMEOUT_MS,
          })
        ).id,
    );
    const states = await waitForFinalStates(hookflow, ids, 240_000);
    const settledMs = Date.now() - t0;
    await sleep(1_000);
    clearInterval(sampler);
    await waitUntil('the worker to still be running', 1_000, () => worker.alive(), { describe: () => `worker ${worker.exitedWith}` }).catch((err: Error) =>
      checks.expect(false, err.message),
    );

    const byId = new Map<string, Arrival[]>();
    for (const a of receiver.arrivals) byId.set(header(a, 'webhook-id'), [...(byId.get(header(a, 'webhook-id')) ?? []), a]);
    const attempts: AttemptRecord[] = [...states.values()].flatMap((s) => s.attempts);
    const slow = attempts.filter((a) => a.durationMs > TIMEOUT_MS + TIMEOUT_SLACK_MS);
    const peak = Math.max(baseline, ...rss);
    const durationsOf = (kind: Kind): number[] => {
      const out: number[] = [];
      for (const [id, list] of byId) {
        const state = states.get(id);
        list.forEach((arrival, i) => {
          const attempt = state?.attempts[i];
          if (answers.get(arrival.n)?.kind === kind && attempt) out.push(attempt.durationMs);
        });
      }
      return out;
    };
    const range = (xs: number[]): string => (xs.length ? `${Math.min(...xs)}–${Math.max(...xs)} ms (${xs.length})` : 'none');

    checks.count('webhooks', `${WEBHOOKS} (max ${MAX_ATTEMPTS} attempts, timeout ${TIMEOUT_MS} ms, seed ${SEED})`);
    checks.count('receiver answers', tally([...answers.values()].map((a) => (a.kind === '5xx' ? String(a.status) : a.kind))));
    checks.count('arrivals / attempts recorded', `${receiver.arrivals.length} / ${attempts.length}`);
    checks.count('final statuses', tally([...states.values()].map((s) => `${s.status}${s.status === 'failed' ? `(${(s.reason ?? '').replace(/^.*; /, '')})` : ''}`)));
    checks.count('hang attempt durations', range(durationsOf('hang')));
    checks.count('trickle attempt durations', range([...durationsOf('trickle-200'), ...durationsOf('trickle-503')]));
    checks.count('100 MB response attempt durations', range(durationsOf('huge')));
    checks.count('longest attempt (ms)', Math.max(0, ...attempts.map((a) => a.durationMs)));
    checks.count('worker RSS baseline / peak / end (MB)', `${baseline.toFixed(0)} / ${peak.toFixed(0)} / ${(rss.at(-1) ?? 0).toFixed(0)} (bound ${RSS_BOUND_MB}, ${rss.length} samples)`);
    checks.count('all webhooks ended after (ms)', settledMs);

    checks.expect(byId.size === WEBHOOKS, `${byId.size} distinct webhook-ids arrived, expected ${WEBHOOKS}`);
    checks.expect(slow.length === 0, `${slow.length} attempts outlasted ${TIMEOUT_MS} + ${TIMEOUT_SLACK_MS} ms: ${slow.slice(0, 3).map(describeAttempt).join(', ')}`);
    checks.expect(peak <= RSS_BOUND_MB, `worker RSS peaked at ${peak.toFixed(0)} MB, above ${RSS_BOUND_MB} MB`);

    const wrong: string[] = [];
    for (const id of ids) {
      const state = states.get(id) as WebhookState;
      const got = (byId.get(id) ?? []).map((a) => answers.get(a.n)!);
      const want = expectedEnd(got);
      const where = `${id} (answers ${got.map((a) => a.status ?? a.kind).join(',')}; attempts ${state.attempts.map((a) => a.statusCode ?? a.error?.split(':')[0]).join(',')})`;
      if (state.status !== 'delivered' && state.status !== 'failed') wrong.push(`${where}: ended ${state.status}`);
      else if (want.status !== state.status) wrong.push(`${where}: ${state.status}, the rules say ${want.status}`);
      else if (want.reason && !(state.reason ?? '').includes(want.reason)) wrong.push(`${where}: reason '${state.reason}', expected '${want.reason}'`);
      else if (got.length !== want.attempts) wrong.push(`${where}: ${got.length} arrivals, the rules stop at ${want.attempts}`);
      else if (state.attempts.length !== got.length) wrong.push(`${where}: ${state.attempts.length} attempts recorded for ${got.length} arrivals`);
      else {
        for (const [i, answer] of got.entries()) {
          const e = expectedAttempt(answer);
          const a = state.attempts[i];
          const ok = 'statusCode' in e ? a.statusCode === e.statusCode : a.statusCode === undefined && (a.error ?? '').startsWith(e.error);
          if (!ok) {
            wrong.push(`${where}: attempt ${i + 1} recorded ${describeAttempt(a)} for a ${answer.kind}`);
            break;
          }
        }
      }
    }
    checks.expect(wrong.length === 0, `${wrong.length} webhooks inconsistent with the rules:\n      ${wrong.slice(0, 5).join('\n      ')}`);
  }, async () => {
    clearInterval(sampler);
    await receiver.close();
  });
}
