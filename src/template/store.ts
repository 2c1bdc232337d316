/**
 * Templates in PostgreSQL: a PUT stores a new immutable version only when the content changed.
 * Concurrent PUTs of one template are serialised by a row lock, so versions are dense and a
 * repeated PUT never makes a second version of the same content.
 */
import { createHash } from 'node:crypto';
import type pg from 'pg';
import type { TemplateVersion } from './render';
import type { TemplateContent } from './schema';

export interface StoredVersion extends TemplateVersion {
  createdAt: string;
}

/** JSON with sorted keys: equal content, equal text, whatever order its fields came in. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
    return `{${entries
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`)
      .join(',')}}`;
  }
  return JSON.stringify(value);
}

export const contentHash = (content: TemplateContent): string => createHash('sha256').update(canonical(content)).digest('hex');

interface VersionRow {
  template_id: string;
  version: number;
  content: TemplateContent;
  created_at: Date;
}

const toVersion = (r: VersionRow): StoredVersion => ({ id: r.template_id, version: r.version, content: r.content, createdAt: r.created_at.toISOString() });

export class TemplateStore {
  constructor(readonly pool: pg.Pool) {}

  /** Saves `content` as the template's next version unless it equals the latest; `created` says which. */
  async save(id: string, content: TemplateContent): Promise<{ id: string; version: number; created: boolean }> {
    const hash = contentHash(content);
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      await client.query('INSERT INTO templates (id, latest_version) VALUES ($1, 0) ON CONFLICT (id) DO NOTHING', [id]);
      const { rows } = await client.query<{ latest_version: number; content_hash: string | null }>(
        `SELECT t.latest_version, v.content_hash FROM templates t
           LEFT JOIN template_versions v ON v.template_id = t.id AND v.version = t.latest_version
          WHERE t.id = $1 FOR UPDATE OF t`,
        [id],
      );
      const latest = rows[0];
      if (latest.content_hash === hash) {
        await client.query('COMMIT');
        return { id, version: latest.latest_version, created: false };
      }
      const version = latest.latest_version + 1;
      await client.query('INSERT INTO template_versions (template_id, version, content, content_hash) VALUES ($1, $2, $3, $4)', [id, version, JSON.stringify(content), hash]);
      await client.query('UPDATE templates SET latest_version = $2, updated_at = now() WHERE id = $1', [id, version]);
      await client.query('COMMIT');
      return { id, version, created: true };
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      client.release();
    }
  }

  /** A version, or the latest when `version` is undefined; undefined when there is none. */
  async version(id: string, version?: number): Promise<StoredVersion | undefined> {
    const { rows } =
      version === undefined
        ? await this.pool.query<VersionRow>(
            `SELECT v.* FROM templates t JOIN template_versions v ON v.template_id = t.id AND v.version = t.latest_version WHERE t.id = $1`,
            [id],
          )
        : await this.pool.query<VersionRow>('SELECT * FROM template_versions WHERE template_id = $1 AND version = $2', [id, version]);
    return rows[0] ? toVersion(rows[0]) : undefined;
  }
}
