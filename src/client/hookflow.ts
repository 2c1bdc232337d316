/**
 * The client SDK: a thin layer over the Temporal client. `send` validates with the shared schema
 * and starts one delivery workflow; the other calls read or steer that workflow. The HTTP API is
 * built on this class.
 */
import { Connection, type Client } from '@temporalio/client';
import { hostTaskQueue, type HostView } from '../breaker/definitions';
import { breakerSettings } from '../breaker/settings';
import type { CampaignInput, CampaignView, DispatchCounts, DispatchSummary, TriggerCallInput } from '../campaign/schema';
import type { SenderDeps } from '../campaign/sender';
import { loadConfig, type Config } from '../config';
import { resolveEncryptionKey } from '../data-dir';
import type { WebhookState, WebhookStatus } from '../delivery/definitions';
import { listGone, parseEndpointHash, reenable, type GoneEndpoint } from '../endpoint/gone';
import { NotFoundError } from '../errors';
import type { EventInput } from '../event/schema';
import type { Accepted } from '../event/store';
import type { RunView } from '../journey/definitions';
import type { EntryResult, JourneyView } from '../journey/service';
import { parseListFilter, type ListPage } from '../ledger/list-query';
import type { AttemptSummary } from '../ledger/store';
import type { Attributes, Recipient } from '../recipient/schema';
import type { Erasure } from '../recipient/store';
import type { JobView } from '../recovery/definitions';
import type { RecoverFilterInput } from '../recovery/filter';
import type { Report } from '../report/columns';
import { parseReportQuery, type ReportQuery } from '../report/params';
import { answerReport } from '../report/days';
import { recentFailures, type RecentFailure } from '../report/store';
import { isTemplated, type PreviewInput, type TemplatedWebhookInput, type TemplateInput } from '../template/schema';
import type { SendExtras } from '../template/service';
import type { StoredVersion } from '../template/store';
import { hookflowClient, temporalAddressOf } from '../temporal/connect';
import { temporalUnavailable } from '../temporal/unavailable';
import { prepareDelivery } from '../webhook/prepare';
import { parseWebhook, type WebhookInput } from '../webhook/schema';
import { ClientDatabase } from './database';
import { HostControls } from './host-controls';
import { eraseRecipientData, findRecipient, mergeRecipient, trackEvents } from './recipients';
import { recoveryJob, startRecovery } from './recovery';
import { DEFAULT_CALL_TIMEOUT_MS, listQueryOf, pageQueryOf, type Caller, type HookflowOptions, type ListOptions, type PageOptions, type SendResult } from './options';
import { parsePage, type Page } from '../paging';
import { WebhookLifecycle } from './webhook-lifecycle';
import { WebhookWorkflows, type TemporalCall } from './webhook-workflows';

export type { Caller, HookflowOptions, ListOptions, SendResult } from './options';

export class Hookflow {
  /** The ledger and the services on its pool, connected on first use. */
  private readonly db: ClientDatabase;
  /** Each webhook's delivery workflow. */
  private readonly workflows: WebhookWorkflows;
  /** The hosts' breaker workflows. */
  private readonly hosts: HostControls;
  /** Status, attempts, cancel and retry of one webhook: Temporal, else the ledger. */
  private readonly lifecycle: WebhookLifecycle;

  private constructor(
    readonly client: Client,
    private readonly config: Config,
    private readonly ownsConnection: boolean,
    encryptionKey: string | undefined,
    databaseUrl: string | undefined,
    eagerStart: boolean,
    private readonly callTimeoutMs: number,
  ) {
    const temporal: TemporalCall = (call, extraMs) => this.temporal(call, extraMs);
    this.db = new ClientDatabase({ config, databaseUrl, encryptionKey, client, eagerStart, temporal });
    this.workflows = new WebhookWorkflows(client, config.taskQueue, eagerStart, temporal);
    this.hosts = new HostControls(client, hostTaskQueue(config), breakerSettings(config), temporal);
    this.lifecycle = new WebhookLifecycle(this.workflows, this.db, temporal, callTimeoutMs);
  }

  /** The host workflows' task queue: they are `host:<this queue>:<host key>`. */
  get hostQueue(): string {
    return hostTaskQueue(this.config);
  }

  static async connect(options: HookflowOptions = {}): Promise<Hookflow> {
    const config = options.config ?? loadConfig();
    const callTimeoutMs = options.callTimeoutMs ?? DEFAULT_CALL_TIMEOUT_MS;
    const databaseUrl = options.databaseUrl ?? config.databaseUrl;
    if (options.client) return new Hookflow(options.client, config, false, options.encryptionKey, databaseUrl, options.eagerStart ?? false, callTimeoutMs);
    const encryptionKey = options.encryptionKey ?? resolveEncryptionKey(config);
    const connection = await Connection.connect({ address: options.address ?? temporalAddressOf(config) });
    const client = hookflowClient(connection, options.namespace ?? config.temporalNamespace, encryptionKey);
    return new Hookflow(client, config, true, encryptionKey, databaseUrl, false, callTimeoutMs);
  }

  /**
   * Validates and starts a webhook. Throws InvalidWebhookError, naming each bad field, before starting anything.
   * With `template` (and `recipient`, `trigger`, `event`) instead of method, URL, headers and body, it renders
   * that template once (see sendTemplated). `caller.hops`: the depth of the request asking for it
   * (the API passes a self webhook's `Hookflow-Hops`); the webhook's `hops` is at least that.
   */
  async send(webhook: WebhookInput | TemplatedWebhookInput, caller: Caller = {}): Promise<SendResult> {
    if (isTemplated(webhook)) return this.sendTemplated(webhook as TemplatedWebhookInput, caller.hops === undefined ? {} : { hops: caller.hops });
    const parsed = parseWebhook(webhook, { maxBodyBytes: this.config.maxBodyBytes });
    if (caller.hops) parsed.hops = Math.max(parsed.hops ?? 0, caller.hops);
    const input = prepareDelivery(parsed, { maxRetryAfterMs: this.config.maxRetryAfterMs, sendActivity: this.config.sendActivity });
    // Only an idempotency key can make the id collide: the earlier webhook stands.
    return { id: input.id, created: await this.workflows.startOnce(input) };
  }

  /**
   * Renders a template version for one recipient and starts its webhook. A render error (a missing
   * variable, a rendered URL that is no URL…) does not throw: that webhook alone ends `failed` with
   * reason `render_error: …`, in the ledger, as campaigns need for each of their recipients.
   * `extras` lets a campaign set the webhook id and `campaign.id`.
   */
  async sendTemplated(webhook: TemplatedWebhookInput, extras: SendExtras = {}): Promise<SendResult> {
    const { templates } = this.db;
    const { send, template } = await this.db.run(() => templates.resolve(webhook));
    const prepared = templates.prepareSend(template, send, extras);
    const id = prepared.ok ? prepared.input.id : prepared.id;
    const repeatable = send.idempotencyKey !== undefined || extras.id !== undefined;
    // A render failure lives only in the ledger: a repeated key finds it there.
    if (repeatable && (await this.db.run(() => templates.known(id)))) return { id, created: false };
    if (prepared.ok) return { id, created: await this.workflows.startOnce(prepared.input) };
    if (repeatable && (await this.workflows.exists(id))) return { id, created: false };
    const created = await this.db.run(() => templates.recordFailure(prepared.failure));
    return created ? { id, created, status: 'failed', reason: prepared.reason } : { id, created };
  }

  /** Saves a template; a new version only when its content changed. Throws InvalidRequestError naming the field (and Liquid line). */
  async saveTemplate(id: string, template: TemplateInput): Promise<{ id: string; version: number; created: boolean }> {
    return this.db.run((db) => db.templates.save(id, template));
  }

  /** A template's latest version, or the one asked for; throws TemplateNotFoundError. */
  async template(id: string, version?: number): Promise<StoredVersion> {
    return this.db.run((db) => db.templates.get(id, version));
  }

  /** The request a template makes for `context`, secrets shown as `***`; nothing is sent. A render error throws InvalidRequestError naming the field. */
  async previewTemplate(id: string, context: PreviewInput = {}, version?: number) {
    return this.db.run((db) => db.templates.preview(id, context, version));
  }

  /**
   * Creates or replaces a campaign: a template (a pinned version, or the latest at each dispatch),
   * a trigger (api, event or schedule), and optional rateLimitPerMinute and reEligibilitySeconds.
   * Throws InvalidRequestError naming the field.
   */
  async putCampaign(id: string, campaign: CampaignInput): Promise<{ campaign: CampaignView; created: boolean }> {
    return this.db.run((db) => db.campaigns.put(id, campaign));
  }

  /** A campaign; throws NotFoundError. */
  async campaign(id: string): Promise<CampaignView> {
    return this.db.run((db) => db.campaigns.get(id));
  }

  /** Campaigns, newest first: `limit` (1–500, default 50) a page, `cursor` from the previous page's `nextCursor`. */
  async campaigns(options: PageOptions = {}): Promise<Page<CampaignView>> {
    const page = parsePage(pageQueryOf(options));
    return this.db.run((db) => db.campaigns.list(page));
  }

  /** A campaign's dispatches, newest first (each one's counts: campaignDispatch); throws NotFoundError. */
  async campaignDispatches(campaignId: string, options: PageOptions = {}): Promise<Page<DispatchSummary>> {
    const page = parsePage(pageQueryOf(options));
    return this.db.run((db) => db.campaigns.dispatches(campaignId, page));
  }

  /**
   * Sends an API-triggered campaign to up to 10,000 recipients (one dispatch, stored before it
   * returns); each recipient's `trigger.*` is the call's properties under its own. The same
   * idempotencyKey answers the same dispatch and sends nothing again.
   */
  async triggerCampaign(id: string, call: TriggerCallInput, options: { hops?: number } = {}): Promise<{ dispatchId: string; recipients: number }> {
    return this.db.run((db) => db.campaigns.trigger(id, call, options.hops));
  }

  /** A dispatch's counts, from PostgreSQL and the ledger: total = delivered + failed + cancelled + skipped + pending. */
  async campaignDispatch(campaignId: string, dispatchId: string): Promise<DispatchCounts> {
    return this.db.run((db) => db.campaigns.counts(campaignId, dispatchId));
  }

  /** Holds the campaign: nothing new starts until resumeCampaign (webhooks already started go on). */
  async pauseCampaign(id: string): Promise<CampaignView> {
    return this.db.run((db) => db.campaigns.pause(id));
  }

  async resumeCampaign(id: string): Promise<CampaignView> {
    return this.db.run((db) => db.campaigns.resume(id));
  }

  /** Stops the campaign: whatever it has not sent yet is cancelled. */
  async stopCampaign(id: string): Promise<CampaignView> {
    return this.db.run((db) => db.campaigns.stop(id));
  }

  /** What campaign activities render and start webhooks with (the worker's). */
  campaignSender(): SenderDeps {
    return {
      templates: this.db.templates,
      start: (input, startDelayMs) => this.workflows.startOnce(input, startDelayMs),
    };
  }

  /** The webhook's status and attempts so far: live from Temporal, else (after its retention) from the ledger. */
  async status(id: string): Promise<WebhookState> {
    return this.lifecycle.status(id);
  }

  /**
   * Its status as last published by its workflow, answered without a worker (a repeated POST's
   * answer, so that a worker being gone does not fail it); the ledger's for a webhook Temporal no
   * longer holds or never held (a failed render). Throws WebhookNotFoundError.
   */
  async publishedStatus(id: string): Promise<WebhookStatus> {
    return this.lifecycle.publishedStatus(id);
  }

  /** Webhooks newest first, a page at a time, from the ledger. Throws InvalidRequestError naming each bad filter. */
  async list(options: ListOptions = {}): Promise<ListPage> {
    return this.listWhere(listQueryOf(options));
  }

  /** `list` with query-string style parameters (`tag.<name>`), as the HTTP API receives them. */
  async listWhere(query: Record<string, unknown>): Promise<ListPage> {
    const filter = parseListFilter(query);
    return this.db.run((db) => db.ledger.list(filter));
  }

  /** Every attempt of a webhook, from the ledger (live from Temporal while the ledger has not heard of it yet). */
  async attempts(id: string): Promise<AttemptSummary[]> {
    return this.lifecycle.attempts(id);
  }

  /**
   * Sends every failed webhook that matches `filter` again, as the same messages, paced
   * (HOOKFLOW_RECOVERY_RATE), as a durable job. The matches are fixed now. While a job with the
   * same filter runs, that job is answered (`created: false`) and nothing is sent twice.
   */
  async recover(filter: RecoverFilterInput): Promise<{ job: JobView; created: boolean }> {
    return startRecovery({ db: this.db, client: this.client, config: this.config, temporal: (call, extraMs) => this.temporal(call, extraMs) }, filter);
  }

  /** A job's progress; throws JobNotFoundError. */
  async job(id: string): Promise<JobView> {
    return recoveryJob(this.db, id);
  }

  /** Endpoints that answered 410 Gone and are no longer called, newest first (at most 1,000). */
  async goneEndpoints(): Promise<GoneEndpoint[]> {
    return this.db.run((db) => listGone(db.pool));
  }

  /**
   * Calls a gone endpoint again: webhooks to it are sent as before once each worker has re-read
   * the list (HOOKFLOW_GONE_REFRESH_MS). Throws NotFoundError when it is not marked gone.
   */
  async reenableEndpoint(hash: string): Promise<void> {
    const key = parseEndpointHash(hash);
    if (!(await this.db.run((db) => reenable(db.pool, key)))) throw new NotFoundError('gone endpoint', key);
  }

  /**
   * Merges attributes into a recipient, creating it: each key given replaces the stored one, a
   * key set to null is removed, others stay. Returns the recipient as stored.
   */
  async putRecipient(id: string, attributes: Attributes): Promise<Recipient> {
    return mergeRecipient(this.db, id, attributes);
  }

  /** A recipient and its attributes; throws NotFoundError. */
  async recipient(id: string): Promise<Recipient> {
    return findRecipient(this.db, id);
  }

  /** Right to erasure: deletes the recipient's attributes and all their events; throws NotFoundError when there was neither. */
  async eraseRecipient(id: string): Promise<Erasure> {
    return eraseRecipientData(this.db, id);
  }

  /**
   * Records custom events (one, or up to 100), durably before it returns, merging any `attributes`
   * into their recipients; listeners (event-triggered campaigns, journeys) then get each new event
   * once. An event id already recorded is answered `created: false` and triggers nothing again.
   * `caller.hops`: the depth of the request that posts them, stored with each event (ListenedEvent.hops).
   */
  async track(events: EventInput | { events: EventInput[] }, caller: Caller = {}): Promise<Accepted[]> {
    return trackEvents(this.db, events, caller.hops ?? 0);
  }

  /** Validates (InvalidRequestError naming step and field) and saves a journey's draft; nothing runs until it is published. */
  async saveJourney(id: string, definition: unknown): Promise<{ id: string; created: boolean }> {
    return this.db.run((db) => db.journeys.save(id, definition));
  }

  /** Validates the draft again and makes it the next version; new entries take it, runs in flight keep theirs. */
  async publishJourney(id: string): Promise<{ id: string; version: number }> {
    return this.db.run((db) => db.journeys.publish(id));
  }

  /** The draft, the published versions, run counts by version and status, and per-step numbers. */
  async journey(id: string): Promise<JourneyView> {
    return this.db.run((db) => db.journeys.get(id));
  }

  /** API entry: enters recipients (`{ recipients: [{ id, attributes?, properties? }] }`) into the latest version. */
  async enterJourney(id: string, input: { recipients: { id: string; attributes?: Attributes; properties?: Attributes }[] }): Promise<{ version: number; entries: EntryResult[] }> {
    return this.db.run((db) => this.temporal(() => db.journeys.enter(id, input), 60_000));
  }

  /** The recipient's latest run: version, status, current step, path, context. */
  async journeyRun(id: string, recipientId: string): Promise<RunView> {
    return this.db.run((db) => this.temporal(() => db.journeys.run(id, recipientId)));
  }

  /** Ends the recipient's running run wherever it is (status `exited`). */
  async exitJourneyRun(id: string, recipientId: string): Promise<{ exited: boolean }> {
    return this.db.run((db) => this.temporal(() => db.journeys.exitRun(id, recipientId)));
  }

  /** Moves runs of version `from` waiting in a delay or waitForEvent step that `to` also has onto `to`. */
  async migrateJourney(id: string, input: { from: number; to: number }): Promise<{ moved: number; stayed: number }> {
    return this.db.run((db) => this.temporal(() => db.journeys.migrate(id, input), 600_000));
  }

  /**
   * Sends, deliveries, errors and latencies from the ledger, bucketed by hour or day in a time zone
   * (README, "Reports and dashboard"). Takes query-string style parameters or a parsed query;
   * throws InvalidRequestError naming each bad one.
   */
  async report(query: Record<string, unknown> | ReportQuery): Promise<Report> {
    const parsed = query.since instanceof Date ? (query as ReportQuery) : parseReportQuery(query as Record<string, unknown>);
    return this.db.run((db) => answerReport(db.pool, parsed));
  }

  /** The latest failed webhooks, newest first (at most `limit`, 1-100). */
  async recentFailures(limit = 20): Promise<RecentFailure[]> {
    return this.db.run((db) => recentFailures(db.pool, Math.min(Math.max(Math.trunc(limit), 1), 100)));
  }

  /** Waits until the webhook is delivered, failed or cancelled, and returns its final state. */
  async result(id: string): Promise<WebhookState> {
    return this.lifecycle.result(id);
  }

  /** Stops a pending webhook; it ends as `cancelled`. */
  async cancel(id: string): Promise<WebhookState> {
    return this.lifecycle.cancel(id);
  }

  /**
   * Sends a finished webhook again as the same message (same `webhook-id`), with a fresh retry
   * window. Its earlier attempts stay in its record.
   */
  async retry(id: string): Promise<SendResult> {
    return this.lifecycle.retry(id);
  }

  /** The host's breaker state; a host Hookflow has not heard from recently reads as closed and empty. */
  async hostStatus(authority: string): Promise<HostView> {
    return this.hosts.status(authority);
  }

  /**
   * Holds every send to the host, for `durationMs` or until resumeHost(). Answers once every worker
   * that may have been sending there has taken the news (at most two report intervals): from then
   * on no new attempt to the host starts.
   */
  async pauseHost(authority: string, durationMs?: number): Promise<HostView> {
    return this.hosts.control(authority, durationMs === undefined ? { action: 'pause' } : { action: 'pause', durationMs });
  }

  /** Lifts a pause (or an open breaker): waiting webhooks are released, paced. */
  async resumeHost(authority: string): Promise<HostView> {
    return this.hosts.control(authority, { action: 'resume' });
  }

  /** Runs a bounded Temporal call; Temporal being out of reach becomes a DependencyUnavailableError. */
  private async temporal<T>(call: () => Promise<T>, extraMs = 0): Promise<T> {
    try {
      return await this.client.withDeadline(Date.now() + this.callTimeoutMs + extraMs, call);
    } catch (err) {
      throw temporalUnavailable(err) ?? err;
    }
  }

  async close(): Promise<void> {
    await this.db.close();
    if (this.ownsConnection) await this.client.connection.close();
  }

  /** What `/healthz` checks: Temporal, and PostgreSQL when this Hookflow has one. */
  healthChecks(): { name: string; check(): Promise<unknown> }[] {
    const checks: { name: string; check(): Promise<unknown> }[] = [{ name: 'temporal', check: () => this.client.workflowService.getSystemInfo({}) }];
    if (this.db.configured()) checks.push({ name: 'postgres', check: () => this.db.pool.query('SELECT 1') });
    return checks;
  }
}
