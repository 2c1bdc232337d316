/** The package's public surface: the client SDK, its types and errors. */
export { Hookflow, type HookflowOptions, type SendResult } from './client/hookflow';
export { loadConfig, SETTINGS, type Config } from './config';
export * from './errors';
export type { WebhookInput, Webhook, Method } from './webhook/schema';
export type { WebhookState, WebhookStatus, AttemptRecord, RequestView } from './delivery/definitions';
export type { HostView, HostState } from './breaker/definitions';
export { DEFAULT_RETRY, type RetryPolicy } from './delivery/policy';
export type { EventInput } from './event/schema';
export type { Accepted } from './event/store';
export type { Recipient, Attributes } from './recipient/schema';
export type { JourneyDefinition, JourneyStep, JourneyEvent, RunView, RunStatus } from './journey/definitions';
export { journeyEventSignal } from './journey/definitions';
export type { EntryResult, JourneyView } from './journey/service';
