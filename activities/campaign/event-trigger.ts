/**
 * Event-triggered campaigns: one event listener ("campaigns", src/event/listener.ts) for all of
 * them. Campaigns are defined at run time, so before each poll it reads the event names the active
 * event campaigns listen to; each event then sends one webhook per campaign whose `where` it
 * matches, to its recipient, after the campaign's delaySeconds. Webhook ids derive from campaign,
 * event and recipient, and reEligibility claims commit with the listener's cursor, so a batch
 * handled again after a crash sends nothing twice.
 *
 * An event stored while no active campaign listened to its name is never acted on later, and a
 * campaign saved while a poll runs (between its refresh and its read) may miss an event stored then.
 */
import type pg from 'pg';
import type { EventListener, ListenedEvent } from '../../src/event/listener';
import { triggerFilter } from '../../src/campaign/schema';
import { campaignWebhookId, sendCampaignWebhooks, type CampaignSend, type SenderDeps } from '../../src/campaign/sender';
import { eventCampaigns, listenedEventNames } from '../../src/campaign/store';
import { matches } from '../../src/filter/match';
import { eligibleOf } from '.';

export const CAMPAIGN_LISTENER = 'campaigns';

export function campaignEventListener(deps: { pool: pg.Pool; sender: SenderDeps }): EventListener {
  let names: string[] = [];
  return {
    name: CAMPAIGN_LISTENER,
    get events() {
      return names;
    },
    async refresh() {
      names = await listenedEventNames(deps.pool);
    },
    async handle(events: ListenedEvent[], tx: pg.PoolClient) {
      const campaigns = await eventCampaigns(tx, [...new Set(events.map((e) => e.name))]);
      for (const campaign of campaigns) {
        if (campaign.trigger.type !== 'event') continue;
        const { event: name, delaySeconds } = campaign.trigger;
        const where = triggerFilter(campaign.trigger);
        const sends: CampaignSend[] = events
          .filter((e) => e.name === name && (!where || matches(where, { event: { name: e.name, properties: e.properties }, recipient: e.recipient })))
          .map((e) => ({
            webhookId: campaignWebhookId(`event\n${campaign.id}\n${e.id}`, e.recipientId),
            ref: { campaignId: campaign.id, recipientId: e.recipientId },
            recipient: e.recipient,
            event: { name: e.name, properties: e.properties },
            // An event posted by a Hookflow-to-Hookflow webhook passes its depth on (HOOKFLOW_MAX_HOPS).
            hops: e.hops,
          }));
        if (sends.length === 0) continue;
        const template = await deps.sender.templates.store.version(campaign.template.id, campaign.template.version);
        if (!template) throw new Error(`campaign ${campaign.id}'s template ${campaign.template.id} no longer exists`);
        const eligible = await eligibleOf(tx, campaign, sends);
        await sendCampaignWebhooks(deps.sender, template, sends.filter((s) => eligible.has(s.webhookId)), (delaySeconds ?? 0) * 1000);
      }
    },
  };
}
