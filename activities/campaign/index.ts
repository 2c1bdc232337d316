/**
 * The campaign activities: a dispatch's pages (render and start each recipient's webhook), a
 * scheduled run's dispatch, and the gate each campaign webhook passes before every attempt (a
 * stopped campaign, the campaign's shared rate limit).
 */
import type pg from 'pg';
import { campaignRateKey, type CampaignActivities, type CampaignGateActivities, type CampaignGateAnswer, type PageResult } from '../../src/campaign/definitions';
import { nextPage, pageLimit } from '../../src/campaign/pace';
import { scheduleEndMs } from '../../src/ratelimit/limiter';
import { triggerProperties, type CampaignView } from '../../src/campaign/schema';
import { campaignWebhookId, sendCampaignWebhooks, type CampaignSend, type SenderDeps } from '../../src/campaign/sender';
import {
  appendAudience,
  cancelRest,
  claimEligible,
  completeDispatch,
  createDispatch,
  lastAudienceId,
  pendingRecipients,
  readCampaign,
  readDispatch,
  settleRecipients,
} from '../../src/campaign/store';
import { parseFilter } from '../../src/filter/parse';
import { selectRecipientIds } from '../../src/filter/sql';
import { withTransaction } from '../../src/db/transaction';
import { dispatchIdOf } from '../../src/campaign/service';
import type { RateLimitGate } from '../ratelimit/gate';

/**
 * How long a worker acts on a campaign's status and limit before reading them again: a stop
 * reaches every worker's next attempts within this, at one read per campaign per worker per span.
 */
const CAMPAIGN_VIEW_TTL_MS = 1_000;

export interface CampaignDeps {
  pool: pg.Pool;
  sender: SenderDeps;
  rateLimits: RateLimitGate;
  /** HOOKFLOW_RATE_LIMIT_MAX_HOLD_MS: a webhook whose slot comes later fails. */
  maxHoldMs: number;
}

export function createCampaignActivities(deps: CampaignDeps): CampaignActivities & CampaignGateActivities {
  const views = new Map<string, { atMs: number; view: Promise<CampaignView | undefined> }>();
  const campaignView = (id: string): Promise<CampaignView | undefined> => {
    const held = views.get(id);
    if (held && Date.now() - held.atMs < CAMPAIGN_VIEW_TTL_MS) return held.view;
    const view = readCampaign(deps.pool, id);
    views.set(id, { atMs: Date.now(), view });
    view.catch(() => views.delete(id));
    return view;
  };

  return {
    async createScheduledDispatch({ campaignId, runKey }) {
      const campaign = await readCampaign(deps.pool, campaignId);
      if (!campaign || campaign.trigger.type !== 'schedule' || campaign.status === 'stopped') return undefined;
      const template = await deps.sender.templates.store.version(campaign.template.id, campaign.template.version);
      if (!template) throw new Error(`campaign ${campaignId}'s template ${campaign.template.id} no longer exists`);
      const dispatchId = dispatchIdOf(campaignId, runKey);
      const audience = campaign.trigger.audience;
      await createDispatch(deps.pool, {
        id: dispatchId,
        campaignId,
        template: { id: template.id, version: template.version },
        properties: {},
        ...('recipients' in audience ? { recipients: audience.recipients } : { audienceWhere: audience.where }),
        workflowId: runKey,
      });
      return dispatchId;
    },

    async dispatchPage({ dispatchId, limit, hops, pacedUntilMs }): Promise<PageResult> {
      const dispatch = await readDispatch(deps.pool, dispatchId);
      if (!dispatch) return { state: 'done', started: 0 };
      const campaign = await readCampaign(deps.pool, dispatch.campaignId);
      if (!campaign || campaign.status === 'stopped') {
        await withTransaction(deps.pool, async (tx) => {
          await cancelRest(tx, dispatchId);
          await completeDispatch(tx, dispatchId, 'stopped');
        });
        return { state: 'done', started: 0 };
      }
      if (campaign.status === 'paused') return { state: 'paused', started: 0 };
      const perMinute = campaign.rateLimitPerMinute;
      const size = pageLimit(limit, perMinute);
      let rows = await pendingRecipients(deps.pool, dispatchId, size);
      if (rows.length === 0 && dispatch.audienceWhere !== undefined) {
        // An audience by filter is selected a page at a time, in id order, as the dispatch goes.
        const filter = parseFilter(dispatch.audienceWhere, { field: 'trigger.audience.where', roots: ['recipient'] });
        const ids = await selectRecipientIds(deps.pool, filter, { afterId: await lastAudienceId(deps.pool, dispatchId), limit: size });
        await withTransaction(deps.pool, (tx) => appendAudience(tx, dispatchId, ids));
        rows = await pendingRecipients(deps.pool, dispatchId, size);
      }
      if (rows.length === 0) return { state: 'done', started: 0 };
      const template = await deps.sender.templates.store.version(dispatch.template.id, dispatch.template.version);
      if (!template) throw new Error(`template ${dispatch.template.id} version ${dispatch.template.version} no longer exists`);
      const sends = rows.map(
        (r): CampaignSend & { n: number } => ({
          n: r.n,
          webhookId: campaignWebhookId(dispatchId, r.id),
          ref: { campaignId: campaign.id, dispatchId, recipientId: r.id },
          recipient: { id: r.id, attributes: r.attributes },
          trigger: triggerProperties(dispatch.properties, r.properties),
          ...(hops ? { hops } : {}),
        }),
      );
      const eligible = await eligibleOf(deps.pool, campaign, sends);
      // Read before this page's webhooks lease their slots, so they are not counted twice.
      const scheduleEnd = perMinute ? await scheduleEndMs(deps.pool, campaignRateKey(campaign.id)) : undefined;
      await sendCampaignWebhooks(deps.sender, template, sends.filter((s) => eligible.has(s.webhookId)));
      await settleRecipients(deps.pool, dispatchId, sends.map((s) => ({ n: s.n, outcome: eligible.has(s.webhookId) ? 'started' : 'skipped' })));
      if (!perMinute) return { state: 'more', started: eligible.size };
      const pace = nextPage(perMinute, { scheduleEndMs: scheduleEnd, pacedUntilMs, nowMs: Date.now(), started: eligible.size });
      return { state: 'more', started: eligible.size, pacedUntilMs: pace.pacedUntilMs, ...(pace.waitMs > 0 ? { nextPageInMs: pace.waitMs } : {}) };
    },

    async completeDispatch({ dispatchId }) {
      await completeDispatch(deps.pool, dispatchId, 'done');
    },

    async campaignGate({ campaignId, slot }): Promise<CampaignGateAnswer> {
      const campaign = await campaignView(campaignId);
      if (campaign?.status === 'stopped') return { go: false, status: 'cancelled', reason: `campaign ${campaignId} was stopped before this webhook was sent` };
      if (!campaign?.rateLimitPerMinute || slot === false) return { go: true };
      const limit = { key: campaignRateKey(campaignId), limit: campaign.rateLimitPerMinute, windowMs: 60_000 };
      const atMs = await deps.rateLimits.take(limit, Date.now() + deps.maxHoldMs);
      if (atMs === undefined) {
        const hours = Math.round(deps.maxHoldMs / 3_600_000);
        return { go: false, status: 'failed', reason: `rate_limited: campaign ${campaignId}'s rateLimitPerMinute (${campaign.rateLimitPerMinute}) would hold this webhook more than ${hours} hours (HOOKFLOW_RATE_LIMIT_MAX_HOLD_MS)` };
      }
      return { go: true, atMs };
    },
  };
}

/** Webhook ids of the sends whose recipient may get the campaign now (all of them without reEligibilitySeconds). */
export async function eligibleOf(db: Pick<pg.Pool, 'query'>, campaign: CampaignView, sends: CampaignSend[]): Promise<Set<string>> {
  if (!campaign.reEligibilitySeconds) return new Set(sends.map((s) => s.webhookId));
  return claimEligible(db, campaign.id, campaign.reEligibilitySeconds, sends.map((s) => ({ recipientId: s.recipient.id, webhookId: s.webhookId })));
}

