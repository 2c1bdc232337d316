/**
 * The encryption key check: a worker or API started with the wrong HOOKFLOW_ENCRYPTION_KEY would
 * otherwise run, and fail every workflow task whose history it cannot decrypt (the webhooks stall,
 * the log fills). Instead it refuses to start. The first process to use a database seals a known
 * probe with its key there (migration 007); every later one must open it.
 */
import pg from 'pg';
import { ConfigError } from '../errors';
import { AesGcmCodec, openJson, parseEncryptionKey, sealJson } from './codec';

const PROBE = 'hookflow encryption key check';

/** Throws a ConfigError naming HOOKFLOW_ENCRYPTION_KEY when `keyBase64` is not the key this database (migrated) was first used with. */
export async function checkEncryptionKey(databaseUrl: string, keyBase64: string): Promise<void> {
  const client = new pg.Client({ connectionString: databaseUrl });
  client.on('error', () => undefined);
  await client.connect();
  try {
    await checkWith(client, keyBase64);
  } finally {
    await client.end().catch(() => undefined);
  }
}

async function checkWith(db: pg.Client, keyBase64: string): Promise<void> {
  const key = parseEncryptionKey(keyBase64);
  const keyId = new AesGcmCodec(key).keyId;
  // The first process stores its probe; concurrent first starts race harmlessly (one row wins).
  await db.query('INSERT INTO encryption_key_check (key_id, probe) VALUES ($1, $2) ON CONFLICT DO NOTHING', [keyId, sealJson(key, PROBE)]);
  const { rows } = await db.query<{ key_id: string; probe: Buffer }>('SELECT key_id, probe FROM encryption_key_check');
  const stored = rows[0];
  let opened: unknown;
  try {
    opened = openJson<unknown>(key, stored.probe);
  } catch {
    opened = undefined;
  }
  if (opened !== PROBE) {
    throw new ConfigError(
      'HOOKFLOW_ENCRYPTION_KEY',
      `is not the key this Hookflow database was set up with (its key id is ${stored.key_id}, this process holds key id ${keyId}): ` +
        'every webhook stored in Temporal is encrypted with that key, so this process could not read any of them. ' +
        'Start it with the same HOOKFLOW_ENCRYPTION_KEY as the other workers and APIs.',
    );
  }
}
