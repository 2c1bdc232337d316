/**
 * What a report can be grouped by: one entry per dimension. A dimension that cannot be answered
 * yet is listed as unavailable, so a request for it is refused with a 400 that says why rather
 * than answered with empty or invented rows.
 */

export interface Dimension {
  /** The row key and CSV column that holds the group's value. */
  column: string;
  /** SQL expression over `webhooks w` giving the group; `param` adds a bound value. */
  sql(param: (v: unknown) => string): string;
  /** The same over `attempts a`, where an attempt carries it (migration 013): its attempts need no join to webhooks. */
  attemptSql?: string;
  /** The filter it needs (journey steps are a journey's). */
  needs?: 'journey';
  /** Rows also carry the journey's per-step run counts (journey_step_hours). */
  stepCounts?: boolean;
}

interface Available {
  available: true;
  make(argument: string | undefined): Dimension;
}
interface Unavailable {
  available: false;
  why: string;
}

export const DIMENSIONS: Readonly<Record<string, Available | Unavailable>> = {
  // Attempts carry their host since migration 015; one stored before it is looked up on its webhook.
  host: {
    available: true,
    make: () => ({ column: 'host', sql: () => 'w.authority', attemptSql: 'COALESCE(a.authority, (SELECT h.authority FROM webhooks h WHERE h.id = a.webhook_id))' }),
  },
  tag: {
    available: true,
    // A webhook without the tag is grouped under null (an empty CSV cell), so totals still add up.
    make: (name) => ({ column: `tag.${name}`, sql: (param) => `w.tags ->> ${param(name)}` }),
  },
  // The ledger's own column (a campaign's webhooks carry it); webhooks of no campaign form the null group.
  campaign: { available: true, make: () => ({ column: 'campaign', sql: () => 'w.campaign_id', attemptSql: 'a.campaign_id' }) },
  // The journey a webhook was sent by (ledger column); webhooks of no journey form the null group.
  journey: { available: true, make: () => ({ column: 'journey', sql: () => 'w.journey_id', attemptSql: 'a.journey_id' }) },
  // One row per step of one journey: its webhooks' numbers, and the runs that entered, proceeded, exited or failed there.
  journeyStep: { available: true, make: () => ({ column: 'journeyStep', sql: () => 'w.journey_step', attemptSql: 'a.journey_step', needs: 'journey', stepCounts: true }) },
  template: {
    available: true,
    // One group per template version, `<template id>@<version>`; webhooks sent without a template form the null group.
    make: () => ({ column: 'template', sql: () => `CASE WHEN w.template_id IS NOT NULL THEN w.template_id || '@' || w.template_version END` }),
  },
};

export const TAG_NAME = /^[A-Za-z0-9_.:-]{1,64}$/;
