/**
 * What the dispatch workflow (workflows/campaign.ts), its activities (activities/campaign/), the
 * delivery workflow's campaign gate and the client share. Safe in workflow code (no Node APIs).
 * Recipient ids never appear here in plain text: workflow ids hold dispatch ids and hashes only.
 */
import { defineSignal } from '@temporalio/workflow';
import type { CampaignGateAnswer } from '../delivery/definitions';

export const DISPATCH_CAMPAIGN_WORKFLOW = 'dispatchCampaign';
export type DispatchCampaignWorkflow = (input: DispatchInput) => Promise<void>;

/** An API dispatch's workflow; a scheduled one's id is the schedule's (`campaign:<id>` and the time). */
export const dispatchWorkflowId = (dispatchId: string): string => `dispatch:${dispatchId}`;
export const campaignScheduleId = (campaignId: string): string => `campaign:${campaignId}`;
/** The key of a campaign's shared rate limit (src/ratelimit/limiter.ts), across all its dispatches. */
export const campaignRateKey = (campaignId: string): string => `campaign:${campaignId}`;

export interface DispatchInput {
  campaignId: string;
  /** Absent in a scheduled run's first run: it creates its dispatch (idempotently, from its workflow id). */
  dispatchId?: string;
  /** Recipients per page (HOOKFLOW_CAMPAIGN_PAGE_SIZE when the dispatch was started). */
  pageSize: number;
  /** Hookflow-to-Hookflow webhooks that led to this dispatch (a self request's depth); absent means 0. */
  hops?: number;
  /** A rate-limited dispatch's pace, carried into the next run (src/campaign/pace.ts). */
  pacedUntilMs?: number;
}

/** Wakes a dispatch held by a pause (resume), or tells it the campaign was stopped. */
export const campaignChangedSignal = defineSignal('campaignChanged');

/** A rate-limited dispatch's pace (src/campaign/pace.ts): absent without a rate limit, and in runs from before pacing. */
export type PageResult = { state: 'more' | 'done' | 'paused'; started: number; pacedUntilMs?: number; nextPageInMs?: number };

export interface CampaignActivities {
  /** Creates a scheduled run's dispatch; undefined when the campaign is no longer scheduled or is stopped. */
  createScheduledDispatch(input: { campaignId: string; runKey: string }): Promise<string | undefined>;
  /** Starts the webhooks of the next recipients not yet handled (idempotent: ids come from dispatch and recipient). */
  dispatchPage(input: { dispatchId: string; limit: number; hops?: number; pacedUntilMs?: number }): Promise<PageResult>;
  completeDispatch(input: { dispatchId: string }): Promise<void>;
}

export type { CampaignGateAnswer, CampaignRef } from '../delivery/definitions';

/**
 * A webhook whose slot is further off sleeps in its workflow until this long before it, and the
 * send activity waits out the rest: slots keep their spacing even when workflow tasks run late.
 */
export const SLOT_LEAD_MS = 2_000;

export interface CampaignGateActivities {
  /** `slot: false` only checks the campaign's status (after a wait for a slot already taken). */
  campaignGate(input: { campaignId: string; slot?: boolean }): Promise<CampaignGateAnswer>;
}
