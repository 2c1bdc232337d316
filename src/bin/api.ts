/** `npm run api`: the HTTP API alone, for deployments that scale it apart from the worker. */
import { loadConfig } from '../config';
import { resolveApiKeys, resolveEncryptionKey } from '../data-dir';
import { logger, main } from './lifecycle';
import { startApiRole } from './roles';

main(async () => {
  const config = loadConfig();
  const role = await startApiRole(config, resolveEncryptionKey(config), resolveApiKeys(config));
  logger.info({ url: role.url }, 'API listening');
  return role.stop;
});
