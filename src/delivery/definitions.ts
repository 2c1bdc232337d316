/**
 * What the delivery workflow, its activities, the worker and the client share: ids, messages,
 * search attributes and the shapes that travel between them. Safe to import from workflow code
 * (no Node APIs), and from clients without importing workflow code.
 */
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import { defineQuery } from '@temporalio/workflow';
import type { HostState, Resume } from '../breaker/definitions';
import type { SharedRateLimit } from '../ratelimit/definitions';
import type { ReceiverAnswer, SendErrorCode } from '../receiver/classify';
import type { RetryPolicy } from './policy';

/** The workflow type, by name: clients refer to it without importing workflow code. */
export const DELIVER_WEBHOOK_WORKFLOW = 'deliverWebhook';
export type DeliverWebhookWorkflow = (input: DeliveryInput) => Promise<WebhookState>;

export const webhookWorkflowId = (id: string): string => `webhook:${id}`;
export const webhookIdFromWorkflowId = (workflowId: string): string => workflowId.replace(/^webhook:/, '');

/** Search attributes. Only these four, and never a secret, URL path or body (they are stored in plain text). */
export const SEARCH_ATTRIBUTES = {
  status: defineSearchAttributeKey('WebhookStatus', SearchAttributeType.KEYWORD),
  host: defineSearchAttributeKey('WebhookHost', SearchAttributeType.KEYWORD),
  attempts: defineSearchAttributeKey('WebhookAttempts', SearchAttributeType.INT),
  statusCode: defineSearchAttributeKey('WebhookStatusCode', SearchAttributeType.INT),
} as const;

export const WEBHOOK_STATUSES = ['pending', 'retrying', 'paused', 'delivered', 'failed', 'cancelled'] as const;
export type WebhookStatus = (typeof WEBHOOK_STATUSES)[number];

/** The HTTP request exactly as it goes out, body already serialised. */
export interface OutboundRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
  body?: string;
  /** Set when rendered from a template: the send activity replaces the `{{ secrets.NAME }}` markers of this nonce (src/template/secrets.ts). */
  secretNonce?: string;
}

/** The request as shown to callers of status(): secrets in headers and URL redacted. */
export interface RequestView {
  method: string;
  url: string;
  headers: Record<string, string>;
}

export interface AttemptRecord {
  number: number;
  /** `scheduled` for automatic attempts, `manual` for the first attempt after a retry request. */
  trigger: 'scheduled' | 'manual';
  startedAt: string;
  durationMs: number;
  statusCode?: number;
  /** Why no response came (timeout, network, blocked, internal); absent when the receiver answered. */
  errorCode?: SendErrorCode;
  error?: string;
  responseHeaders?: Record<string, string>;
  responseBodySnippet?: string;
  /** Values read from the response body (JSON) at the `extract` paths of the delivery, by name. */
  extracted?: Record<string, unknown>;
  /** When the next attempt is due; absent on the last attempt. */
  nextAttemptAt?: string;
}

/** What a paused webhook waits for: its host to come back, or a send slot under the host's pace. */
export type WaitingFor = 'host' | 'rate-limit';

/** Where a run's loop stood between attempts; continue-as-new hands it to the next run. */
export interface LoopProgress {
  /** Attempts started so far, held ones included: the latest one's ticket. */
  seq: number;
  /** The go-ahead the host workflow gave the next attempt. */
  ask: { probe?: boolean; released?: boolean; slotMs?: number };
  /** Set while the latest attempt waits to be resumed. */
  wait?: { waitingFor: WaitingFor; state?: HostState; untilMs?: number; recheckAtMs: number };
  /** A resume that arrived for the latest attempt and is not yet acted on. */
  resume?: Resume;
}

/** Progress handed from one run to the next (continue-as-new, or a manual retry). */
export interface CarriedProgress {
  createdAt: string;
  attempts: AttemptRecord[];
  /** End of the retry window; a manual retry leaves it out so the window starts again. */
  deadlineMs?: number;
  /** Index in `attempts` of the first attempt of the current window. */
  windowStart?: number;
  /** The next attempt was asked for by an operator. */
  manual?: boolean;
  /** Continue-as-new only: the loop's own state (a pending probe, a release, a resume already received). */
  loop?: LoopProgress;
}

/** What a campaign webhook carries (ledger columns), in its encrypted input only (src/campaign). */
export interface CampaignRef {
  campaignId: string;
  /** Absent for event-triggered webhooks. */
  dispatchId?: string;
  recipientId: string;
}

/** What a journey webhook carries (ledger columns), in its encrypted input only (src/journey). */
export interface JourneyRef {
  journeyId: string;
  /** The webhook step's id. */
  step: string;
  recipientId: string;
}

export interface DeliveryInput {
  id: string;
  /** The URL's host key (src/net/host-key.ts): the unit of the per-host breaker. */
  authority: string;
  request: OutboundRequest;
  view: RequestView;
  signingSecret?: string;
  retry: RetryPolicy;
  timeoutMs: number;
  tags: Record<string, string>;
  /** The template version it was rendered from, if any (the ledger records it for reporting). */
  template?: { id: string; version: number };
  /**
   * Set for a campaign's webhook: the ledger lists it under these (its own columns, never tags or
   * search attributes), and each attempt first asks the campaign's gate (stop, rate limit).
   */
  campaign?: CampaignRef;
  /** Set for a journey's webhook: the ledger lists it under the journey and step (reports read these). */
  journey?: JourneyRef;
  /** A rate shared with other webhooks of its sender (a journey's rateLimitPerMinute): a send slot before each attempt. */
  rateLimit?: SharedRateLimit;
  /** HOOKFLOW_MAX_RETRY_AFTER_MS of the client that started it, fixed for the webhook's life. */
  maxRetryAfterMs: number;
  /** HOOKFLOW_SEND_ACTIVITY of the client that started it. */
  sendActivity: 'local' | 'regular';
  /** Hookflow-to-Hookflow webhooks that led to this one (src/self/credential.ts); absent means 0. */
  hops?: number;
  /** `{ name: "$.json.path" }` read from each response's body by the send activity (a journey's `save`). */
  extract?: Record<string, string>;
  /**
   * Set by every client since the ledger exists: the workflow writes its ledger rows without asking
   * `patched('ledger')`, which costs each webhook a marker and a search-attribute write (bench/README.md,
   * "The engine's floor"). Runs started without it are older and ask, so they replay as they ran.
   */
  ledger?: true;
  /**
   * Set on campaign webhooks started since the campaign's gate moved into the send activity: each
   * attempt asks it there, with no local activity (and activation) of its own. Runs started
   * without it ask it by a local activity before each attempt, as their histories record.
   */
  gateInSend?: true;
  carried?: CarriedProgress;
}

/** What status(), result() and the API show for one webhook. */
export interface WebhookState {
  id: string;
  status: WebhookStatus;
  request: RequestView;
  tags: Record<string, string>;
  attempts: AttemptRecord[];
  createdAt: string;
  completedAt?: string;
  nextAttemptAt?: string;
  /** While `paused`: what the webhook waits for. */
  waitingFor?: WaitingFor;
  /** Why a failed or cancelled webhook ended. */
  reason?: string;
}

export interface SendAttemptInput {
  id: string;
  authority: string;
  request: OutboundRequest;
  signingSecret?: string;
  timeoutMs: number;
  /** This attempt is the half-open probe the host's breaker asked for. */
  probe?: boolean;
  /** The host's breaker released this webhook from its queue of waiting webhooks. */
  released?: boolean;
  /** The send slot the host's breaker gave this webhook with its release or probe. */
  slotMs?: number;
  /** Numbers the attempt within its webhook: the host's resume for a held attempt names it. */
  ticket?: number;
  /** End of the retry window: an attempt whose slot comes later is not made. */
  deadlineMs?: number;
  /** The webhook's hop count, for a `hookflow:` URL's `Hookflow-Hops` header; absent means 0. */
  hops?: number;
  /** JSON paths to read from the response body, by name (see DeliveryInput.extract). */
  extract?: Record<string, string>;
  /**
   * A campaign's rate-limit slot: the worker starts the request no earlier (by its own clock; the
   * workflow's clock stands still while a task runs, so the workflow sleeps only until shortly before).
   */
  notBeforeMs?: number;
  /**
   * Ask this campaign's gate (stopped? a rate-limit slot?) before the attempt; see GatedAttempt.
   * `slot: false` only asks whether the campaign was stopped: the attempt has its slot (notBeforeMs).
   */
  campaignGate?: { campaignId: string; slot?: false };
}

/** Asked before each attempt of a campaign webhook: go (at a send slot of the campaign's rate limit), or end. */
export type CampaignGateAnswer = { go: true; atMs?: number } | { go: false; status: 'failed' | 'cancelled'; reason: string };

/**
 * The campaign's gate kept an attempt from going (nothing was sent): its answer ended the webhook or
 * gave a slot further off than the send activity waits (the workflow acts on it as on an answer it
 * asked for itself), or the gate could not be asked (`unanswered`: PostgreSQL out of reach; the
 * workflow asks it by a local activity, which retries until it answers).
 */
export type GatedAttempt = { answer: CampaignGateAnswer } | { unanswered: string };

/**
 * Why an attempt was held back without sending: the host is held (`paused`), the webhook queues
 * for a send slot (`rate-limit`), or its slot comes after its retry window (`deadline`).
 */
export type HeldAttempt =
  | { reason: 'paused'; state: HostState; untilMs?: number }
  | { reason: 'rate-limit' }
  | { reason: 'deadline'; slotMs: number }
  /** A campaign's rate-limit slot had passed when the worker could send: the webhook asks for another. */
  | { reason: 'slot-missed' };

export interface SendAttemptResult extends ReceiverAnswer {
  startedAtMs: number;
  durationMs: number;
  errorMessage?: string;
  responseBodySnippet?: string;
  extracted?: Record<string, unknown>;
  /** Set when the host gate held the attempt: nothing was sent. */
  held?: HeldAttempt;
  /** Set when the campaign's gate kept the attempt from going: nothing was sent. */
  gated?: GatedAttempt;
  /**
   * Set when the attempt delivered and the worker has stored the webhook's final ledger record
   * (src/ledger/settle.ts), built as of this time: the workflow records the attempt at this time
   * and completes without storing it again.
   */
  settledAtMs?: number;
}

export const stateQuery = defineQuery<WebhookState>('state');

/** The delivery workflow's activities, implemented in activities/. */
export interface SendActivities {
  sendAttempt(input: SendAttemptInput): Promise<SendAttemptResult>;
}
