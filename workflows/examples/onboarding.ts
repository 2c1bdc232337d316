/**
 * A journey written in TypeScript with Hookflow's building blocks, as a developer would write it
 * in their own project (there the import is `from 'hookflow/workflow'`): call the CRM; if it
 * answered 200, wait for a first purchase — then credit a reward, or, after the window, send a
 * reminder. The worker runs it beside Hookflow's workflows when given
 * `createHookflowWorker({ extraWorkflows: require.resolve('./workflows/examples') })`.
 *
 * Events reach it as they reach JSON journeys' runs: by `journeyEventSignal`, here from an event
 * listener of the developer's (see test/integration/journey-code.test.ts).
 */
import { workflowInfo } from '@temporalio/workflow';
import { delayUntil, openInbox, sendWebhook, waitForEvent, type TemplateVariables } from '../journey/blocks';

export interface OnboardingInput {
  recipient: { id: string; attributes: Record<string, unknown> };
  /** Template ids of the three calls. */
  templates: { crm: string; reward: string; reminder: string };
  windowSeconds: number;
  /** A pause before the reminder. @default 0 */
  reminderDelaySeconds?: number;
}

export async function onboardingJourney(input: OnboardingInput): Promise<{ path: string[] }> {
  // First thing: events sent right after the start wait in the inbox for the wait below.
  const inbox = openInbox();
  // When the run was started, not when its first task ran: an event accepted in between (the
  // caller tracks right after starting, the worker is busy) still belongs to this run.
  const enteredAt = workflowInfo().startTime.toISOString();
  const path: string[] = [];
  const variables = (steps: TemplateVariables['steps'] = {}): TemplateVariables => ({
    recipient: input.recipient,
    entry: {},
    steps,
    context: {},
    journey: { id: 'onboarding', version: 1 },
  });
  const base = { journeyId: 'onboarding', variables: variables() };

  const crm = await sendWebhook({ ...base, step: 'crm', template: { id: input.templates.crm } });
  path.push(`crm ${crm.statusCode ?? crm.outcome}`);
  if (crm.statusCode !== 200) return { path };

  const purchase = await waitForEvent(inbox, [{ event: 'purchase' }], Date.now() + input.windowSeconds * 1000, {
    since: enteredAt,
    context: (e) => ({ event: { name: e.name, properties: e.properties }, recipient: { id: input.recipient.id, attributes: e.attributes } }),
  });
  if (purchase.kind === 'event') {
    path.push('purchase');
    await sendWebhook({ ...base, step: 'reward', template: { id: input.templates.reward }, variables: variables({ crm }) });
    path.push('reward');
  } else {
    path.push('timeout');
    await delayUntil(Date.now() + (input.reminderDelaySeconds ?? 0) * 1000);
    await sendWebhook({ ...base, step: 'reminder', template: { id: input.templates.reminder } });
    path.push('reminder');
  }
  return { path };
}
