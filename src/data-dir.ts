/**
 * Secrets the embedded stack keeps in HOOKFLOW_DATA_DIR when they are not given in the
 * environment: the API key and the payload encryption key. Files are created with mode 0600.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Config } from './config';
import { ConfigError } from './errors';
import { generateEncryptionKey } from './temporal/codec';

const API_KEY_FILE = 'api-key';
const ENCRYPTION_KEY_FILE = 'encryption-key';

function readOrCreate(file: string, create: (() => string) | undefined): string | undefined {
  if (fs.existsSync(file)) return fs.readFileSync(file, 'utf8').trim();
  if (!create) return undefined;
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const value = create();
  fs.writeFileSync(file, `${value}\n`, { mode: 0o600 });
  return value;
}

/** The encryption key: from the environment, else the data dir (created there when `generate`). */
export function resolveEncryptionKey(config: Config, options: { generate?: boolean } = {}): string {
  if (config.encryptionKey) return config.encryptionKey;
  const key = readOrCreate(path.join(config.dataDir, ENCRYPTION_KEY_FILE), options.generate ? generateEncryptionKey : undefined);
  if (!key) {
    throw new ConfigError(
      'HOOKFLOW_ENCRYPTION_KEY',
      `not set, and no ${path.join(config.dataDir, ENCRYPTION_KEY_FILE)}; give the key the worker uses`,
    );
  }
  return key;
}

/** The API keys: from the environment, else the data dir (created there when `generate`). */
export function resolveApiKeys(config: Config, options: { generate?: boolean } = {}): string[] {
  if (config.apiKeys && config.apiKeys.length > 0) return config.apiKeys;
  const key = readOrCreate(path.join(config.dataDir, API_KEY_FILE), options.generate ? () => `hf_${randomBytes(24).toString('base64url')}` : undefined);
  if (!key) throw new ConfigError('HOOKFLOW_API_KEYS', `not set, and no ${path.join(config.dataDir, API_KEY_FILE)}`);
  return [key];
}
