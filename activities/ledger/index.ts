/**
 * The ledger's activity: the delivery workflow hands its rows to the worker's writer. Progress
 * rows are queued for the next batch; a final row is waited for, so the workflow completes only
 * once the ledger holds its outcome (and retries, with backoff, while PostgreSQL is down).
 */
import type { LedgerActivities, LedgerRecord } from '../../src/ledger/rows';
import type { LedgerWriter } from './writer';

export function createLedgerActivities(writer: LedgerWriter): LedgerActivities {
  return {
    async recordWebhook(record: LedgerRecord): Promise<void> {
      if (record.final) await writer.store(record);
      else writer.add(record);
    },
  };
}
