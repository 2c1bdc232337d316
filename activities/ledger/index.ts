/**
 * The ledger's activity: the delivery workflow hands its rows to the worker's writer. Progress
 * rows are queued for the next batch; a final row is waited for, so the workflow completes only
 * once the ledger holds its outcome (and retries, with backoff, while PostgreSQL is down).
 */
import type { LedgerActivities, LedgerRecord } from '../../src/ledger/rows';
import type { DeliveryMetrics } from '../../src/metrics/delivery-metrics';
import type { LedgerWriter } from './writer';

export function createLedgerActivities(writer: LedgerWriter, metrics?: DeliveryMetrics): LedgerActivities {
  return {
    async recordWebhook(record: LedgerRecord): Promise<void> {
      // The rows say what each attempt decided: the metrics count them here, on the worker, before
      // (and whether or not) PostgreSQL takes them. A record handed over again is counted once.
      metrics?.observe(record);
      if (record.final) await writer.store(record);
      else writer.add(record);
    },
  };
}
