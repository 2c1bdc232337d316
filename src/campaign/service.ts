/**
 * Campaigns for the SDK (and through it the API): define, trigger, count, pause, resume, stop.
 * Definitions, dispatches and their recipients are in PostgreSQL; each dispatch runs as one
 * workflow (workflows/campaign.ts); a scheduled campaign is a Temporal Schedule that starts one.
 */
import { randomUUID, createHash } from 'node:crypto';
import { isGrpcServiceError, ScheduleNotFoundError, WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError, type Client } from '@temporalio/client';
import type pg from 'pg';
import { InvalidRequestError, NotFoundError } from '../errors';
import { withTransaction } from '../db/transaction';
import type { TemplateStore } from '../template/store';
import { campaignChangedSignal, campaignScheduleId, DISPATCH_CAMPAIGN_WORKFLOW, dispatchWorkflowId, type DispatchCampaignWorkflow, type DispatchInput } from './definitions';
import { checkCampaignId, parseCampaign, parseTriggerCall, type CampaignInput, type CampaignStatus, type CampaignView, type DispatchCounts, type DispatchSummary, type TriggerCallInput } from './schema';
import { createDispatch, dispatchCounts, listCampaigns, listDispatches, liveCampaignWebhooks, readCampaign, runningDispatchWorkflows, saveCampaign, setCampaignStatus } from './store';
import { inLanes } from '../lanes';
import type { Page } from '../paging';

/** Webhooks cancelled at once when a campaign stops. */
const PARALLEL_CANCELS = 16;
const CANCEL_PAGE = 500;

export interface CampaignServiceDeps {
  pool: pg.Pool;
  templates: TemplateStore;
  client: Client;
  taskQueue: string;
  /** HOOKFLOW_CAMPAIGN_PAGE_SIZE */
  pageSize: number;
  /** Runs a bounded Temporal call (unreachable → DependencyUnavailableError). */
  temporal<T>(call: () => Promise<T>): Promise<T>;
}

/** A dispatch's id: from the idempotency key when given (a repeated call finds the same dispatch). */
export function dispatchIdOf(campaignId: string, key: string | undefined): string {
  if (key === undefined) return `dp_${randomUUID().replace(/-/g, '')}`;
  return `dp_${createHash('sha256').update(`${campaignId}\n${key}`).digest('hex').slice(0, 32)}`;
}

export class CampaignService {
  constructor(private readonly deps: CampaignServiceDeps) {}

  /** Creates or replaces a campaign; throws InvalidRequestError naming the field. */
  async put(id: string, input: CampaignInput): Promise<{ campaign: CampaignView; created: boolean }> {
    checkCampaignId(id);
    const campaign = parseCampaign(input);
    const template = await this.deps.templates.version(campaign.template.id, campaign.template.version);
    if (!template) {
      const what = campaign.template.version === undefined ? `no template ${campaign.template.id}` : `template ${campaign.template.id} has no version ${campaign.template.version}`;
      throw new InvalidRequestError([{ field: 'template', message: what }]);
    }
    // The schedule is made inside the transaction: a spec Temporal refuses leaves the campaign as it was.
    return withTransaction(this.deps.pool, async (tx) => {
      const { view, created } = await saveCampaign(tx, id, campaign);
      await this.syncSchedule(view);
      return { campaign: view, created };
    });
  }

  async get(id: string): Promise<CampaignView> {
    checkCampaignId(id);
    const found = await readCampaign(this.deps.pool, id);
    if (!found) throw new NotFoundError('campaign', id);
    return found;
  }

  /** Campaigns, newest first, a page at a time (`nextCursor` until the last page). */
  async list(page: { limit: number; cursor?: string }): Promise<Page<CampaignView>> {
    return listCampaigns(this.deps.pool, page);
  }

  /** A campaign's dispatches, newest first; throws NotFoundError for an unknown campaign. */
  async dispatches(id: string, page: { limit: number; cursor?: string }): Promise<Page<DispatchSummary>> {
    await this.get(id);
    return listDispatches(this.deps.pool, id, page);
  }

  /** Stores an API dispatch's recipients and starts its workflow; a repeated idempotencyKey answers the same dispatch. */
  async trigger(id: string, input: TriggerCallInput, hops = 0): Promise<{ dispatchId: string; recipients: number }> {
    const campaign = await this.get(id);
    const call = parseTriggerCall(input);
    if (campaign.trigger.type !== 'api') throw new InvalidRequestError([{ field: 'trigger', message: `campaign ${id} is triggered by ${campaign.trigger.type}, not by API calls` }]);
    if (campaign.status === 'stopped') throw new InvalidRequestError([{ field: 'id', message: `campaign ${id} is stopped (resume it first)` }]);
    const dispatchId = dispatchIdOf(id, call.idempotencyKey);
    const template = await this.deps.templates.version(campaign.template.id, campaign.template.version);
    if (!template) throw new InvalidRequestError([{ field: 'template', message: `campaign ${id}'s template ${campaign.template.id} no longer exists` }]);
    const workflowId = dispatchWorkflowId(dispatchId);
    const { total } = await createDispatch(this.deps.pool, {
      id: dispatchId,
      campaignId: id,
      template: { id: template.id, version: template.version },
      properties: call.properties ?? {},
      recipients: call.recipients,
      workflowId,
    });
    // Started after the rows commit; a repeated call (same key) starts it if an earlier one could not.
    await this.startDispatch(workflowId, { campaignId: id, dispatchId, pageSize: this.deps.pageSize, ...(hops ? { hops } : {}) });
    return { dispatchId, recipients: total };
  }

  async counts(campaignId: string, dispatchId: string): Promise<DispatchCounts> {
    checkCampaignId(campaignId);
    const counts = await dispatchCounts(this.deps.pool, campaignId, dispatchId);
    if (!counts) throw new NotFoundError('dispatch', dispatchId);
    return counts;
  }

  /** Paused: nothing new starts (dispatches wait, events are not acted on, the schedule holds); webhooks already started go on. */
  async pause(id: string): Promise<CampaignView> {
    return this.setStatus(id, 'paused');
  }

  async resume(id: string): Promise<CampaignView> {
    return this.setStatus(id, 'active');
  }

  /** Stopped: recipients not yet reached are cancelled, and every campaign webhook not yet delivered is cancelled. */
  async stop(id: string): Promise<CampaignView> {
    const view = await this.setStatus(id, 'stopped');
    for (let after = '', page: string[] = []; ; after = page[page.length - 1]) {
      page = await liveCampaignWebhooks(this.deps.pool, id, after, CANCEL_PAGE);
      await inLanes(page, PARALLEL_CANCELS, (wh) =>
        this.deps.temporal(() => this.deps.client.workflow.getHandle(`webhook:${wh}`).cancel()).catch((err: unknown) => {
          if (!(err instanceof WorkflowNotFoundError)) throw err;
        }),
      );
      if (page.length < CANCEL_PAGE) break;
    }
    return view;
  }

  private async setStatus(id: string, status: CampaignStatus): Promise<CampaignView> {
    checkCampaignId(id);
    const view = await setCampaignStatus(this.deps.pool, id, status);
    if (!view) throw new NotFoundError('campaign', id);
    await this.syncSchedule(view);
    // Dispatches held by a pause look again now (a stopped one cancels the rest of its recipients).
    for (const workflowId of await runningDispatchWorkflows(this.deps.pool, id)) {
      await this.deps.temporal(() => this.deps.client.workflow.getHandle(workflowId).signal(campaignChangedSignal)).catch((err: unknown) => {
        if (!(err instanceof WorkflowNotFoundError)) throw err;
      });
    }
    return view;
  }

  private async startDispatch(workflowId: string, input: DispatchInput): Promise<void> {
    try {
      await this.deps.temporal(() =>
        this.deps.client.workflow.start<DispatchCampaignWorkflow>(DISPATCH_CAMPAIGN_WORKFLOW, { taskQueue: this.deps.taskQueue, workflowId, args: [input], workflowIdReusePolicy: 'REJECT_DUPLICATE' }),
      );
    } catch (err) {
      if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
    }
  }

  /** A schedule campaign's Temporal Schedule follows its definition and status (recreated on each change). */
  private async syncSchedule(view: CampaignView): Promise<void> {
    const handle = this.deps.client.schedule.getHandle(campaignScheduleId(view.id));
    await this.deps.temporal(() => handle.delete()).catch((err: unknown) => {
      if (!(err instanceof ScheduleNotFoundError)) throw err;
    });
    const trigger = view.trigger;
    if (trigger.type !== 'schedule' || view.status === 'stopped') return;
    const once = trigger.at !== undefined ? new Date(trigger.at) : undefined;
    // A one-off run is a seven-field cron of its exact second (UTC), taken once.
    const cron = once
      ? `${once.getUTCSeconds()} ${once.getUTCMinutes()} ${once.getUTCHours()} ${once.getUTCDate()} ${once.getUTCMonth() + 1} * ${once.getUTCFullYear()}`
      : trigger.cron!;
    await this.deps.temporal(() =>
      this.deps.client.schedule.create({
        scheduleId: campaignScheduleId(view.id),
        spec: { cronExpressions: [cron], timezone: once ? 'UTC' : (trigger.timezone ?? 'UTC') },
        action: { type: 'startWorkflow', workflowType: DISPATCH_CAMPAIGN_WORKFLOW, args: [{ campaignId: view.id, pageSize: this.deps.pageSize }], taskQueue: this.deps.taskQueue, workflowId: `scheduled:${view.id}` },
        state: { paused: view.status === 'paused', ...(once ? { remainingActions: 1 } : {}) },
      }),
    ).catch((err: unknown) => {
      // INVALID_ARGUMENT: Temporal refuses the spec (a cron our pattern let through).
      if (isGrpcServiceError(err) && err.code === 3) throw new InvalidRequestError([{ field: once ? 'trigger.at' : 'trigger.cron', message: `Temporal refuses it: ${err.details}` }]);
      if (isGrpcServiceError((err as { cause?: unknown }).cause) && ((err as { cause: { code: number } }).cause.code === 3)) {
        throw new InvalidRequestError([{ field: once ? 'trigger.at' : 'trigger.cron', message: `Temporal refuses it: ${(err as { cause: { details: string } }).cause.details}` }]);
      }
      throw err;
    });
  }
}
