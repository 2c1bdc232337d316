/** Journeys in PostgreSQL: drafts, published versions, runs and per-step numbers (migration 011). */
import { createHash } from 'node:crypto';
import type pg from 'pg';
import type { JourneyDefinition, RunStatus, StepCounts } from './definitions';

type Queryable = Pick<pg.PoolClient, 'query'>;

/** A recipient id as it may appear in workflow ids and tables beside Temporal: hashed. */
export const recipientKey = (recipientId: string): string => createHash('sha256').update(recipientId).digest('hex').slice(0, 32);

export interface PublishedJourney {
  id: string;
  version: number;
  definition: JourneyDefinition;
}

export interface RunRow {
  n: number;
  workflowId: string;
  version: number;
  status: RunStatus;
  enteredAt: Date;
}

export class JourneyStore {
  constructor(readonly pool: pg.Pool) {}

  async saveDraft(id: string, draft: JourneyDefinition): Promise<{ created: boolean }> {
    const { rows } = await this.pool.query<{ created: boolean }>(
      `INSERT INTO journeys (id, draft) VALUES ($1, $2)
       ON CONFLICT (id) DO UPDATE SET draft = EXCLUDED.draft, updated_at = now()
       RETURNING (xmax = 0) AS created`,
      [id, JSON.stringify(draft)],
    );
    return { created: rows[0].created };
  }

  async draft(id: string): Promise<{ draft: JourneyDefinition; createdAt: Date; updatedAt: Date } | undefined> {
    const { rows } = await this.pool.query<{ draft: JourneyDefinition; created_at: Date; updated_at: Date }>('SELECT draft, created_at, updated_at FROM journeys WHERE id = $1', [id]);
    return rows[0] && { draft: rows[0].draft, createdAt: rows[0].created_at, updatedAt: rows[0].updated_at };
  }

  /** Makes `definition` the next version (under a row lock, so two publishes get two numbers). */
  async publish(id: string, definition: JourneyDefinition): Promise<number> {
    const { rows } = await this.pool.query<{ version: number }>(
      `WITH locked AS (SELECT id FROM journeys WHERE id = $1 FOR UPDATE)
       INSERT INTO journey_versions (journey_id, version, definition)
       SELECT $1, coalesce((SELECT max(version) FROM journey_versions WHERE journey_id = $1), 0) + 1, $2 FROM locked
       RETURNING version`,
      [id, JSON.stringify(definition)],
    );
    return rows[0].version;
  }

  async versions(id: string): Promise<{ version: number; publishedAt: Date; definition: JourneyDefinition }[]> {
    const { rows } = await this.pool.query<{ version: number; published_at: Date; definition: JourneyDefinition }>(
      'SELECT version, published_at, definition FROM journey_versions WHERE journey_id = $1 ORDER BY version',
      [id],
    );
    return rows.map((r) => ({ version: r.version, publishedAt: r.published_at, definition: r.definition }));
  }

  async version(id: string, version?: number, db: Queryable = this.pool): Promise<PublishedJourney | undefined> {
    const { rows } = await db.query<{ version: number; definition: JourneyDefinition }>(
      `SELECT version, definition FROM journey_versions WHERE journey_id = $1 AND ($2::int IS NULL OR version = $2) ORDER BY version DESC LIMIT 1`,
      [id, version ?? null],
    );
    return rows[0] && { id, version: rows[0].version, definition: rows[0].definition };
  }

  /** Every journey's latest version, and the event names any of its versions' runs react to. */
  async published(db: Queryable = this.pool): Promise<PublishedJourney[]> {
    const { rows } = await db.query<{ journey_id: string; version: number; definition: JourneyDefinition }>(
      'SELECT DISTINCT ON (journey_id) journey_id, version, definition FROM journey_versions ORDER BY journey_id, version DESC',
    );
    return rows.map((r) => ({ id: r.journey_id, version: r.version, definition: r.definition }));
  }

  /** All versions of the journeys that have any (for the names their runs listen to). */
  async allVersions(db: Queryable = this.pool): Promise<PublishedJourney[]> {
    const { rows } = await db.query<{ journey_id: string; version: number; definition: JourneyDefinition }>('SELECT journey_id, version, definition FROM journey_versions');
    return rows.map((r) => ({ id: r.journey_id, version: r.version, definition: r.definition }));
  }

  async latestRun(db: Queryable, journeyId: string, key: string): Promise<RunRow | undefined> {
    const { rows } = await db.query<{ n: number; workflow_id: string; version: number; status: RunStatus; entered_at: Date }>(
      'SELECT n, workflow_id, version, status, entered_at FROM journey_runs WHERE journey_id = $1 AND recipient_key = $2 ORDER BY n DESC LIMIT 1',
      [journeyId, key],
    );
    const r = rows[0];
    return r && { n: r.n, workflowId: r.workflow_id, version: r.version, status: r.status, enteredAt: r.entered_at };
  }

  async runningWorkflows(db: Queryable, journeyId: string, key: string): Promise<string[]> {
    const { rows } = await db.query<{ workflow_id: string }>(
      `SELECT DISTINCT workflow_id FROM journey_runs WHERE journey_id = $1 AND recipient_key = $2 AND status = 'running'`,
      [journeyId, key],
    );
    return rows.map((r) => r.workflow_id);
  }

  async runsOfVersion(journeyId: string, version: number): Promise<string[]> {
    const { rows } = await this.pool.query<{ workflow_id: string }>(
      `SELECT DISTINCT workflow_id FROM journey_runs WHERE journey_id = $1 AND version = $2 AND status = 'running'`,
      [journeyId, version],
    );
    return rows.map((r) => r.workflow_id);
  }

  async moveRun(journeyId: string, workflowId: string, from: number, to: number): Promise<void> {
    await this.pool.query(`UPDATE journey_runs SET version = $4 WHERE journey_id = $1 AND workflow_id = $2 AND version = $3 AND status = 'running'`, [journeyId, workflowId, from, to]);
  }

  /** Records a run; false when its entry key entered this journey before. */
  async addRun(db: Queryable, run: { journeyId: string; key: string; n: number; workflowId: string; version: number; enteredAt: Date; entryKey?: string }): Promise<boolean> {
    const { rowCount } = await db.query(
      `INSERT INTO journey_runs (journey_id, recipient_key, n, workflow_id, version, entered_at, entry_key) VALUES ($1, $2, $3, $4, $5, $6, $7)
       ON CONFLICT (journey_id, entry_key) WHERE entry_key IS NOT NULL DO NOTHING`,
      [run.journeyId, run.key, run.n, run.workflowId, run.version, run.enteredAt, run.entryKey ?? null],
    );
    return rowCount === 1;
  }

  /** Adds step counters (the totals, and the hour's for reports) and marks a run's end, in one statement. */
  async progress(journeyId: string, version: number, counts: StepCounts[], end?: { workflowId: string; status: RunStatus }): Promise<void> {
    const params = [
      journeyId,
      version,
      counts.map((c) => c.step),
      counts.map((c) => c.entered ?? 0),
      counts.map((c) => c.proceeded ?? 0),
      counts.map((c) => c.exited ?? 0),
      counts.map((c) => c.failed ?? 0),
      end?.workflowId ?? null,
      end?.status ?? null,
    ];
    await this.pool.query(
      `WITH counted AS (
         INSERT INTO journey_steps AS s (journey_id, version, step_id, entered, proceeded, exited, failed)
         SELECT $1, $2, c.step, c.entered, c.proceeded, c.exited, c.failed
         FROM unnest($3::text[], $4::bigint[], $5::bigint[], $6::bigint[], $7::bigint[]) AS c(step, entered, proceeded, exited, failed)
         ORDER BY c.step
         ON CONFLICT (journey_id, version, step_id) DO UPDATE SET entered = s.entered + EXCLUDED.entered, proceeded = s.proceeded + EXCLUDED.proceeded,
           exited = s.exited + EXCLUDED.exited, failed = s.failed + EXCLUDED.failed
         RETURNING 1
       ), hourly AS (
         INSERT INTO journey_step_hours AS s (journey_id, hour, version, step_id, entered, proceeded, exited, failed)
         SELECT $1, date_trunc('hour', now(), 'UTC'), $2, c.step, c.entered, c.proceeded, c.exited, c.failed
         FROM unnest($3::text[], $4::bigint[], $5::bigint[], $6::bigint[], $7::bigint[]) AS c(step, entered, proceeded, exited, failed)
         ORDER BY c.step
         ON CONFLICT (journey_id, hour, version, step_id) DO UPDATE SET entered = s.entered + EXCLUDED.entered, proceeded = s.proceeded + EXCLUDED.proceeded,
           exited = s.exited + EXCLUDED.exited, failed = s.failed + EXCLUDED.failed
         RETURNING 1
       )
       UPDATE journey_runs SET status = $9, ended_at = now() WHERE $8::text IS NOT NULL AND journey_id = $1 AND workflow_id = $8 AND status = 'running'`,
      params,
    );
  }

  async counts(journeyId: string): Promise<{
    runs: { version: number; status: RunStatus; count: number }[];
    steps: { version: number; step: string; entered: number; proceeded: number; exited: number; failed: number }[];
  }> {
    const runs = await this.pool.query<{ version: number; status: RunStatus; count: string }>(
      'SELECT version, status, count(*) AS count FROM journey_runs WHERE journey_id = $1 GROUP BY version, status ORDER BY version, status',
      [journeyId],
    );
    const steps = await this.pool.query<{ version: number; step_id: string; entered: string; proceeded: string; exited: string; failed: string }>(
      'SELECT version, step_id, entered, proceeded, exited, failed FROM journey_steps WHERE journey_id = $1 ORDER BY version, step_id',
      [journeyId],
    );
    return {
      runs: runs.rows.map((r) => ({ version: r.version, status: r.status, count: Number(r.count) })),
      steps: steps.rows.map((r) => ({ version: r.version, step: r.step_id, entered: Number(r.entered), proceeded: Number(r.proceeded), exited: Number(r.exited), failed: Number(r.failed) })),
    };
  }
}
