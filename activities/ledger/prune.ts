/**
 * Ledger retention: finished webhooks older than HOOKFLOW_LEDGER_RETENTION_DAYS go, with their
 * attempts, in small batches so that pruning never holds long locks.
 */
import type pg from 'pg';
import { forgetDaysBefore } from '../../src/report/days';

const BATCH = 5_000;

/** Deletes finished webhooks completed before `cutoff`, and their attempts; returns how many webhooks went. */
export async function pruneLedger(pool: pg.Pool, cutoff: Date): Promise<number> {
  let total = 0;
  for (;;) {
    const { rows } = await pool.query<{ n: number }>(
      `WITH gone AS (
         DELETE FROM webhooks WHERE id IN (
           SELECT id FROM webhooks WHERE completed_at < $1 ORDER BY completed_at LIMIT ${BATCH})
         RETURNING id),
       attempts_gone AS (DELETE FROM attempts WHERE webhook_id IN (SELECT id FROM gone))
       SELECT count(*)::int AS n FROM gone`,
      [cutoff],
    );
    total += rows[0].n;
    if (rows[0].n < BATCH) {
      // Reports' stored days that held what went no longer match the ledger.
      if (total > 0) await forgetDaysBefore(pool, cutoff);
      return total;
    }
  }
}
