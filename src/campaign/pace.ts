/**
 * How a rate-limited dispatch paces its pages. Started webhooks beyond what the campaign's rate limit
 * can send soon only wait, and on a loaded worker they cost: 1,900 webhooks started at once put their
 * first workflow tasks ahead of the timers of the webhooks whose slots come first, those sent late
 * for their slots, and a late webhook's next slot came after every slot already leased (minutes
 * away) — the dispatch stalled (bench/README.md "Campaign rate limit"). So a dispatch starts a page
 * only when the campaign's schedule of send slots runs less than DISPATCH_AHEAD_MS ahead, and a page
 * holds at most that much of the limit's sends. Without a rate limit, pages go one after another.
 */
import { slotSpacingMs } from '../ratelimit/limiter';

/** How far ahead of now a rate-limited campaign's slots may run before its dispatch starts more webhooks. */
export const DISPATCH_AHEAD_MS = 10_000;
/** A page is never smaller than this: at 10 a minute, one page per minute rather than one every 12 s. */
const MIN_PAGE = 10;

const spacing = (perMinute: number): number => slotSpacingMs({ key: '', limit: perMinute, windowMs: 60_000 });

/** Recipients in the next page: the configured page size, or DISPATCH_AHEAD_MS of the limit's sends if fewer. */
export function pageLimit(pageSize: number, perMinute: number | undefined): number {
  if (!perMinute) return pageSize;
  return Math.min(pageSize, Math.max(MIN_PAGE, Math.ceil(DISPATCH_AHEAD_MS / spacing(perMinute))));
}

export interface Pace {
  /** When the campaign's slots for every webhook started so far will have passed, as far as the dispatch knows. */
  pacedUntilMs: number;
  /** How long the dispatch waits before its next page (0: at once). */
  waitMs: number;
}

/**
 * The dispatch's pace after a page of `started` webhooks. Its own count (`pacedUntilMs`, carried from
 * page to page) does not wait for the webhooks to lease their slots — on a loaded worker they lease
 * late, and a schedule read alone would let page after page start; the campaign's schedule
 * (`scheduleEndMs`, read before this page) adds what other dispatches and event-triggered webhooks
 * leased. The later of the two, plus this page's slots, is how far the sends run ahead.
 */
export function nextPage(perMinute: number, p: { scheduleEndMs?: number; pacedUntilMs?: number; nowMs: number; started: number }): Pace {
  const pacedUntilMs = Math.max(p.nowMs, p.scheduleEndMs ?? 0, p.pacedUntilMs ?? 0) + p.started * spacing(perMinute);
  return { pacedUntilMs: Math.ceil(pacedUntilMs), waitMs: Math.max(0, Math.ceil(pacedUntilMs - p.nowMs - DISPATCH_AHEAD_MS)) };
}
