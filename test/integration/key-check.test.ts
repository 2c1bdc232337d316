/**
 * The encryption key check on a real PostgreSQL: the first key a database sees is the one every
 * later worker and API must hold; another key is refused with an error naming the setting and
 * both key ids. (test/cluster shows a worker process refusing to start with it.)
 */
import { ConfigError } from '../../src/errors';
import { AesGcmCodec, generateEncryptionKey, parseEncryptionKey } from '../../src/temporal/codec';
import { checkEncryptionKey } from '../../src/temporal/key-check';
import { createTestDatabase } from '../helpers/database';

const keyId = (key: string): string => new AesGcmCodec(parseEncryptionKey(key)).keyId;

test('the first key is kept; the same key passes again, another is refused naming both key ids', async () => {
  const url = await createTestDatabase();
  const first = generateEncryptionKey();
  const other = generateEncryptionKey();
  await checkEncryptionKey(url, first);
  await checkEncryptionKey(url, first);
  const refused = checkEncryptionKey(url, other);
  await expect(refused).rejects.toThrow(ConfigError);
  await expect(checkEncryptionKey(url, other)).rejects.toThrow(
    new RegExp(`^HOOKFLOW_ENCRYPTION_KEY: is not the key this Hookflow database was set up with \\(its key id is ${keyId(first)}, this process holds key id ${keyId(other)}\\)`),
  );
  // The refused key did not replace the first one.
  await checkEncryptionKey(url, first);
});

test('processes starting at once on a new database agree on one key', async () => {
  const url = await createTestDatabase();
  const key = generateEncryptionKey();
  await Promise.all(Array.from({ length: 5 }, () => checkEncryptionKey(url, key)));
  await expect(checkEncryptionKey(url, generateEncryptionKey())).rejects.toThrow(/HOOKFLOW_ENCRYPTION_KEY/);
});
