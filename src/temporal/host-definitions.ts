/**
 * What the per-host circuit-breaker workflow, the worker's host gate, the delivery workflows and
 * the client share. Safe in workflow code.
 */
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';

export const hostWorkflowId = (authority: string): string => `host:${authority}`;
/** Host workflows have a task queue of their own, so a delivery backlog cannot delay them. */
export const hostTaskQueue = (taskQueue: string): string => `${taskQueue}-hosts`;

export const HOST_STATE_ATTRIBUTE = defineSearchAttributeKey('HostState', SearchAttributeType.KEYWORD);

export const HOST_STATES = ['closed', 'open', 'half-open', 'throttled', 'paused'] as const;
export type HostState = (typeof HOST_STATES)[number];

export interface RateLimitPolicy {
  /** Requests the host accepts per window. */
  limit: number;
  windowMs: number;
}

/** Breaker settings, from the config of the worker that started the host workflow. */
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
}

/**
 * One worker's aggregated news about a host since its last report (about once per second), so a
 * healthy host costs one signal per worker per second, not one per delivery.
 */
export interface HostReport {
  requests: number;
  failures: number;
  /** Delivery workflows (ids) that found the host unavailable and now wait to be resumed. */
  waiters?: string[];
  /** The outcome of the half-open probe. */
  probe?: { workflowId: string; ok: boolean };
  /** The host asked everyone to wait until then (429/503 + Retry-After, or rate limit used up). */
  throttleUntilMs?: number;
  /** The host's advertised rate limit. */
  rateLimit?: RateLimitPolicy;
}

/** The host as operators (GET /v1/hosts/:authority) and worker gates see it. */
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

export const reportSignal = defineSignal<[HostReport]>('report');
export const controlUpdate = defineUpdate<HostView, [HostControl]>('control');
export const hostQuery = defineQuery<HostView>('host');

/** Sent by the host workflow to a waiting delivery workflow: go on (`probe`: you are the half-open probe). */
export const resumeSignal = defineSignal<[{ probe: boolean }]>('resume');

/**
 * How a host workflow is started on demand, by a worker's report (signal-with-start) or an
 * operator's control (update-with-start): the same id, queue, input and search attribute.
 */
export function hostCircuitStart(authority: string, taskQueue: string, settings: BreakerSettings) {
  return {
    workflowId: hostWorkflowId(authority),
    taskQueue: hostTaskQueue(taskQueue),
    args: [{ authority, settings }] as [HostCircuitInput],
    typedSearchAttributes: [{ key: HOST_STATE_ATTRIBUTE, value: 'closed' }],
    staticSummary: `Circuit breaker for ${authority}`,
  };
}
