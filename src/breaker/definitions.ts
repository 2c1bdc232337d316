/**
 * The circuit breaker's shared vocabulary: what the host workflow (workflows/breaker.ts), the
 * worker's host gate (activities/breaker/), the delivery workflow and the client exchange. Safe in
 * workflow code (no Node APIs), and importable by clients without importing workflow code.
 */
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';

/** The workflow type, by name: clients and workers refer to it without importing workflow code. */
export const HOST_CIRCUIT_WORKFLOW = 'hostCircuit';
export type HostCircuitWorkflow = (input: HostCircuitInput) => Promise<void>;

/**
 * One host workflow per host and host task queue (one per deployment unless HOOKFLOW_HOST_TASK_QUEUE
 * says otherwise): two deployments on one Temporal namespace never share a breaker.
 */
export const hostWorkflowId = (hostQueue: string, hostKey: string): string => `host:${hostQueue}:${hostKey}`;
/** Host workflows have a task queue of their own, so a delivery backlog cannot delay them. */
export const hostTaskQueue = (config: { taskQueue: string; hostTaskQueue?: string }): string => config.hostTaskQueue ?? `${config.taskQueue}-hosts`;

export const HOST_STATE_ATTRIBUTE = defineSearchAttributeKey('HostState', SearchAttributeType.KEYWORD);

export const HOST_STATES = ['closed', 'open', 'half-open', 'throttled', 'paused'] as const;
export type HostState = (typeof HOST_STATES)[number];

/** The longest operator pause (30 days): a longer hold is a decision to stop sending, not a pause. */
export const MAX_PAUSE_MS = 30 * 86_400_000;

/**
 * How long a gate may wait inside one send attempt: for a lease (`LEASE_TIMEOUT_MS`, twice: before
 * the attempt and after waiting for its slot) and for its send slot (`MAX_SLOT_WAIT_MS`). The
 * delivery workflow adds it to the attempt's timeout.
 */
export const LEASE_TIMEOUT_MS = 15_000;
export const MAX_SLOT_WAIT_MS = 3_000;
export const GATE_MAX_WAIT_MS = 2 * LEASE_TIMEOUT_MS + MAX_SLOT_WAIT_MS;

export interface RateLimitPolicy {
  /** Requests the host accepts per window. */
  limit: number;
  windowMs: number;
}

/** Breaker settings, from the config of the worker or client that started the host workflow. */
export interface BreakerSettings {
  windowMs: number;
  minRequests: number;
  failureRatio: number;
  cooldownMs: number;
  maxCooldownMs: number;
  /** Waiting webhooks released per second on resume. */
  resumeRate: number;
  /** A probe that has not reported within this time is given up and another one chosen. */
  probeTimeoutMs: number;
  /** A healthy host workflow with nothing to do ends after this long without reports. */
  idleMs: number;
  /** How long a worker trusts a lease (twice the report interval). */
  leaseMs: number;
}

/** A webhook waiting for its host; `ticket` numbers the attempt that was held. */
export interface Waiter {
  workflowId: string;
  ticket: number;
}

/**
 * One worker's aggregated news about a host since its last lease request (about once per report
 * interval), so a healthy host costs one message per worker per interval, not one per delivery.
 */
export interface HostReport {
  requests: number;
  failures: number;
  /** Webhooks that found the host unavailable (or had to queue for a send slot) and now wait to be resumed. */
  waiters?: Waiter[];
  /** The outcome of the half-open probe. */
  probe?: { workflowId: string; ticket?: number; ok: boolean };
  /** The host asked everyone to wait until then (429/503 + Retry-After, or rate limit used up). */
  throttleUntilMs?: number;
  /** The host's advertised rate limit. */
  rateLimit?: RateLimitPolicy;
}

/**
 * What a worker may do with a host:
 * - `free`: send;
 * - `paced`: send at send slots (the host advertised a rate limit);
 * - `draining`: webhooks wait in the host's queue; only those it released send, at their slots;
 * - `probing`: only the half-open probe sends;
 * - `held`: nothing sends (open, throttled, paused).
 */
export type LeaseMode = 'free' | 'paced' | 'draining' | 'probing' | 'held';

/** Evenly spaced send times: `count` slots from `startMs`, `intervalMs` apart. */
export interface SlotBlock {
  startMs: number;
  intervalMs: number;
  count: number;
}

export interface LeaseRequest {
  /** The asking worker's gate (random per process). */
  workerId: string;
  /** How long the worker will act on the answer; the host counts the lease that long. */
  ttlMs: number;
  /** Send slots the worker would like, when the host is paced. */
  slots: number;
  report: HostReport;
}

/** The host's answer to a worker: what it may do, until when, and its send slots. */
export interface Lease {
  mode: LeaseMode;
  /** Raised by every operator pause: a lease from an earlier epoch is news from before it. */
  epoch: number;
  state: HostState;
  /** The worker acts on this lease until then (host clock). */
  untilMs: number;
  /** When a held host expects to resume, if known. */
  resumeAtMs?: number;
  slots?: SlotBlock;
}

/** Sent by the host workflow to a waiting delivery workflow: go on, at `slotMs` (`probe`: as the half-open probe). */
export interface Resume {
  /** The held attempt this answers; a resume for an older attempt is stale. */
  ticket?: number;
  probe?: boolean;
  slotMs?: number;
}

export interface Release {
  workflowId: string;
  resume: Resume;
}

/** The host workflow's activities, implemented in activities/breaker/. */
export interface BreakerActivities {
  /** Signals each released webhook; answers which of them no longer exist. */
  releaseWaiters(input: { releases: Release[] }): Promise<{ missing: string[] }>;
}

/** The host as operators (GET /v1/hosts/:authority) see it. */
export interface HostView {
  authority: string;
  state: HostState;
  window: { requests: number; failures: number };
  openedAt?: string;
  nextProbeAt?: string;
  /** Until when sending is held (probe time, throttle end, end of a timed pause); absent when open-ended or not held. */
  resumeAt?: string;
  /** Webhooks waiting for this host. */
  pausedWebhooks: number;
  /** Waiting webhooks are being released, paced; new attempts queue behind them. */
  draining: boolean;
  cooldownMs: number;
  rateLimit?: RateLimitPolicy;
}

export interface HostCircuitInput {
  authority: string;
  settings: BreakerSettings;
  /** State handed over by continue-as-new. */
  carried?: unknown;
}

export type HostControl = { action: 'pause'; durationMs?: number } | { action: 'resume' };

/** Why a control cannot be applied, or undefined. Checked by the SDK and by the workflow's update validator. */
export function controlProblem(control: HostControl): string | undefined {
  if (control.action === 'resume' || control.durationMs === undefined) return undefined;
  const d = control.durationMs;
  if (typeof d !== 'number' || !Number.isInteger(d) || d < 1 || d > MAX_PAUSE_MS) {
    return `durationMs must be an integer from 1 to ${MAX_PAUSE_MS}`;
  }
  return undefined;
}

/** A worker's news, sent when it has no use for an answer (on shutdown). */
export const reportSignal = defineSignal<[HostReport]>('report');
export const leaseUpdate = defineUpdate<Lease, [LeaseRequest]>('lease');
/** Pause or resume; a pause answers once every worker that may have been sending has taken the news. */
export const controlUpdate = defineUpdate<HostView, [HostControl]>('control');
export const hostQuery = defineQuery<HostView>('host');
export const resumeSignal = defineSignal<[Resume]>('resume');

/**
 * How a host workflow is started on demand, by a worker's lease request or an operator's control
 * (update-with-start) or a last report (signal-with-start): the same id, queue, input and search attribute.
 */
export function hostCircuitStart(hostKey: string, hostQueue: string, settings: BreakerSettings) {
  return {
    workflowId: hostWorkflowId(hostQueue, hostKey),
    taskQueue: hostQueue,
    args: [{ authority: hostKey, settings }] as [HostCircuitInput],
    typedSearchAttributes: [{ key: HOST_STATE_ATTRIBUTE, value: 'closed' }],
    staticSummary: `Circuit breaker for ${hostKey}`,
  };
}

/** What a host looks like when no host workflow is running for it. */
export function idleHostView(hostKey: string): HostView {
  return { authority: hostKey, state: 'closed', window: { requests: 0, failures: 0 }, pausedWebhooks: 0, draining: false, cooldownMs: 0 };
}
