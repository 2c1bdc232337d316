/**
 * Recovery jobs in PostgreSQL: a job and its items are written in one transaction, so its
 * matches are fixed when it is created, and the unique index on running filters makes the same
 * filter posted twice (even at once, from two APIs) find one job.
 */
import { randomBytes } from 'node:crypto';
import type pg from 'pg';
import { matchWebhooks } from '../ledger/list-query';
import type { ItemOutcome, JobView } from './definitions';
import { filterHash, type RecoverFilter } from './filter';

const UNIQUE_VIOLATION = '23505';

export interface CreatedJob {
  job: JobView;
  /** False when a job with the same filter was already running: that one is answered. */
  created: boolean;
}

/**
 * Creates the job and its items, then `start`s its workflow inside the transaction: if the start
 * fails, nothing was created; if the commit fails after it, the workflow finds no job and ends.
 */
export async function createRecoveryJob(pool: pg.Pool, filter: RecoverFilter, start: (jobId: string) => Promise<void>): Promise<CreatedJob> {
  const hash = filterHash(filter);
  for (let tries = 0; ; tries++) {
    const running = await runningJob(pool, hash);
    if (running) return { job: running, created: false };
    const id = `job_${randomBytes(12).toString('hex')}`;
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      await client.query(`INSERT INTO jobs (id, kind, filter, filter_hash, status, total) VALUES ($1, 'recover', $2, $3, 'running', 0)`, [id, filter, hash]);
      const values: unknown[] = [id];
      const where = matchWebhooks(filter, (v) => `$${values.push(v)}`);
      const { rowCount } = await client.query(`INSERT INTO job_items (job_id, webhook_id) SELECT $1, id FROM webhooks WHERE ${where.join(' AND ')}`, values);
      await client.query('UPDATE jobs SET total = $2 WHERE id = $1', [id, rowCount ?? 0]);
      await start(id);
      await client.query('COMMIT');
      return { job: (await jobView(pool, id))!, created: true };
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      // Another API created the same filter's job between our look and our insert: answer that one.
      if ((err as { code?: string }).code === UNIQUE_VIOLATION && tries < 3) continue;
      throw err;
    } finally {
      client.release();
    }
  }
}

async function runningJob(pool: pg.Pool, hash: string): Promise<JobView | undefined> {
  const { rows } = await pool.query<{ id: string }>(`SELECT id FROM jobs WHERE kind = 'recover' AND filter_hash = $1 AND status = 'running'`, [hash]);
  return rows[0] ? jobView(pool, rows[0].id) : undefined;
}

export async function jobView(pool: pg.Pool, id: string): Promise<JobView | undefined> {
  const { rows } = await pool.query<{ status: JobView['status']; filter: Record<string, unknown>; total: number; created_at: Date; completed_at: Date | null }>(
    'SELECT status, filter, total, created_at, completed_at FROM jobs WHERE id = $1',
    [id],
  );
  const job = rows[0];
  if (!job) return undefined;
  const counts = await pool.query<{ status: string; n: string }>('SELECT status, count(*) AS n FROM job_items WHERE job_id = $1 GROUP BY status', [id]);
  const n = (status: string): number => Number(counts.rows.find((r) => r.status === status)?.n ?? 0);
  const view: JobView = {
    id,
    kind: 'recover',
    status: job.status,
    filter: job.filter,
    total: job.total,
    done: n('done'),
    failed: n('failed'),
    skipped: n('skipped'),
    pending: n('pending'),
    createdAt: job.created_at.toISOString(),
  };
  if (job.completed_at) view.completedAt = job.completed_at.toISOString();
  return view;
}

/** The job's next pending webhooks, in id order, and when the job was created; undefined if there is no such job. */
export async function pendingItems(pool: pg.Pool, jobId: string, limit: number): Promise<{ createdAt: Date; ids: string[] } | undefined> {
  const job = await pool.query<{ created_at: Date }>('SELECT created_at FROM jobs WHERE id = $1', [jobId]);
  if (!job.rows[0]) return undefined;
  const { rows } = await pool.query<{ webhook_id: string }>(
    `SELECT webhook_id FROM job_items WHERE job_id = $1 AND status = 'pending' ORDER BY webhook_id LIMIT $2`,
    [jobId, limit],
  );
  return { createdAt: job.rows[0].created_at, ids: rows.map((r) => r.webhook_id) };
}

export async function settleItem(pool: pg.Pool, jobId: string, webhookId: string, outcome: ItemOutcome, reason?: string): Promise<void> {
  await pool.query(`UPDATE job_items SET status = $3, reason = $4 WHERE job_id = $1 AND webhook_id = $2 AND status = 'pending'`, [jobId, webhookId, outcome, reason ?? null]);
}

export async function completeJob(pool: pg.Pool, jobId: string): Promise<void> {
  await pool.query(`UPDATE jobs SET status = 'completed', completed_at = now() WHERE id = $1 AND status = 'running'`, [jobId]);
}
