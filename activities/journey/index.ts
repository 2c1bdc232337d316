/**
 * The journey workflow's activities: render a webhook step's template into a delivery's input,
 * apply an update step, trigger an event or another journey, and add to the per-step numbers.
 * Each is safe to run again (Temporal retries them): ids come from the workflow.
 */
import { Context } from '@temporalio/activity';
import type pg from 'pg';
import { parseFilter } from '../../src/filter/parse';
import { selectRecipientIds } from '../../src/filter/sql';
import type { JourneyActivities, JourneyWebhookInput, PreparedJourneyWebhook, TemplateVariables } from '../../src/journey/definitions';
import type { JourneyService } from '../../src/journey/service';
import { ingestEvents } from '../../src/event/store';
import { InvalidRequestError } from '../../src/errors';
import { combinePatches } from '../../src/recipient/schema';
import { applyPatches, readRecipient } from '../../src/recipient/store';
import { renderLiquidValue, TemplateRenderError } from '../../src/template/render';
import type { TemplatedWebhook } from '../../src/template/schema';
import type { TemplateService } from '../../src/template/service';
import { prepareDelivery } from '../../src/webhook/prepare';
import { parseWebhook } from '../../src/webhook/schema';
import type { Config } from '../../src/config';

export interface JourneyActivityDeps {
  pool: pg.Pool;
  journeys: JourneyService;
  templates: TemplateService;
  config: Pick<Config, 'maxBodyBytes' | 'maxRetryAfterMs' | 'sendActivity'>;
}

/** Recipients a schedule's activity enters per page. */
const AUDIENCE_PAGE = 500;

const liquidScope = (v: TemplateVariables): Record<string, unknown> => ({ ...v, now: new Date().toISOString() });

export function createJourneyActivities(deps: JourneyActivityDeps): JourneyActivities {
  /** A webhook step's request: the inline webhook as given, or the template rendered for this run. */
  const prepareWebhook = async (input: JourneyWebhookInput): Promise<PreparedJourneyWebhook> => {
    const tags = { journey: input.journeyId, 'journey-step': input.step };
    // The ledger's journey columns (reports filter and group by them); in the encrypted input only.
    const journey = { journeyId: input.journeyId, step: input.step, recipientId: input.variables.recipient.id };
    if (input.webhook) {
      try {
        const webhook = parseWebhook({ ...input.webhook, tags: { ...((input.webhook.tags as Record<string, string>) ?? {}), ...tags } }, { maxBodyBytes: deps.config.maxBodyBytes });
        const prepared = prepareDelivery(webhook, { maxRetryAfterMs: deps.config.maxRetryAfterMs, sendActivity: deps.config.sendActivity });
        prepared.id = input.webhookId;
        return { ok: true, input: { ...prepared, journey } };
      } catch (err) {
        if (err instanceof InvalidRequestError) return { ok: false, reason: `invalid webhook: ${err.message}` };
        throw err;
      }
    }
    const ref = input.template!;
    const template = await deps.templates.store.version(ref.id, ref.version);
    if (!template) return { ok: false, reason: ref.version === undefined ? `no template ${ref.id}` : `template ${ref.id} has no version ${ref.version}` };
    const v = input.variables;
    const send = {
      template: ref,
      recipient: v.recipient,
      ...(v.event ? { event: v.event } : {}),
      tags,
    } as TemplatedWebhook;
    const prepared = deps.templates.prepareSend(template, send, {
      id: input.webhookId,
      journey: { entry: v.entry, steps: v.steps, context: v.context, journey: v.journey },
    });
    if (prepared.ok) return { ok: true, input: { ...prepared.input, journey } };
    // A render failure is that webhook's failed row in the ledger, as for any templated send.
    await deps.templates.recordFailure({ ...prepared.failure, journey });
    return { ok: false, reason: prepared.reason };
  };

  return {
    async prepareJourneyWebhook(input) {
      const prepared = await prepareWebhook(input);
      if (!prepared.ok) return prepared;
      // The journey's rateLimitPerMinute, as published in the run's version, paces this webhook too.
      const perMinute = (await deps.journeys.store.version(input.journeyId, input.variables.journey.version))?.definition.rateLimitPerMinute;
      return perMinute ? { ok: true, input: { ...prepared.input, rateLimit: { key: `journey:${input.journeyId}`, perMinute } } } : prepared;
    },

    async applyJourneyUpdate(input) {
      const scope = liquidScope(input.variables);
      const render = (values: Record<string, string> | undefined, field: string): Record<string, unknown> =>
        Object.fromEntries(Object.entries(values ?? {}).map(([name, source]) => [name, renderLiquidValue(deps.templates.engine, source, `${field}.${name}`, scope)]));
      let attributes: Record<string, unknown>;
      let context: Record<string, unknown>;
      try {
        attributes = render(input.attributes, 'attributes');
        context = render(input.context, 'context');
      } catch (err) {
        if (err instanceof TemplateRenderError) return { attributes: input.variables.recipient.attributes, context: {}, error: err.message };
        throw err;
      }
      const id = input.variables.recipient.id;
      if (Object.keys(attributes).length === 0) return { attributes: input.variables.recipient.attributes, context };
      await applyPatches(deps.pool, new Map([[id, combinePatches([attributes])]]));
      return { attributes: (await readRecipient(deps.pool, id))?.attributes ?? {}, context };
    },

    async triggerFromJourney(input) {
      // Runs do not carry a hop count yet (README, Journeys: not built): a trigger step's event starts at 0.
      if (input.event) {
        const [accepted] = await ingestEvents(deps.pool, [{ id: input.eventId, name: input.event.name, recipientId: input.event.recipientId, properties: input.event.properties, time: new Date().toISOString(), hops: 0 }]);
        return { outcome: accepted.created ? `event ${input.event.name} sent` : `event ${input.event.name} sent (already)` };
      }
      const { id, recipientId } = input.journey!;
      const journey = await deps.journeys.store.version(id);
      if (!journey) return { outcome: `journey ${id} has no published version: not entered` };
      const entry = await deps.journeys.enterOne(journey, { id: recipientId }, { enteredAt: new Date(), entryKey: `trigger:${input.eventId}` });
      return { outcome: entry.entered ? `entered journey ${id} (run ${entry.run})` : `not entered into journey ${id}: ${entry.reason}` };
    },

    async enterAudiencePage(input) {
      const journey = await deps.journeys.store.version(input.journeyId);
      if (!journey || journey.definition.entry.type !== 'schedule') return { entered: 0, done: true };
      const audience = parseFilter(journey.definition.entry.audience, { field: 'entry.audience', roots: ['recipient'] });
      const ids = await selectRecipientIds(deps.pool, audience, { ...(input.afterId ? { afterId: input.afterId } : {}), limit: AUDIENCE_PAGE });
      let entered = 0;
      const now = new Date();
      for (const id of ids) {
        Context.current().heartbeat();
        const entry = await deps.journeys.enterOne(journey, { id }, { enteredAt: now, entryKey: `schedule:${input.runKey}:${id}` });
        if (entry.entered) entered++;
      }
      return { ...(ids.length > 0 ? { lastId: ids[ids.length - 1] } : {}), entered, done: ids.length < AUDIENCE_PAGE };
    },

    async recordJourneyProgress(input) {
      await deps.journeys.store.progress(input.journeyId, input.version, input.counts, input.end);
    },
  };
}
