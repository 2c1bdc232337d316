/**
 * A journey written in TypeScript (workflows/examples/onboarding.ts) with the building blocks the
 * JSON interpreter is made of, run by a worker given `extraWorkflows`, on the real stack: its
 * webhooks are real deliveries, its events come through an event listener by signal.
 */
import path from 'node:path';
import { WorkflowNotFoundError } from '@temporalio/client';
import type { EventListener } from '../../src/event/listener';
import { journeyEventSignal } from '../../src/journey/definitions';
import { recipientKey } from '../../src/journey/store';
import type { OnboardingInput } from '../../workflows/examples/onboarding';
import { receiverPool, type Receiver } from '../helpers/receiver';
import { startTestStack, type TestStack } from '../helpers/stack';

let stack: TestStack;
const receivers = receiverPool();
let crm: Receiver, reward: Receiver, reminder: Receiver;
const workflowId = (recipientId: string): string => `onboarding:${recipientKey(recipientId)}`;

/** The developer's side of events: purchases go to the recipient's onboarding run, if any. */
const purchases: EventListener = {
  name: 'onboarding-purchases',
  events: ['purchase'],
  async handle(events) {
    for (const e of events) {
      try {
        await stack.hookflow.client.workflow
          .getHandle(workflowId(e.recipientId))
          .signal(journeyEventSignal, { id: e.id, name: e.name, properties: e.properties, receivedAt: e.receivedAt, attributes: e.recipient.attributes });
      } catch (err) {
        if (!(err instanceof WorkflowNotFoundError)) throw err;
      }
    }
  },
};

beforeAll(async () => {
  stack = await startTestStack({ eventPollMs: 50 }, { extraWorkflows: path.resolve(__dirname, '../../workflows/examples'), eventListeners: [purchases] });
  crm = await receivers.start(() => ({ status: 200 }));
  reward = await receivers.start();
  reminder = await receivers.start();
  for (const [id, r] of [['crm', crm], ['reward', reward], ['reminder', reminder]] as const) {
    await stack.hookflow.saveTemplate(`code-${id}`, { url: `${r.url}/${id}`, body: { user: '{{ recipient.id }}' } });
  }
}, 180_000);

afterAll(async () => {
  await stack?.stop();
  await receivers.closeAll();
});

const start = (recipientId: string, windowSeconds: number) => {
  const input: OnboardingInput = { recipient: { id: recipientId, attributes: {} }, templates: { crm: 'code-crm', reward: 'code-reward', reminder: 'code-reminder' }, windowSeconds };
  return stack.hookflow.client.workflow.start('onboardingJourney', { taskQueue: stack.config.taskQueue, workflowId: workflowId(recipientId), args: [input] });
};
const users = (r: Receiver): string[] => r.arrivals.map((a) => JSON.parse(a.body.toString()).user as string);

test('a purchase sent right after the start reaches the wait, and the reward goes out', async () => {
  const run = await start('coder-buys', 30);
  await stack.hookflow.track({ name: 'purchase', recipientId: 'coder-buys' });
  expect(await run.result()).toEqual({ path: ['crm 200', 'purchase', 'reward'] });
  expect(users(reward)).toEqual(['coder-buys']);
});

test('without a purchase in the window, the reminder goes out', async () => {
  const run = await start('coder-idle', 1);
  expect(await run.result()).toEqual({ path: ['crm 200', 'timeout', 'reminder'] });
  expect(users(reminder)).toEqual(['coder-idle']);
  expect(users(crm).sort()).toEqual(['coder-buys', 'coder-idle']);
});
