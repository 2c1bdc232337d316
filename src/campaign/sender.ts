/**
 * Renders and starts campaign webhooks, many at a time: one per recipient (of a dispatch page,
 * or of a batch of events). Each webhook's id derives from what sent it and the recipient, so
 * doing a page or a batch again starts nothing twice; a render error fails that recipient's
 * webhook alone (TemplateService.prepareSend records it in the ledger).
 */
import { createHash } from 'node:crypto';
import type { DeliveryInput } from '../delivery/definitions';
import type { Attributes } from '../recipient/schema';
import type { TemplateVersion } from '../template/render';
import type { TemplatedWebhook } from '../template/schema';
import type { TemplateService } from '../template/service';
import type { CampaignRef } from './definitions';
import { inLanes } from '../lanes';

/** Webhooks of one batch started at once: each is one Temporal call. */
const PARALLEL_STARTS = 32;

/** `wh_` and 32 hex digits, from what sent it (a dispatch, an event) and the recipient: no recipient id shows in it. */
export function campaignWebhookId(scope: string, recipientId: string): string {
  return `wh_${createHash('sha256').update(`campaign\n${scope}\n${recipientId}`).digest('hex').slice(0, 32)}`;
}

export interface CampaignSend {
  webhookId: string;
  ref: CampaignRef;
  recipient: { id: string; attributes: Attributes };
  trigger?: Attributes;
  event?: { name: string; properties: Attributes };
  /** Self webhooks that led to this send (an event's `hops`); absent means 0. */
  hops?: number;
}

export interface SenderDeps {
  templates: TemplateService;
  /** Starts a delivery workflow; false when one with its id exists already. */
  start(input: DeliveryInput, startDelayMs?: number): Promise<boolean>;
}

export async function sendCampaignWebhooks(deps: SenderDeps, template: TemplateVersion, sends: CampaignSend[], startDelayMs?: number): Promise<void> {
  if (sends.length === 0) return;
  // A webhook already in the ledger (a render failure, or one done long ago) is not started again.
  const { rows } = await deps.templates.store.pool.query<{ id: string }>('SELECT id FROM webhooks WHERE id = ANY($1::text[])', [sends.map((s) => s.webhookId)]);
  const known = new Set(rows.map((r) => r.id));
  const ref = { id: template.id, version: template.version };
  await inLanes(
    sends.filter((s) => !known.has(s.webhookId)),
    PARALLEL_STARTS,
    async (s) => {
      const prepared = deps.templates.prepareSend(
        template,
        // Stored attributes and properties are JSON already (they came through the schemas).
        { template: ref, recipient: s.recipient, ...(s.trigger ? { trigger: s.trigger } : {}), ...(s.event ? { event: s.event } : {}) } as TemplatedWebhook,
        { id: s.webhookId, campaign: { id: s.ref.campaignId }, ...(s.hops ? { hops: s.hops } : {}) },
      );
      if (prepared.ok) await deps.start({ ...prepared.input, campaign: s.ref, gateInSend: true }, startDelayMs);
      else await deps.templates.recordFailure({ ...prepared.failure, campaign: s.ref });
    },
  );
}
